"""``spinefx registry ...``: set up the registry database, its users, import, export, KPIs.

The database is ``SPINEFX_DATABASE_URL`` (PostgreSQL: ``postgresql+psycopg://...``) or the
SQLite file ``registry.sqlite3`` in the data folder. These commands act for whoever holds the
database, on every site (:meth:`~spinefx.registry.permissions.Actor.command_line`); each one
that writes is one transaction.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from spinefx.cli.output import JsonOpt, emit, print_json
from spinefx.errors import InputError, ProblemKind

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from sqlalchemy.orm import Session

    from spinefx.registry.db import Registry
    from spinefx.registry.models import User
    from spinefx.registry.permissions import Actor

app = typer.Typer(
    help="The fracture liaison registry: cases, events, procedures, outcomes and KPIs.",
    no_args_is_help=True,
)
user_app = typer.Typer(help="Registry users.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")

# The password is never an argument (it would stay in the shell's history and in ps).
PasswordStdinOpt = Annotated[
    bool,
    typer.Option("--password-stdin", help="Read the password from one line of standard input."),
]
UrlOpt = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        metavar="<url>",
        help="Database URL (default: $SPINEFX_DATABASE_URL, else registry.sqlite3 in the data "
        "folder).",
        show_default=False,
    ),
]


def registry_url(url: str | None) -> str:
    """``--database-url``, else the settings' registry (``SPINEFX_DATABASE_URL`` or the file)."""
    if url:
        return url
    from spinefx.settings import Settings

    return Settings.from_environment().registry_url


def _open(url: str | None, *, ready: bool = True) -> Registry:
    from spinefx.registry.db import Registry

    registry = Registry.open(registry_url(url))
    if ready:
        registry.check_ready()
    return registry


def _where(registry: Registry) -> str:
    return registry.engine.url.render_as_string(hide_password=True)


@app.command()
def init(url: UrlOpt = None, as_json: JsonOpt = False) -> None:
    """Create the registry tables, or migrate them to this version (safe to run again)."""
    registry = _open(url, ready=False)
    registry.init()
    emit(
        as_json,
        {"registry": _where(registry), "ready": True},
        f"registry ready: {_where(registry)}",
    )


@app.command()
def demo(url: UrlOpt = None, as_json: JsonOpt = False) -> None:
    """Set up the registry with a demo site of fictional patients; print a demo login."""
    from spinefx.registry.seed import seed_demo

    registry = _open(url, ready=False)
    registry.init()
    login = seed_demo(registry)
    if as_json:
        print_json(
            {
                "registry": _where(registry),
                "site": login.site,
                "cases": login.cases,
                "login": {"email": login.email, "password": login.password},
            }
        )
        return
    typer.echo(
        f"registry demo: site {login.site!r}, {login.cases} fictional cases ({_where(registry)})"
    )
    from spinefx.settings import Settings

    served = Settings.from_environment()
    typer.echo(f"registry page: http://{served.host}:{served.port}/registry")
    typer.echo(f"demo login, coordinator (new each run): {login.email} / {login.password}")
    typer.echo(f"demo login, admin (new each run): {login.admin_email} / {login.admin_password}")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
        if not password:
            raise InputError("password", "(empty)", "one line on standard input")
        return password
    typed: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return typed


