"""Every row of the live view and of the summaries says where: account/region."""

from __future__ import annotations

import io

from rich.console import Console, RenderableType

from ecsdeploy import (
    DeployEvent,
    EventKind,
    Phase,
    Release,
    ReleaseResult,
    ServiceOutcome,
    Stage,
    Target,
)
from ecsdeploy._front.live import LiveView
from ecsdeploy._front.summary import release_summary

ROLE_A = "arn:aws:iam::210987654321:role/ecsdeploy"
IN_A = Target("prod", "web", region="eu-west-1", role_arn=ROLE_A)
CALLERS = Target("prod", "api")


def render(renderable: RenderableType) -> str:
    console = Console(file=io.StringIO(), width=160, force_terminal=False)
    console.print(renderable)
    assert isinstance(console.file, io.StringIO)
    return console.file.getvalue()


def test_live_rows_show_the_roles_account_and_the_region_or_the_default() -> None:
    """A role's target: its account and region; the caller's: `caller` and the default region."""
    view = LiveView([IN_A, CALLERS], default_region="us-east-2")
    assert (view.row(str(IN_A)).account, view.row(str(IN_A)).region) == (
        "210987654321",
        "eu-west-1",
    )
    assert (view.row(str(CALLERS)).account, view.row(str(CALLERS)).region) == (
        "caller",
        "us-east-2",
    )
    view(DeployEvent(EventKind.PHASE, IN_A, Phase.WATCH, "WATCH", 1.0, {}))
    out = render(view)
    assert "210987654321/eu-west-1" in out
    assert "caller/us-east-2" in out


def test_the_release_summary_shows_where_each_service_is() -> None:
    """Skipped services too: each row has its account/region."""
    release = Release([Stage("canary", [IN_A]), Stage("rest", [CALLERS])])
    result = ReleaseResult(
        release,
        tuple(ServiceOutcome(t, s.name, None) for s in release.stages for t in s.targets),
        0.0,
        default_region="us-east-2",
    )
    out = render(release_summary(result))
    assert "210987654321/eu-west-1" in out
    assert "caller/us-east-2" in out
