"""Errors the CLI turns into exit codes (see DESIGN.md: 2 is bad input)."""


class BadInput(Exception):
    """Input the user can fix: one line saying what, where and how. Exit code 2."""

    exit_code = 2