@user_app.command("add")
def user_add(
    email: Annotated[str, typer.Argument(help="The user's e-mail address (their login).")],
    role: Annotated[
        str,
        typer.Option(
            "--role",
            metavar="admin|clinician|coordinator|auditor",
            help="admin, clinician, coordinator or auditor.",
        ),
    ],
    sites: Annotated[
        list[str],
        typer.Option("--site", help="A site code (created if new); repeat for several sites."),
    ],
    password_stdin: PasswordStdinOpt = False,
    url: UrlOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a user with one role at one or more sites (the password is never an argument)."""
    from spinefx.registry.users import add_user

    def add(session: Session, actor: Actor, password: str) -> User:
        return add_user(session, actor, email, role=role, sites=sites, password=password)

    user = _set_password(url, password_stdin, "user-add", add)
    added = {"email": user.email, "role": user.role, "sites": list(sites)}
    emit(as_json, added, f"user {user.email} added: {user.role} at {', '.join(sites)}")


@user_app.command("password", epilog="Example: spinefx registry user password nurse@example.org")
def user_password(
    email: Annotated[str, typer.Argument(help="The user's e-mail address.")],
    password_stdin: PasswordStdinOpt = False,
    url: UrlOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Give a user a new password (the same rules as a new user's); every login of theirs ends."""
    from spinefx.registry.users import reset_password

    def reset(session: Session, actor: Actor, password: str) -> User:
        return reset_password(session, actor, _user(session, email).id, password)

    changed = _set_password(url, password_stdin, "user-password", reset).email
    done = {"email": changed, "password_set": True, "sessions_ended": True}
    emit(as_json, done, f"new password set for {changed}; their sessions have ended")


def _set_password(
    url: str | None,
    from_stdin: bool,
    command: str,
    change: Callable[[Session, Actor, str], User],
) -> User:
    """Read the password (a prompt, or one line of standard input), then make ``change`` with
    it in one transaction, as the command line."""
    from spinefx.registry.permissions import Actor

    registry = _open(url)
    password = _read_password(from_stdin)
    with registry.transaction() as session:
        return change(session, Actor.command_line(command), password)


class ImportFormat(StrEnum):
    JSONL = "jsonl"
    FHIR = "fhir"


class ExportFormat(StrEnum):
    CSV = "csv"
    FHIR = "fhir"


@app.command(
    "import",
    epilog="Examples: spinefx registry import cases.jsonl; "
    "spinefx registry import fhir-export/ --format fhir",
)
def import_(
    cases: Annotated[
        Path,
        typer.Argument(
            metavar="FILE_OR_DIR",
            help="A .jsonl file, one case per line; with --format fhir a Bundle, an NDJSON "
            "file or a Bulk Data folder of .ndjson files.",
        ),
    ],
    format_: Annotated[
        ImportFormat,
        typer.Option("--format", help="jsonl (the import format) or fhir (FHIR R4)."),
    ] = ImportFormat.JSONL,
    site: Annotated[
        str | None,
        typer.Option(
            "--site",
            help="FHIR: the site of patients whose resources name none (a managingOrganization "
            "with a spinefx site identifier).",
        ),
    ] = None,
    url: UrlOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Import cases, all or none: a bad line (or FHIR resource) names where it is and the
    field, and nothing is written. With --format fhir a patient already registered (same MRN
    at the same site) is updated, not registered twice."""
    from spinefx.registry.permissions import Actor

    actor = Actor.command_line("import")
    if format_ is ImportFormat.FHIR:
        from spinefx.extras import require

        require("fhir", "the FHIR import")
        from spinefx.fhir.registry_io import import_fhir

        done = import_fhir(_open(url), cases, actor, default_site=site)
        report = done.report
        if as_json:
            print_json(
                {
                    "cases": report.cases,
                    "sites": list(report.sites),
                    "created": report.created,
                    "updated": report.updated,
                    "unchanged": report.unchanged,
                    "left_out": dict(sorted(done.skipped.items())),
                }
            )
            return
        typer.echo(
            f"imported {report.cases} cases ({', '.join(report.sites) or 'no sites'}): "
            f"{report.created} new, {report.updated} updated, {report.unchanged} unchanged"
        )
        for reason, count in sorted(done.skipped.items()):
            typer.echo(f"  left out: {count} {reason}")
        return
    if site is not None:
        raise InputError("site", site, "nothing for --format jsonl (each line names its site)")
    from spinefx.registry.importer import import_file

    report = import_file(_open(url), cases, actor)
    sites = ", ".join(report.sites) or "no sites"
    imported = {"cases": report.cases, "sites": list(report.sites)}
    emit(as_json, imported, f"imported {report.cases} cases ({sites})")


@app.command(
    epilog="Examples: spinefx registry export backup/; "
    "spinefx registry export fhir-export/ --format fhir"
)
def export(
    directory: Annotated[
        Path,
        typer.Argument(
            help="The folder to write into: one CSV per table, or one NDJSON per FHIR "
            "resource type."
        ),
    ],
    format_: Annotated[
        ExportFormat,
        typer.Option(
            "--format", help="csv (every table) or fhir (the cases as FHIR R4, Bulk Data NDJSON)."
        ),
    ] = ExportFormat.CSV,
    url: UrlOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write one CSV file per table (no password hashes, tokens or sessions), or with
    --format fhir every case as FHIR R4 resources, one NDJSON file per resource type."""
    from spinefx.registry.permissions import Actor

    actor = Actor.command_line("export")
    if format_ is ExportFormat.FHIR:
        from spinefx.extras import require

        require("fhir", "the FHIR export")
        from spinefx.fhir.registry_io import export_fhir

        files = list(export_fhir(_open(url), directory, actor))
        if as_json:
            print_json(
                {
                    "files": [
                        {"path": str(f.path), "resource_type": f.resource_type, "count": f.count}
                        for f in files
                    ]
                }
            )
            return
        for written in files:
            typer.echo(f"{written.path}: {written.count} {written.resource_type}")
        return
    from spinefx.registry.exporter import export_csv

    tables = export_csv(_open(url), directory, actor)
    if as_json:
        print_json({"tables": [{"path": str(t.path), "rows": t.rows} for t in tables]})
        return
    for table in tables:
        typer.echo(f"{table.path}: {table.rows} rows")


def _user(session: Session, email: str) -> User:
    """The registry user of ``email``, else NotFound naming it."""
    from spinefx.errors import NotFound
    from spinefx.registry.users import user_by_email

    user = user_by_email(session, email)
    if user is None:
        raise NotFound(f"no registry user {email}")
    return user


@contextmanager
def _user_in_transaction(url: str | None, email: str) -> Iterator[tuple[Session, User]]:
    """A transaction on the registry and its user of ``email`` (NotFound naming it)."""
    registry = _open(url)
    with registry.transaction() as session:
        yield session, _user(session, email)


@token_app.command("create")
def token_create(
    email: Annotated[str, typer.Argument(help="The user the token acts for.")],
    label: Annotated[str, typer.Option(help="A note on what the token is for.")] = "",
    url: UrlOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create an API token; it is printed once, as the last word of the output."""
    from spinefx.registry.auth import create_token

    with _user_in_transaction(url, email) as (session, user):
        token = create_token(session, user, label=label)
    made = {"email": user.email, "label": label, "token": token}
    emit(as_json, made, f"API token for {user.email} (shown once, keep it secret): {token}")


@token_app.command("list", epilog="Example: spinefx registry token list nurse@example.org")
def token_list(
    email: Annotated[str, typer.Argument(help="The user whose tokens to list.")],
    url: UrlOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List a user's API tokens: number, prefix, label, made, last used, revoked."""
    from spinefx.registry.auth import list_tokens
    from spinefx.registry.permissions import Actor

    with _user_in_transaction(url, email) as (session, user):
        rows = list_tokens(session, Actor.command_line("token-list"), user)
        if as_json:
            print_json({"email": user.email, "tokens": [_token_json(row) for row in rows]})
            return
        if not rows:
            typer.echo(f"{user.email} has no API tokens")
            return
        typer.echo(f"API tokens of {user.email} (revoke one with `registry token revoke NUMBER`):")
        for row in rows:
            state = "revoked " + _when(row.revoked_at) if row.revoked_at else "active"
            used = _when(row.last_used_at) if row.last_used_at else "never"
            typer.echo(
                f"  {row.id:>5}  {row.prefix or '(no prefix)':<14} {state:<24} "
                f"made {_when(row.created_at)}, last used {used}"
                + (f"  {row.label}" if row.label else "")
            )


@token_app.command(
    "revoke",
    epilog="Example: spinefx registry token revoke 12\n"
    "or by the token's prefix: spinefx registry token revoke sfx_AbCd1234",
)
def token_revoke(
    token: Annotated[
        str,
        typer.Argument(
            metavar="TOKEN-ID",
            help="The token's number or prefix from `registry token list`, or the token.",
        ),
    ],
    url: UrlOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Revoke an API token: from the next request on it is refused (401)."""
    from spinefx.registry.auth import revoke_token
    from spinefx.registry.models import User
    from spinefx.registry.permissions import Actor

    registry = _open(url)
    with registry.transaction() as session:
        row = revoke_token(session, Actor.command_line("token-revoke"), token)
        user = session.get(User, row.user_id)
        owner = user.email if user else "?"
        revoked = {**_token_json(row), "email": user.email if user else None}
        emit(
            as_json, revoked, f"API token {row.id} ({row.prefix or 'no prefix'}) of {owner} revoked"
        )


def _token_json(row: Any) -> dict[str, Any]:
    """An API token's record as JSON (never the token or its hash)."""

    def moment(value: datetime | None) -> str | None:
        return None if value is None else value.isoformat()

    return {
        "id": row.id,
        "prefix": row.prefix,
        "label": row.label,
        "created_at": moment(row.created_at),
        "last_used_at": moment(row.last_used_at),
        "revoked_at": moment(row.revoked_at),
    }


def _when(moment: datetime | None) -> str:
    return "-" if moment is None else f"{moment:%Y-%m-%d %H:%M} UTC"


@app.command()
def kpi(
    from_: Annotated[
        str, typer.Option("--from", metavar="<date>", help="First index-fracture date, YYYY-MM-DD.")
    ],
    to: Annotated[
        str, typer.Option("--to", metavar="<date>", help="Last index-fracture date, YYYY-MM-DD.")
    ],
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", metavar="<date>", help="Count events up to this day (default: today)."
        ),
    ] = None,
    site: Annotated[
        str | None, typer.Option("--site", help="One site code (default: all).")
    ] = None,
    json_out: JsonOpt = False,
    url: UrlOpt = None,
) -> None:
    """The IOF Capture the Fracture patient-level KPIs for fractures dated FROM to TO."""
    from spinefx.registry.kpi import kpi_report
    from spinefx.registry.permissions import Actor

    start = _date("from", from_)
    end = _date("to", to)
    as_of_day = _date("as_of", as_of) if as_of else date.today()
    registry = _open(url)
    with registry.transaction() as session:
        report = kpi_report(
            session, Actor.command_line("kpi"), start=start, end=end, as_of=as_of_day, site=site
        )
    if json_out:
        print_json(report.as_json())
        return
    typer.echo(
        f"KPIs for index fractures {start} to {end}, events to {as_of_day}, "
        f"site {site or 'all'}: {report.cases} cases"
    )
    for item in report.kpis:
        value = "n/a" if item.percent is None else f"{item.percent:.1f} %"
        typer.echo(
            f"  {item.id:<27} {item.numerator:>6} / {item.denominator:<6} {value:>8}  "
            f"{item.band or ''}"
        )
    typer.echo(f"  completeness: {report.completeness_text}")


def _date(field: str, text: str) -> date:
    try:
        return date.fromisoformat(text) if len(text) == 10 else _bad_date(field, text)
    except ValueError:
        return _bad_date(field, text)


def _bad_date(field: str, text: str) -> date:
    raise InputError(field, text, "a date as YYYY-MM-DD", kind=ProblemKind.TYPE, expects="date")


@app.command()
def remind(
    today_: Annotated[
        str | None,
        typer.Option("--today", help="The day of the digest, YYYY-MM-DD (default: today)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print each digest instead of sending it.")
    ] = False,
    url: UrlOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """E-mail each coordinator the events of their cases overdue or due within two weeks
    (through SPINEFX_SMTP_HOST; run it daily, from cron or a timer)."""
    from spinefx.registry import reminders
    from spinefx.registry.models import User
    from spinefx.registry.users import actor_for
    from spinefx.settings import Settings

    day = _date("today", today_) if today_ else date.today()
    settings = Settings.from_environment()
    registry = _open(url)
    if dry_run:
        import sqlalchemy as sa

        with registry.transaction() as session:
            users = session.scalars(
                sa.select(User).where(User.active.is_(True), User.role == "coordinator")
            ).all()
            digests = []
            for user in sorted(users, key=lambda u: u.email):
                items = reminders.due_items(session, actor_for(user), day)
                subject, body = reminders.digest(items, day, settings.public_url)
                digests.append({"to": user.email, "subject": subject, "body": body})
        if as_json:
            print_json({"day": day.isoformat(), "sent": False, "digests": digests})
            return
        for d in digests:
            typer.echo(f"To: {d['to']}\nSubject: {d['subject']}\n\n{d['body']}")
        return
    server = settings.smtp_server
    if server is None:
        raise InputError(
            "SPINEFX_SMTP_HOST",
            "",
            "the host name of the SMTP server to send through (or use --dry-run)",
            kind=ProblemKind.MISSING,
        )
    import smtplib

    from spinefx.errors import DataError

    try:
        with registry.transaction() as session:
            sent = reminders.send_digests(session, server, day, base_url=settings.public_url)
    except (OSError, smtplib.SMTPException) as exc:
        raise DataError(
            f"could not send through SPINEFX_SMTP_HOST {server.host}:{server.port}: {exc}"
        ) from exc
    if as_json:
        print_json(
            {
                "day": day.isoformat(),
                "sent": True,
                "digests": [{"to": email, "events": count} for email, count in sent],
            }
        )
        return
    for email, count in sent:
        typer.echo(f"sent {email}: {count} event{'s' if count != 1 else ''} due")
    typer.echo(f"reminders: {len(sent)} digest{'s' if len(sent) != 1 else ''} sent")
