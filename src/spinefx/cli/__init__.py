"""The ``spinefx`` command: a thin Typer shell over the core.

Errors from the core become one clear line on stderr here and nowhere else: an
:class:`~spinefx.errors.InputError` exits with status 2, any other
:class:`~spinefx.errors.SpinefxError` with status 1; never a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import typer

from spinefx.cli import casefind, clinical, directory, registry, web
from spinefx.errors import InputError, SpinefxError

__all__ = ["app", "main", "run"]

app = typer.Typer(
    name="spinefx",
    help="Care of spinal compression fractures: self-check, clinician rules, specialist directory.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
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
        command.main(args=list(argv) if argv is not None else None, prog_name="spinefx")
    except InputError as exc:
        _error(exc)
        return EXIT_INPUT
    except SpinefxError as exc:
        _error(exc)
        return EXIT_DATA
    except SystemExit as exc:  # Typer's own exit, including usage errors (status 2)
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BrokenPipeError:
        return 0
    return 0


def _error(exc: SpinefxError) -> None:
    """One line on stderr; several bad fields are joined on that line."""
    if isinstance(exc, InputError) and len(exc.problems) > 1:
        joined = "; ".join(str(p) for p in exc.problems)
        typer.echo(f"error: {len(exc.problems)} invalid fields: {joined}", err=True)
    else:
        typer.echo(f"error: {exc}", err=True)


def main() -> None:
    sys.exit(run())
