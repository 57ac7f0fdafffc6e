"""The ``spinefx`` command: a thin Typer shell over the core.

Errors from the core become one clear line on stderr here and nowhere else: an
:class:`~spinefx.errors.InputError` exits with status 2, any other
:class:`~spinefx.errors.SpinefxError` with status 1; never a traceback. A usage error (an
unknown option, a missing argument) is one such line too, with status 2, as input errors are.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import typer

try:  # Typer 0.2x carries its own copy of click, whose exceptions are these
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover - older Typer uses click itself
    from click import exceptions as click_errors  # type: ignore[no-redef]

import spinefx
from spinefx.cli import casefind, clinical, directory, registry, web
from spinefx.errors import InputError, SpinefxError
from spinefx.extras import missing_extra_for

__all__ = ["app", "main", "run"]

app = typer.Typer(
    name="spinefx",
    help="Care of spinal compression fractures: self-check, clinician rules, specialist directory.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"spinefx {spinefx.__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: bool = typer.Option(
        False,
        "--version",
        help="Print the version and exit.",
        callback=_show_version,
        is_eager=True,
    ),
) -> None:
    """Care of spinal compression fractures: self-check, clinician rules, specialist directory."""


clinical.register(app)
app.add_typer(directory.app, name="directory")
app.add_typer(registry.app, name="registry")
app.add_typer(casefind.app, name="casefind")
web.register(app)

EXIT_INPUT = 2
EXIT_DATA = 1


def run(argv: Sequence[str] | None = None) -> int:
    """Run the CLI with ``argv`` and return its exit status (used by ``main`` and the tests)."""
    command = typer.main.get_command(app)
    try:
        status = command.main(
            args=list(argv) if argv is not None else None,
            prog_name="spinefx",
            standalone_mode=False,  # usage errors come here, not to click's boxed message
        )
    except click_errors.NoArgsIsHelpError as exc:  # no arguments: the help, as before
        typer.echo(exc.ctx.get_help() if exc.ctx is not None else str(exc))
        return 0
    except click_errors.UsageError as exc:
        typer.echo(f"error: {_usage_line(exc)}", err=True)
        return EXIT_INPUT
    except click_errors.ClickException as exc:  # e.g. a file option that cannot be opened
        typer.echo(f"error: {' '.join(exc.format_message().split())}", err=True)
        return exc.exit_code
    except (typer.Exit, getattr(click_errors, "Exit", typer.Exit)) as exc:
        return int(getattr(exc, "exit_code", 0) or 0)
    except typer.Abort:
        typer.echo("error: interrupted", err=True)
        return 130
    except InputError as exc:
        _error(exc)
        return EXIT_INPUT
    except SpinefxError as exc:  # a MissingExtra too: "... needs the nlp extra: pip install ..."
        _error(exc)
        return EXIT_DATA
    except ImportError as exc:  # an extra's package, imported without extras.require first
        missing = missing_extra_for(exc)
        if missing is None:
            raise
        _error(missing)
        return EXIT_DATA
    except SystemExit as exc:  # Typer's own exit, including usage errors (status 2)
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BrokenPipeError:
        return 0
    return status if isinstance(status, int) else 0


def _usage_line(exc: click_errors.UsageError) -> str:
    """The usage error in one line, with where to read more."""
    message = " ".join(exc.format_message().split())
    path = exc.ctx.command_path if exc.ctx is not None else "spinefx"
    return f"{message} (see {path} --help)"


def _error(exc: SpinefxError) -> None:
    """One line on stderr; several bad fields are joined on that line."""
    if isinstance(exc, InputError) and len(exc.problems) > 1:
        joined = "; ".join(str(p) for p in exc.problems)
        typer.echo(f"error: {len(exc.problems)} invalid fields: {joined}", err=True)
    else:
        typer.echo(f"error: {exc}", err=True)


def main() -> None:
    sys.exit(run())
