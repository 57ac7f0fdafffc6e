"""Readable (rich) renderings of the rule results for the terminal.

Each function takes a rule's result model and prints it; ``--json`` bypasses all of this.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from pydantic import BaseModel
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from spinefx.cli.output import console
from spinefx.dates import plain_date

STATUS_STYLE = {"met": "green", "not-met": "red", "unknown": "yellow", "not-applicable": "dim"}
OUTCOME_STYLE = {
    "emergency": "bold white on red",
    "urgent": "bold black on yellow",
    "possible-vcf": "bold cyan",
    "see-doctor": "bold cyan",
    "not-indicated": "bold",
    "incomplete": "bold yellow",
    "meets-criteria": "bold green",
    "does-not-meet": "bold red",
    "contraindicated": "bold white on red",
}


def _data(result: BaseModel) -> dict[str, Any]:
    return result.model_dump(mode="json")


def _outcome(label: str, outcome: str, words: str | None = None) -> None:
    """The result's headline: its words where the core has them, its id after them (the id
    ``--json`` gives)."""
    style = OUTCOME_STYLE.get(outcome, "bold")
    shown = f"{escape(words)} [dim]({outcome})[/]" if words else outcome
    console.print(f"{label}: [{style}] {shown} [/]")


def _print_criteria(
    criteria: list[dict[str, Any]], text: Callable[[str], str], title: str = "Criteria"
) -> None:
    """A criteria table in words (``text`` gives a criterion's words from its id; ``--json``
    keeps the ids) whose sources are numbered footnotes, so the table stays narrow."""
    numbers: dict[str, int] = {}
    for item in criteria:
        numbers.setdefault(item["source"], len(numbers) + 1)
    table = Table(title=title, title_justify="left")
    table.add_column("criterion", overflow="fold")
    table.add_column("status", no_wrap=True)
    table.add_column("source", justify="right")
    for item in criteria:
        status = item["status"]
        style = STATUS_STYLE.get(status, "")
        table.add_row(
            escape(text(item["id"])), f"[{style}]{status}[/]", f"[{numbers[item['source']]}]"
        )
    console.print(table)
    for source, number in numbers.items():
        console.print(f"  [dim][{number}] {source}[/]", highlight=False)


def _words(iso: str) -> str:
    """An ISO date of the JSON in plain words (``2027-03-01``: ``March 1, 2027``)."""
    return plain_date(date.fromisoformat(iso))


def _bullets(title: str, lines: list[str]) -> None:
    if lines:
        console.print(f"[bold]{title}[/]")
        for line in lines:
            console.print(f"  • {line}")


def screening(result: BaseModel) -> None:
    from spinefx.clinical.screening import OUTCOME_ACTIONS, RED_FLAG_SHORT, criterion_text

    data = _data(result)
    action = data.get("action") or OUTCOME_ACTIONS.get(data["outcome"])
    _outcome("Self-check", data["outcome"], action)
    _print_criteria(data["criteria"], criterion_text)
    if data["unanswered_red_flags"]:
        console.print(
            "[yellow]Warning signs not answered (not taken as 'no'):[/] "
            + escape("; ".join(RED_FLAG_SHORT.get(n, n) for n in data["unanswered_red_flags"]))
        )
    others = [n for n in data.get("to_answer", []) if not n.startswith("red_flags.")]
    if others:
        console.print(
            "[yellow]Questions not answered that could change this result:[/] "
            + escape(", ".join(others))
        )
    _bullets("Next steps", data["next_steps"])


def grading(result: BaseModel) -> None:
    """The grading table; it fits 80 columns whole (short headers, the type may wrap). The
    headline comes first (never "no fracture" while a level has no grade); the ``from``
    column, and a line under the table, name the levels graded from an entered percentage
    rather than measured heights."""
    from spinefx.clinical.morphometry import NOT_ASSESSED_REASON, GradingResult, headline

    data = _data(result)
    if isinstance(result, GradingResult):
        console.print(f"[bold]{escape(headline(result))}[/]")
    table = Table(
        title="Genant semi-quantitative grading",
        title_justify="left",
        caption="loss %: the height loss the grade is read from; wedge, biconcave, crush: "
        "the loss by each height ratio, in %; from: measured heights or an entered %",
        caption_justify="left",
    )
    for column in ("level", "grade", "type", "loss %", "wedge", "biconcave", "crush", "from"):
        words = column in ("type", "from")
        table.add_column(
            column,
            justify="left" if words else "right",
            no_wrap=not words,
            min_width=9 if words else None,
        )
    for v in data["vertebrae"]:
        losses = v["losses"]
        entered = v["graded_from"] == "entered-pct"
        ungraded = v["grade"] is None
        table.add_row(
            v["level"],
            "none" if ungraded else str(v["grade"]) + ("+" if not v["crush_assessed"] else ""),
            "not graded" if ungraded else (v["type"] or "-"),
            f"{v['height_loss_pct']:.1f}",
            *(
                "-" if losses is None else "n/a" if losses[k] is None else f"{losses[k]:.1f}"
                for k in ("wedge", "biconcave", "crush")
            ),
            "[bold]entered %[/]" if entered else "heights",
        )
    console.print(table)
    if data["entered_levels"]:
        console.print(
            "[bold]Graded from an entered height loss, not from measured heights:[/] "
            + ", ".join(data["entered_levels"])
        )
    if any(not v["crush_assessed"] for v in data["vertebrae"]):
        console.print(
            f"crush n/a: {NOT_ASSESSED_REASON.removeprefix('crush ')}. A grade marked + rests "
            "on the wedge or biconcave loss alone (a lower bound); 'none': not graded, never "
            "'normal'."
        )
    levels = ", ".join(data["sdi_levels"]) or "none"
    if data["sdi"] is None:
        console.print(
            "Spinal deformity index (T4-L4): [bold]not computed[/]: "
            + escape(data.get("sdi_reason") or "")
        )
    else:
        console.print(f"Spinal deformity index (T4-L4): [bold]{data['sdi']}[/] (levels: {levels})")


def candidacy(result: BaseModel) -> None:
    from spinefx.clinical.candidacy import CANDIDACY_OUTCOMES, criterion_text

    data = _data(result)
    verdict = data["outcome"]
    _outcome("Balloon kyphoplasty candidacy", verdict, CANDIDACY_OUTCOMES.get(verdict))
    _print_criteria(data["criteria"], criterion_text)
    cautions = [
        c["text"] if isinstance(c, dict) else str(c)
        for c in data.get("relative_contraindications", [])
    ]
    _bullets("Cautions (relative contraindications)", cautions)
    codes = data.get("codes", {})
    table = Table(title="Codes", title_justify="left")
    table.add_column("system")
    table.add_column("code")
    table.add_column("description", overflow="fold")
    for line in codes.get("cpt", []):
        level = f" ({line['level']})" if line.get("level") else ""
        table.add_row("CPT", line["code"], line["description"] + level)
    for line in codes.get("icd10cm", []):
        condition = f" [bold](if {line['applies_if']})[/]" if line.get("applies_if") else ""
        table.add_row("ICD-10-CM", line["code"], escape(line["description"]) + condition)
    console.print(table)
    if codes.get("criteria"):
        _print_criteria(codes["criteria"], criterion_text, title="What decides the diagnosis code")
    _bullets("Coding notes", codes.get("notes", []))
    _bullets("Documentation to keep", data.get("documentation", []))


def followup(result: BaseModel) -> None:
    from spinefx.clinical.followup import criterion_text

    data = _data(result)
    _outcome(f"Fracture risk (AACE 2020) on {_words(data['as_of'])}", data["risk"])
    _print_criteria(data["risk_reasons"], criterion_text, title="Very-high-risk criteria")
    console.print(
        f"Calcium: [bold]{data['calcium_mg_per_day']} mg/day[/]   "
        f"Vitamin D: [bold]{data['vitamin_d_iu_per_day']} IU/day[/]"
    )
    medication = data["medication"]
    console.print(f"[bold]Guideline:[/] {medication['guideline']}")
    console.print(f"[bold]Medication:[/] {medication['first_line']}")
    _bullets("Options", medication.get("options", []))
    _bullets("Avoid", medication.get("avoid", []))
    _bullets("Notes", medication.get("notes", []))
    _bullets("Before treatment", data.get("before_treatment", []))
    _bullets("How long", data.get("treatment_durations", []))
    _bullets("Lifestyle", data.get("lifestyle", []))
    table = Table(title="Fracture liaison checklist", title_justify="left")
    table.add_column("due")
    table.add_column("weeks", justify="right")
    table.add_column("item")
    for item in data["fls_checklist"]:
        due = _words(item["due_date"]) + (" [bold red]overdue[/]" if item["overdue"] else "")
        table.add_row(due, str(item["weeks"]), item["item"])
    console.print(table)
    console.print(f"FRAX (official calculator, not re-implemented here): {data['frax_url']}")


def pathway(result: BaseModel) -> None:
    data = getattr(result, "story", ())
    console.print(Panel("\n".join(data), title="The reference patient", expand=False))
    steps = (
        ("1. Self-check", screening, "screening"),
        ("2. Vertebral morphometry", grading, "grading"),
        ("3. Balloon kyphoplasty candidacy", candidacy, "candidacy"),
        ("4. Osteoporosis follow-up", followup, "followup"),
    )
    for title, render, attribute in steps:
        console.rule(f"[bold]{title}")
        render(getattr(result, attribute))


def _assessment_line(kind: str, result: dict[str, Any]) -> str:
    """One line for an assessment saved to a case, from the result as the core produced it."""
    if kind == "grading":
        graded = [v for v in result.get("vertebrae", []) if v.get("grade")]
        return (
            ", ".join(
                f"{v['level']} Genant grade {v['grade']} "
                f"({v['type']}, {v['height_loss_pct']:.0f} % height loss)"
                for v in graded
            )
            or "no fractured level"
        )
    if kind == "followup":
        return (
            f"risk {result.get('risk')}, calcium {result.get('calcium_mg_per_day')} mg/day, "
            f"{result.get('medication', {}).get('first_line', '')}"
        )
    return str(result.get("outcome", ""))


def reference_record(record: Any, where: str) -> None:
    """Her registry record: a :class:`spinefx.registry.reference.ReferenceRecord`."""
    case = record.case
    console.rule("[bold]5. The registry: her record at the fracture liaison service")
    console.print(f"[dim]Registry: {escape(where)}[/]", highlight=False)
    fictional = " [bold yellow](fictional patient, demo site)[/]" if case["fictional"] else ""
    console.print(
        f"Case {case['id']} at site {case['site']}: MRN {escape(case['mrn'])}, "
        f"{escape(case['name'])}, {case['sex']}, born {case['birth_date']}; "
        f"status {case['status']} (version {case['version']}){fictional}",
        highlight=False,
    )
    for f in case["fractures"]:
        where_ = ", ".join(f["levels"]) or f["site"]
        grade = "" if f["genant_grade"] is None else f", Genant grade {f['genant_grade']}"
        console.print(
            f"Fracture: {f['date']} {where_}, found by {f['found_by']}{grade}", highlight=False
        )
    table = Table(title="Assessments saved to the case", title_justify="left")
    for column in ("tool", "result", "spinefx"):
        table.add_column(column, overflow="fold")
    for a in record.assessments:
        table.add_row(
            a["kind"], escape(_assessment_line(a["kind"], a["result"])), a["spinefx_version"]
        )
    console.print(table)
    for p in case["procedures"]:
        cement = ", ".join(f"{level} {ml:g} ml" for level, ml in p["cement_ml"].items())
        console.print(
            f"Procedure: {p['date']} {p['kind']} of {', '.join(p['levels'])}, {p['approach']}, "
            f"cement {cement or 'not recorded'}, {p['anaesthesia']} anaesthesia, "
            f"complications: {', '.join(p['complications']) or 'none'}, "
            f"operator NPI {p['operator_npi'] or 'not recorded'}",
            highlight=False,
        )
    outcomes = Table(title="Outcomes (totals)", title_justify="left")
    for column in ("timepoint", "date", "pain NRS 0-10", "RDQ 0-24", "ODI %"):
        outcomes.add_column(column, justify="left" if column in ("timepoint", "date") else "right")
    visits: dict[tuple[str, str], dict[str, Any]] = {}
    for o in case["outcomes"]:
        visits.setdefault((o["date"], o["timepoint"] or ""), {})[o["instrument"]] = o["score"]
    for (day, timepoint), scores in sorted(visits.items()):
        outcomes.add_row(
            timepoint or "-", day, *(str(scores.get(i, "-")) for i in ("nrs", "rdq", "odi"))
        )
    console.print(outcomes)
    events = Table(title="Fracture liaison events", title_justify="left")
    for column in ("date", "event", "status", "note"):
        events.add_column(column, overflow="fold")
    for e in sorted(case["events"], key=lambda e: (e["date"], e["id"])):
        events.add_row(e["date"], e["type"], e["status"], escape(e["note"] or ""))
    console.print(events)
    row = record.next_event
    if row is None:
        console.print(f"Worklist on {record.today}: nothing due for her.")
    else:
        late = (
            f"[red]{row.days_overdue} days overdue[/]"
            if row.overdue
            else ("the last day: due today" if row.due_by == record.today else "not overdue")
        )
        console.print(
            f"Worklist on {record.today}: next [bold]{row.next_event}[/], due "
            f"{row.due_from} to {row.due_by} ({late})",
            highlight=False,
        )
    site, hers = record.site_kpis, record.her_kpis
    kpis = Table(
        title=f"KPIs, index fractures {site.start} to {site.end}, events to {site.as_of} "
        f"(site {site.site}: {site.cases} cases)",
        title_justify="left",
    )
    for column in ("KPI", "her case", "site", "percent", "band"):
        kpis.add_column(column, justify="left" if column in ("KPI", "her case") else "right")
    for mine, overall in zip(hers.kpis, site.kpis, strict=True):
        counted = (
            "[green]counted, done in time[/]"
            if mine.numerator
            else ("[red]counted, not done[/]" if mine.denominator else "[dim]not yet due[/]")
        )
        value = "n/a" if overall.percent is None else f"{overall.percent:.1f} %"
        kpis.add_row(
            mine.id,
            counted,
            f"{overall.numerator}/{overall.denominator}",
            value,
            overall.band or "",
        )
    console.print(kpis)
