"""``/registry/kpi``: the IOF Capture the Fracture KPIs of a period, each with its monthly chart
and table, for one site or all of the user's."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from fastapi import APIRouter, Request
from starlette.responses import Response

from spinefx.clinical.followup import EARLIEST_FRACTURE_DATE as EARLIEST_DATE
from spinefx.clinical.followup import LATEST_DATE
from spinefx.registry import kpi, users
from spinefx.web.chart_svg import Band, Chart, Series, line_chart_svg
from spinefx.web.deps import LoginDep, RegistryDep
from spinefx.web.registry.pages import PREFIX, page, today

__all__ = ["router"]

router = APIRouter(prefix=PREFIX, include_in_schema=False)

KPI_NAMES = {
    "risk-assessment": "Fracture risk assessed within 12 weeks",
    "dxa": "DXA within 12 weeks",
    "falls-assessment": "Falls risk assessed within 12 weeks",
    "medication-recommended": "Medication recommended within 16 weeks",
    "exercise-started": "Exercise started within 16 weeks",
    "monitoring": "Monitoring contact within 16 weeks",
    "medication-started": "Medication started within 16 weeks",
    "on-medication-at-52-weeks": "On medication at 52 weeks (weeks 48-56)",
}
BAND_CLASSES = {"<50": "low", "50-80": "middle", ">=50": "high", ">80": "high"}
KPI_BANDS = (
    Band(0, 50, "<50 %", "#fbe3df"),
    Band(50, 80, "50-80 %", "#fdf1c7"),
    Band(80, 100, ">80 %", "#dcefdc"),
)


def _as_shown(day: date | str) -> str:
    """A date as the date box shows it (US: month/day/year)."""
    shown = date.fromisoformat(str(day))
    return f"{shown.month:02d}/{shown.day:02d}/{shown.year}"


def _date_param(
    params: Mapping[str, str], name: str, default: date, errors: dict[str, str]
) -> date:
    raw = params.get(name, "").strip()
    if not raw:
        return default
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        day = None
    if day is None or not EARLIEST_DATE <= day <= LATEST_DATE:
        errors[name] = (
            f"Enter a real date as month/day/year, from {_as_shown(EARLIEST_DATE)} to "
            f"{_as_shown(LATEST_DATE)}."
        )
        return default
    return day


@router.api_route("/kpi", methods=["GET", "HEAD"])
def kpi_page(request: Request, login: LoginDep, registry: RegistryDep) -> Response:
    params = request.query_params
    now = today()
    errors: dict[str, str] = {}
    # The last 12 months by default: from the day after the same date a year ago, to today.
    year_ago = now.replace(
        year=now.year - 1, day=28 if (now.month, now.day) == (2, 29) else now.day
    )
    start = _date_param(params, "from", year_ago + timedelta(days=1), errors)
    end = _date_param(params, "to", now, errors)
    as_of = _date_param(params, "as_of", now, errors)
    site = params.get("site") or None
    if end < start:
        errors["to"] = "The end of the period must be on or after its start."
        end = start
    if (end - start).days > 3 * 366:
        errors["to"] = "Choose a period of at most three years."
        end = start + timedelta(days=3 * 366)
    with registry.transaction() as session:
        sites = users.list_sites(session, login.actor)
        if site is not None and site not in {s.code for s in sites}:
            errors["site"] = "Choose one of your sites."
            site = None
        report = kpi.kpi_report(session, login.actor, start=start, end=end, as_of=as_of, site=site)
        months = kpi.kpi_monthly(session, login.actor, start=start, end=end, as_of=as_of, site=site)
    charts = []
    for index, item in enumerate(report.kpis):
        points = tuple((month, m.kpis[index].percent) for month, m in months)
        svg = line_chart_svg(
            Chart(
                f"{KPI_NAMES[item.id]}, by month of the index fracture",
                0,
                100,
                (Series(item.id, points),),
                unit=" %",
                bands=KPI_BANDS,
                y_ticks=(0, 25, 50, 75, 100),
                dom_id=f"kpi-{item.id}",
            )
        )
        rows = [(month, m.kpis[index]) for month, m in months]
        charts.append((item, svg, rows))
    return page(
        request,
        "registry/kpi.html",
        {
            "report": report,
            "charts": charts,
            "names": KPI_NAMES,
            "band_classes": BAND_CLASSES,
            "sites": sites,
            "chosen": {
                "from": start.isoformat(),
                "to": end.isoformat(),
                "as_of": as_of.isoformat(),
                "site": site or "",
            },
            "errors": errors,
        },
        login=login,
        status=422 if errors else 200,
    )
