"""Files that sources read: where they are, how errors name them, reading them as text."""

from pathlib import Path

from cloudy_deploy.errors import BadInput


def resolve(base_dir: Path, arg: str) -> Path:
    """A FILE/DIR of a source: relative ones are relative to the folder of cloudy.yml (or the cwd)."""
    path = Path(arg).expanduser()
    return path if path.is_absolute() else base_dir / path


def shown(path: Path) -> str:
    """The path as error messages show it: relative to the current folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def read_text(path: Path, what: str, source: str) -> str:
    """The file as UTF-8 text (a byte-order mark, as spreadsheets write, is dropped), else BadInput."""
    try:
        exists, is_file = path.exists(), path.is_file()
    except OSError as exc:  # a name too long, a loop of links
        raise BadInput(f"{source}: cannot use this path ({exc.strerror}); give the path of {what}") from None
    if not exists:
        raise BadInput(f"{source}: {shown(path)} does not exist; give the path of {what}")
    if not is_file:
        raise BadInput(f"{source}: {shown(path)} is not a file; give the path of {what}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadInput(f"{shown(path)}: cannot read it ({exc.strerror}); check its permissions") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise BadInput(
            f"{shown(path)}:{line}: not UTF-8 text (byte {data[exc.start]:#04x}); save the file as UTF-8"
        ) from None
