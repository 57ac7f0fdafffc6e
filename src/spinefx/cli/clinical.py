"""``spinefx screen|grade|candidacy|followup FILE``: the four clinical rules from JSON input."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel

from spinefx.cli.output import JsonOpt, json_example, print_json
from spinefx.validation import load_json_file, parse_input

FileArg = Annotated[
    Path, typer.Argument(help="JSON input file, or - to read standard input.", show_default=False)
]


def read_input(model: type[BaseModel], file: Path) -> Any:
    stdin = _read_stdin() if str(file) == "-" else None
    return parse_input(model, load_json_file(file, stdin=stdin))


def _read_stdin() -> bytes | str:
    """Standard input as bytes (decoded, strictly, by the JSON reader), or as text when it is
    not a byte stream (a test's StringIO)."""
    buffer = getattr(sys.stdin, "buffer", None)
    return buffer.read() if buffer is not None else sys.stdin.read()


def emit(result: BaseModel, as_json: bool, render: Callable[[Any], None]) -> None:
    if as_json:
        print_json(result)
    else:
        render(result)


def register(app: typer.Typer) -> None:
    """Add the clinical commands to ``app``."""
    from spinefx.clinical.pathway import (
        REFERENCE_CANDIDACY,
        REFERENCE_FOLLOWUP,
        REFERENCE_HEIGHTS,
        REFERENCE_SCREENING,
    )

    @app.command(epilog=json_example("screen", REFERENCE_SCREENING))
    def screen(file: FileArg, as_json: JsonOpt = False) -> None:
        """Self-check for a possible vertebral compression fracture (red flags first)."""
        from spinefx.cli import render
        from spinefx.clinical.screening import ScreeningInput, screen

        emit(screen(read_input(ScreeningInput, file)), as_json, render.screening)

    @app.command(epilog=json_example("grade", REFERENCE_HEIGHTS))
    def grade(file: FileArg, as_json: JsonOpt = False) -> None:
        """Vertebral morphometry: Genant grade per vertebra and the spinal deformity index.

        Three heights per measured vertebra ("vertebrae"); where the heights are not at hand,
        a level's height loss in % ("entered": [{"level": "L2", "height_loss_pct": 30}]),
        marked in the result as entered, not measured.
        """
        from spinefx.cli import render
        from spinefx.clinical.morphometry import GradingInput, grade

        emit(grade(read_input(GradingInput, file)), as_json, render.grading)

    @app.command(epilog=json_example("candidacy", {**REFERENCE_CANDIDACY, "height_loss_pct": 33.3}))
    def candidacy(file: FileArg, as_json: JsonOpt = False) -> None:
        """Balloon kyphoplasty candidacy against the Medicare coverage criteria, with codes."""
        from spinefx.cli import render
        from spinefx.clinical.candidacy import CandidacyInput, assess

        emit(assess(read_input(CandidacyInput, file)), as_json, render.candidacy)

    @app.command(epilog=json_example("followup", REFERENCE_FOLLOWUP))
    def followup(file: FileArg, as_json: JsonOpt = False) -> None:
        """Osteoporosis follow-up plan after a fragility vertebral fracture."""
        from spinefx.cli import render
        from spinefx.clinical.followup import FollowupInput, plan

        emit(plan(read_input(FollowupInput, file)), as_json, render.followup)

    @app.command(epilog="Example: spinefx demo")
    def demo(
        registry_url: Annotated[
            str | None,
            typer.Option(
                "--registry",
                metavar="<url>",
                help="Registry database URL to seed and read (default: a temporary SQLite "
                "file, removed at the end; your own registry is never touched).",
                show_default=False,
            ),
        ] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Walk the reference patient through the four rules, then show her registry record."""
        import tempfile

        from spinefx.cli import render
        from spinefx.clinical.pathway import reference_patient_pathway

        pathway = reference_patient_pathway()
        if not as_json:
            render.pathway(pathway)
        with tempfile.TemporaryDirectory(prefix="spinefx-demo-") as folder:
            temporary = registry_url is None
            url = registry_url or f"sqlite:///{Path(folder) / 'registry.sqlite3'}"
            record, where = _reference_record(url)
        if as_json:
            print_json(
                {
                    "pathway": pathway.model_dump(mode="json"),
                    "registry": {"url": where, "temporary": temporary},
                    "record": _record_json(record),
                }
            )
        else:
            render.reference_record(
                record, f"{where} (temporary, removed now)" if temporary else where
            )


def _record_json(record: Any) -> dict[str, Any]:
    """Her registry record as JSON: the KPI reports as ``registry kpi --json`` prints them."""
    from pydantic_core import to_jsonable_python

    return {
        "today": record.today.isoformat(),
        "case": to_jsonable_python(record.case),
        "assessments": to_jsonable_python(record.assessments),
        "next_event": to_jsonable_python(record.next_event),
        "site_kpis": record.site_kpis.as_json(),
        "her_kpis": record.her_kpis.as_json(),
    }


def _reference_record(url: str) -> tuple[Any, str]:
    """Seed the demo site in the registry at ``url``, log in as its demo user, read her case."""
    from spinefx.registry import auth
    from spinefx.registry.db import Registry
    from spinefx.registry.reference import REFERENCE_TODAY, reference_record
    from spinefx.registry.seed import seed_demo

    registry = Registry.open(url)
    try:
        registry.init()
        login = seed_demo(registry, today=REFERENCE_TODAY)
        actor = auth.login(registry, login.email, login.password).actor
        with registry.transaction() as session:
            record = reference_record(session, actor, today=REFERENCE_TODAY)
        return record, registry.engine.url.render_as_string(hide_password=True)
    finally:
        registry.dispose()
