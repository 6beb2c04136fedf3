"""Errors the CLI turns into exit codes (see DESIGN.md: 2 is bad input)."""


class BadInput(Exception):
    """Input the user can fix: one line saying what, where and how. Exit code 2."""

    exit_code = 2


class NotBuiltYet(BadInput):
    """A command of DESIGN.md that a later issue builds."""

    def __init__(self, command: str, issue: str) -> None:
        super().__init__(f"`cloudy {command}` is not built yet (planned in the issue: {issue})")
