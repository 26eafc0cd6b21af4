"""ecsdeploy's public error hierarchy.

Every error the library raises is an `EcsDeployError`. Fronts map them to exit codes:
`InputError` (bad input or configuration, nothing was changed) exits 2; `NothingChangedError`
(AWS failed before any change) exits 1; any other `AwsError` reaching a front means the state
may be unknown (3).
"""

from __future__ import annotations

__all__ = [
    "AccessDeniedError",
    "AssumeRoleError",
    "AwsError",
    "AwsUnavailableError",
    "ClusterNotFoundError",
    "ConflictingChangesError",
    "EcsDeployError",
    "EmptyChangeSetError",
    "InputError",
    "InvalidChangeError",
    "InvalidImageError",
    "MissingPermissionError",
    "NothingChangedError",
    "ReleaseFileError",
    "ServiceNotFoundError",
    "TaskDefinitionNotFoundError",
    "ThrottledError",
    "UnknownContainerError",
    "UnsupportedServiceError",
]


class EcsDeployError(Exception):
    """Base class of every error ecsdeploy raises."""


class InputError(EcsDeployError):
    """The request cannot be carried out as given; nothing in the account was changed."""


class UnknownContainerError(InputError):
    """A change names a container the task definition does not have."""


class InvalidImageError(InputError):
    """An image reference does not follow the Docker reference grammar."""


class InvalidChangeError(InputError):
    """A change written as text (a CLI option, a plugin setting) does not have its expected form."""


class ConflictingChangesError(InputError):
    """Two requested changes contradict each other."""


class EmptyChangeSetError(InputError):
    """No change was requested, so there is no new revision to make."""


class ClusterNotFoundError(InputError):
    """The cluster does not exist in this account and region."""


class ServiceNotFoundError(InputError):
    """The service does not exist in the cluster, or is not ACTIVE."""


class TaskDefinitionNotFoundError(InputError):
    """The task definition does not exist or was deregistered."""


class UnsupportedServiceError(InputError):
    """The service cannot be deployed by ecsdeploy (e.g. a CODE_DEPLOY or EXTERNAL controller)."""


class AssumeRoleError(InputError):
    """A target's role cannot be assumed (access denied, not a role ARN, a wrong external id):
    found while validating, before anything is changed anywhere."""


class ReleaseFileError(InputError):
    """A release file is not valid TOML or does not describe a valid release; nothing was deployed.

    `source` is the file (or the name given for a string), `line` the 1-based line of the problem
    when it could be found, `key` its key path (``stage[2].service[1].images``), `problem` what is
    wrong. The message joins them the way compilers do: ``release.toml:12: key: problem``.
    """

    def __init__(
        self, problem: str, *, source: str, line: int | None = None, key: str | None = None
    ) -> None:
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {key}: {problem}" if key else f"{where}: {problem}")
        self.problem = problem
        self.source = source
        self.line = line
        self.key = key


class AwsError(EcsDeployError):
    """An AWS call failed. `code` is AWS's error code, `operation` the API operation."""

    def __init__(self, message: str, *, code: str = "", operation: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.operation = operation


class NothingChangedError(AwsError):
    """An AWS call failed before anything was changed (exit 1, "nothing changed").

    Fronts raise it around the reads they make before deploying, so that an AWS outage is
    neither reported as bad input (2) nor as an unknown state (3).
    """

    @classmethod
    def from_error(cls, error: AwsError) -> NothingChangedError:
        return cls(f"{error}; nothing changed", code=error.code, operation=error.operation)


class ThrottledError(AwsError):
    """AWS throttled the request and retries ran out."""


class AwsUnavailableError(AwsError):
    """AWS answered with a server error, or could not be reached, and retries ran out."""


class AccessDeniedError(AwsError):
    """The credentials in use may not perform the operation."""


class MissingPermissionError(AccessDeniedError, InputError):
    """A health check's AWS call was denied: a configuration problem found before any change.

    `permission` is the IAM action to grant, e.g. ``elasticloadbalancing:DescribeTargetHealth``
    (PREFLIGHT probes every check's calls, so this exits 2, "nothing changed").
    """

    def __init__(
        self, message: str, *, permission: str, code: str = "", operation: str = ""
    ) -> None:
        super().__init__(message, code=code, operation=operation)
        self.permission = permission
