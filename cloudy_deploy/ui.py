"""Human output goes to stderr (stdout is for --json and command output)."""

import sys

from rich.console import Console

# Without a terminal (CI logs, pipes) rich would wrap tables at 80 columns.
err = Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else 160)
out = Console(highlight=False)


def say(message: str) -> None:
    err.print(message, markup=False, soft_wrap=True)
