"""The ``spinefx`` command: a thin Typer shell over the core.

Errors from the core become one clear line on stderr here and nowhere else: an
:class:`~spinefx.errors.InputError` exits with status 2, any other
:class:`~spinefx.errors.SpinefxError` with status 1; never a traceback. A usage error (an
unknown option, a missing argument) is one such line too, with status 2, as input errors are.

The core names the fields of its models and functions (``sites``, ``to``, ``file``); here, and
only here, each becomes the option or argument that fills it (``--site``, ``--to``, ``FILE``),
read from the commands' own declarations (:func:`flag_names`).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any

import typer
from typer.core import TyperGroup, TyperOption

try:  # Typer 0.2x carries its own copy of click, whose exceptions are these
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover - older Typer uses click itself
    from click import exceptions as click_errors  # type: ignore[no-redef]

import spinefx
from spinefx.cli import casefind, clinical, directory, registry, web
from spinefx.errors import InputError, SpinefxError
from spinefx.extras import missing_extra_for

__all__ = ["app", "flag_names", "main", "run"]

SUMMARY = (
    "Care of spinal compression fractures: the self-check and clinician rules, the specialist "
    "directory, the fracture liaison registry, case-finding in radiology reports (casefind) "
    "and the web app (serve)."
)

app = typer.Typer(
    name="spinefx",
    help=SUMMARY,
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
    """The commands of spinefx (the summary is SUMMARY, shown by --help)."""


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
    _show_flags_plainly(command)
    args = list(argv) if argv is not None else sys.argv[1:]
    try:
        status = command.main(
            args=args,
            prog_name="spinefx",
            standalone_mode=False,  # usage errors come here, not to click's boxed message
        )
    except click_errors.NoArgsIsHelpError as exc:  # no arguments: the help, once
        # Typer's rich help is printed while the error is made (its text is then empty); a
        # plain help is only its text, printed here.
        if exc.format_message().strip():
            typer.echo(exc.format_message())
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
        _input_error(exc, flag_names(command, args))
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


def _show_flags_plainly(command: Any) -> None:
    """A flag (``--json``, ``--help``) takes no value: --help shows no type beside it, where
    Typer would show ``<bool>``; options that take a value keep theirs."""
    context = typer.Context(command, info_name=command.name)
    flags = [p for p in command.params if getattr(p, "is_flag", False) and p.metavar is None]
    help_option = command.get_help_option(context)
    for flag in [*flags, *([help_option] if help_option is not None else [])]:
        flag.metavar = ""
    for sub in getattr(command, "commands", {}).values():
        _show_flags_plainly(sub)


def _usage_line(exc: click_errors.UsageError) -> str:
    """The usage error in one line, with where to read more."""
    message = " ".join(exc.format_message().split())
    path = exc.ctx.command_path if exc.ctx is not None else "spinefx"
    return f"{message} (see {path} --help)"


def flag_names(command: Any, argv: Sequence[str]) -> dict[str, str]:
    """Field -> the option or argument of the command ``argv`` runs that fills it (``sites``
    -> ``--site``, ``file`` -> ``FILE``).

    A parameter fills the field of its own name (``from_`` fills ``from``). Only the command
    run counts: a field of the data (a row's ``label``) that another command happens to take
    as an option keeps its own name.
    """
    leaf = command
    for word in (a for a in argv if not a.startswith("-")):
        if not isinstance(leaf, TyperGroup):
            break
        if word not in leaf.commands:  # a group that runs a default command (casefind REPORTS)
            default = str(getattr(leaf, "default_command", ""))
            leaf = leaf.commands.get(default, leaf)
            break
        leaf = leaf.commands[word]
    return {param.name.rstrip("_"): _shown(param) for param in leaf.params if param.name}


def _shown(param: Any) -> str:
    """How the command line shows a parameter: its long option, or its argument's name."""
    if isinstance(param, TyperOption):
        return next((o for o in param.opts if o.startswith("--")), param.opts[0])
    return str(param.metavar or param.name.upper())


def _input_error(exc: InputError, names: Mapping[str, str]) -> None:
    """One line on stderr naming each bad field as the command line does."""
    problems = [p.renamed(names.get) for p in exc.problems]
    if len(problems) > 1:
        joined = "; ".join(str(p) for p in problems)
        typer.echo(f"error: {len(problems)} invalid fields: {joined}", err=True)
    else:
        typer.echo(f"error: {problems[0]}", err=True)


def _error(exc: SpinefxError) -> None:
    """One line on stderr."""
    typer.echo(f"error: {exc}", err=True)


def main() -> None:
    sys.exit(run())
