"""CloudWatch's alarm API over the simulator's alarm store: PutMetricAlarm, DescribeAlarms,
SetAlarmState, DeleteAlarms.

Alarms have no metrics here: their state changes only when set — by SetAlarmState (which on
real CloudWatch lasts until the next evaluation; here until set again) or by the control API.
SetAlarmState goes through `EcsBackend.set_alarm`, so a deployment whose
``deploymentConfiguration.alarms`` names the alarm fails (and rolls back) at once, as with
`Simulator.set_alarm`. An alarm only ever set through the control API is described too, with
no configuration but its state.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from ecsdeploy.sim._api.errors import EcsApiError
from ecsdeploy.sim._api.pagination import page
from ecsdeploy.sim._dynamics.alarms import AlarmDefinition, AlarmStore
from ecsdeploy.sim._dynamics.clock import SimClock
from ecsdeploy.sim._wire.services import Caller, invalid_action

DEFAULT_MAX_RECORDS = 50
_DESCRIBED_CONFIG = (
    "AlarmDescription",
    "ActionsEnabled",
    "OKActions",
    "AlarmActions",
    "InsufficientDataActions",
    "MetricName",
    "Namespace",
    "Statistic",
    "ExtendedStatistic",
    "Dimensions",
    "Period",
    "Unit",
    "EvaluationPeriods",
    "DatapointsToAlarm",
    "Threshold",
    "ComparisonOperator",
    "TreatMissingData",
    "EvaluateLowSampleCountPercentile",
    "Metrics",
    "ThresholdMetricId",
)
_LIST_DEFAULTS: Mapping[str, Any] = {
    "ActionsEnabled": True,
    "OKActions": [],
    "AlarmActions": [],
    "InsufficientDataActions": [],
    "Dimensions": [],
}


class AlarmOwner(Protocol):
    """What keeps the alarms and lets deployments react to them (``EcsBackend``)."""

    @property
    def alarms(self) -> AlarmStore: ...
    @property
    def clock(self) -> SimClock: ...
    def set_alarm(
        self, name: str, state: str, reason: str = "", *, reason_data: str | None = None
    ) -> None: ...


def _not_found(name: str) -> EcsApiError:
    return EcsApiError("ResourceNotFound", f"Alarm {name} not found", status=404)


class CloudWatchBackend:
    """The four alarm operations deployments and their tests use."""

    operations = frozenset({"PutMetricAlarm", "DescribeAlarms", "SetAlarmState", "DeleteAlarms"})

    def __init__(self, owner: AlarmOwner) -> None:
        self._owner = owner

    def handle(
        self, region: str, operation: str, params: dict[str, Any], *, caller: Caller
    ) -> dict[str, Any]:
        if operation == "PutMetricAlarm":
            return self._put(region, caller.account, params)
        if operation == "DescribeAlarms":
            return self._describe(region, caller.account, params)
        if operation == "SetAlarmState":
            return self._set_state(params)
        if operation == "DeleteAlarms":
            return self._delete(params)
        raise invalid_action(operation)

    @property
    def _alarms(self) -> AlarmStore:
        return self._owner.alarms

    def _put(self, region: str, account: str, params: dict[str, Any]) -> dict[str, Any]:
        name = str(params["AlarmName"])
        if not params.get("Metrics") and not (params.get("MetricName") and params.get("Namespace")):
            raise EcsApiError(
                "ValidationError", "Either MetricName and Namespace or Metrics must be specified."
            )
        self._alarms.define(
            AlarmDefinition(
                name=name,
                config={k: v for k, v in params.items() if k in _DESCRIBED_CONFIG},
                arn=f"arn:aws:cloudwatch:{region}:{account}:alarm:{name}",
                updated_at=self._owner.clock.now(),
            )
        )
        return {}

    def _describe(self, region: str, account: str, params: dict[str, Any]) -> dict[str, Any]:
        names = self._alarms.known()
        if params.get("AlarmNames"):
            if params.get("AlarmNamePrefix"):
                raise EcsApiError(
                    "InvalidParameterCombination",
                    "AlarmNames and AlarmNamePrefix cannot be used together.",
                )
            wanted = set(params["AlarmNames"])
            names = [name for name in names if name in wanted]
        elif params.get("AlarmNamePrefix"):
            names = [name for name in names if name.startswith(params["AlarmNamePrefix"])]
        if params.get("StateValue"):
            names = [n for n in names if self._alarms.get(n).state == params["StateValue"]]
        types = params.get("AlarmTypes") or ["MetricAlarm"]
        if "MetricAlarm" not in types:
            names = []
        try:
            chunk, token = page(
                names,
                next_token=params.get("NextToken"),
                size=int(params.get("MaxRecords") or DEFAULT_MAX_RECORDS),
            )
        except EcsApiError:
            raise EcsApiError("InvalidNextToken", "The next token specified is invalid.") from None
        answer: dict[str, Any] = {
            "MetricAlarms": [self._view(region, account, name) for name in chunk],
            "CompositeAlarms": [],
        }
        if token is not None:
            answer["NextToken"] = token
        return answer

    def _view(self, region: str, account: str, name: str) -> dict[str, Any]:
        state = self._alarms.get(name)
        definition = self._alarms.definition(name)
        view: dict[str, Any] = {
            "AlarmName": name,
            "AlarmArn": (
                definition.arn
                if definition is not None
                else f"arn:aws:cloudwatch:{region}:{account}:alarm:{name}"
            ),
            "StateValue": state.state,
            "StateReason": state.reason,
            "StateUpdatedTimestamp": state.updated_at,
            "StateTransitionedTimestamp": (
                state.updated_at if state.transitioned_at is None else state.transitioned_at
            ),
        }
        if state.reason_data is not None:
            view["StateReasonData"] = state.reason_data
        if definition is not None:
            view["AlarmConfigurationUpdatedTimestamp"] = definition.updated_at
            view.update(_LIST_DEFAULTS)
            view.update(definition.config)
        return view

    def _set_state(self, params: dict[str, Any]) -> dict[str, Any]:
        name = str(params["AlarmName"])
        if name not in self._alarms.known():
            raise _not_found(name)
        self._owner.set_alarm(
            name,
            str(params["StateValue"]),
            str(params["StateReason"]),
            reason_data=params.get("StateReasonData"),
        )
        return {}

    def _delete(self, params: dict[str, Any]) -> dict[str, Any]:
        names = [str(name) for name in params["AlarmNames"]]
        known = set(self._alarms.known())
        for name in names:
            if name not in known:
                raise _not_found(name)
        for name in names:
            self._alarms.delete(name)
        return {}
