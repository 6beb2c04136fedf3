"""The `cloudy` command line (DESIGN.md, 'Command line'). Commands live in the modules beside this."""

import errno
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from cloudy_deploy import __version__
from cloudy_deploy.cli import cloud, run, services
from cloudy_deploy.cli.lab import lab_app
from cloudy_deploy.errors import BadInput
from cloudy_deploy.lab import manager
from cloudy_deploy.paths import HOME_ENV, project_home
from cloudy_deploy.ui import err, one_line

app = typer.Typer(
    help="Turn Debian boxes of a community network into a Cloudy micro cloud.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command()(cloud.init)
app.add_typer(lab_app, name="lab")
app.command()(cloud.discover)
app.command()(cloud.plan)
app.command()(cloud.inventory)
app.command()(run.deploy)
app.command()(run.status)
app.command()(run.up)
app.command()(services.services)
app.add_typer(run.runs_app, name="runs")


@app.callback(invoke_without_command=True)
def _root(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit")] = False,
    home: Annotated[
        Path | None,
        typer.Option(
            "--home", help="Project folder of every command (as $CLOUDY_HOME) [default: current folder]"
        ),
    ] = None,
) -> None:
    if version:
        print(__version__)
        raise typer.Exit()
    if home is not None:
        # `cloudy --home DIR CMD` is `CLOUDY_HOME=DIR cloudy CMD`; the command's own --home still wins.
        os.environ[HOME_ENV] = str(project_home(home))


_PATH_ERRORS = (errno.ENAMETOOLONG, errno.ELOOP, errno.ENOTDIR, errno.EISDIR, errno.EACCES, errno.EROFS)


def main() -> None:
    """Entry point: bad input is one line on stderr and exit 2 (DESIGN.md)."""
    try:
        # Without standalone mode click returns typer.Exit's code instead of exiting.
        code = app(standalone_mode=False, prog_name="cloudy")
        sys.exit(code if isinstance(code, int) else 0)
    except BadInput as exc:
        err.print(f"error: {one_line(exc)}", markup=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except manager.LabError as exc:
        err.print(f"error: {one_line(exc)}", markup=False, soft_wrap=True)
        sys.exit(1)
    except OSError as exc:
        if exc.errno not in _PATH_ERRORS or exc.filename is None:
            raise
        # A path given on the command line or in a file that no check above foresaw: still one line.
        err.print(
            f"error: {one_line(exc.filename)}: {exc.strerror}: check this path", markup=False, soft_wrap=True
        )
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("aborted", markup=False)
        sys.exit(130)
    except Exception as exc:
        # typer vendors click privately: its usage errors are recognised by shape.
        if type(exc).__name__ == "NoArgsIsHelpError":
            ctx = getattr(exc, "ctx", None)
            print(ctx.get_help() if ctx else "", file=sys.stderr)
            sys.exit(0)
        if not hasattr(exc, "format_message"):
            raise
        ctx = getattr(exc, "ctx", None)
        where = ctx.command_path if ctx else "cloudy"
        err.print(
            f"error: {one_line(exc.format_message())} (see `{where} --help`)", markup=False, soft_wrap=True
        )
        sys.exit(getattr(exc, "exit_code", 2))
