"""One exit-code rule for every front: errors before any change are classified, not guessed."""

from __future__ import annotations

import pytest

from ecsdeploy._front.errors import run_async
from ecsdeploy.exceptions import (
    AccessDeniedError,
    AwsUnavailableError,
    InputError,
    NothingChangedError,
    ThrottledError,
)


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (InputError("no such container"), 2),
        (NothingChangedError.from_error(AwsUnavailableError("DescribeServices: 500")), 1),
        (AwsUnavailableError("UpdateService: 500"), 3),
    ],
    ids=["bad-input", "aws-before-any-change", "aws-state-unknown"],
)
def test_errors_reaching_the_cli_map_to_one_exit_code(
    error: Exception, code: int, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bad input 2, AWS failing before any change 1 ("nothing changed"), unknown state 3."""

    async def main() -> int:
        raise error

    with pytest.raises(SystemExit) as exit_info:
        run_async(main, mutating=True)
    assert exit_info.value.code == code
    stderr = capsys.readouterr().err
    assert str(error).split(";")[0] in stderr
    if code == 1:
        assert "nothing changed" in stderr


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (AwsUnavailableError("DescribeServices: 500"), 1),
        (ThrottledError("DescribeServices: Rate exceeded (retries exhausted)"), 1),
        (AccessDeniedError("DescribeServices: not authorized"), 2),
    ],
    ids=["outage", "throttled", "access-denied"],
)
def test_an_aws_outage_in_a_read_only_command_is_exit_1_not_bad_input(
    error: Exception, code: int, capsys: pytest.CaptureFixture[str]
) -> None:
    """A dry run or status hit by an outage: 1 "nothing changed"; refused credentials stay 2."""

    async def main() -> int:
        raise error

    with pytest.raises(SystemExit) as exit_info:
        run_async(main, mutating=False)
    assert exit_info.value.code == code
    stderr = capsys.readouterr().err
    assert str(error) in stderr
    if code == 1:
        assert "nothing changed" in stderr
