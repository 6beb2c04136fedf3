"""Human output goes to stderr (stdout is for --json and command output).

Names, TXT values and errors come from sources and boxes: they are printed as plain text, never
read as rich markup (`[/b]`) or emoji codes (`:fire:`), and control characters are shown escaped.
"""

import re
import sys
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

# Without a terminal (CI logs, pipes) rich would wrap tables at 80 columns.
err = Console(stderr=True, highlight=False, emoji=False, width=None if sys.stderr.isatty() else 160)
out = Console(highlight=False, emoji=False)

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def plain(value: object, style: str = "") -> Text:
    """VALUE as text exactly as given: no markup, no emoji, control characters as \\xNN."""
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(value))
    return Text(text, style=style)


class PlainTable(Table):
    """A table whose string cells are plain text (Text cells keep their style)."""

    def add_row(self, *cells: Any, **kwargs: Any) -> None:
        super().add_row(*(plain(c) if isinstance(c, str) else c for c in cells), **kwargs)


def one_line(message: object) -> str:
    """A message on one line: a newline in a name or path must not split an error in two."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(message))


def say(message: str) -> None:
    err.print(one_line(message), markup=False, soft_wrap=True)
