"""Human output goes to stderr (stdout is for --json and command output)."""

from rich.console import Console

err = Console(stderr=True, highlight=False)
out = Console(highlight=False)


def say(message: str) -> None:
    err.print(message, markup=False, soft_wrap=True)
