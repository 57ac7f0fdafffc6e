"""docs/registry.md states the rules the code applies: the role table and the KPI windows."""

from __future__ import annotations

from pathlib import Path

from spinefx.registry.permissions import RIGHTS, Action
from spinefx.registry.vocab import EVENT_ORDER, Role

DOC = Path(__file__).resolve().parents[2] / "docs" / "registry.md"

ROWS = {
    "read cases, worklist, KPIs": (Action.READ_CASES, Action.READ_KPIS),
    "add and edit cases, fractures, accept or dismiss case-finding hits": (Action.WRITE_CASES,),
    "record FLS events and outcome scores": (Action.WRITE_EVENTS, Action.WRITE_OUTCOMES),
    "record procedures, save clinical-tool results to a case": (
        Action.WRITE_PROCEDURES,
        Action.WRITE_ASSESSMENTS,
    ),
    "read the audit log": (Action.READ_AUDIT,),
    "manage the users of their sites": (Action.MANAGE_USERS,),
}


def test_the_role_table_matches_the_rights_the_code_checks():
    table = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0] in ROWS:
            table[cells[0]] = dict(
                zip(["admin", "clinician", "coordinator", "auditor"], cells[1:], strict=True)
            )
    assert set(table) == set(ROWS)
    for row, actions in ROWS.items():
        for action in actions:
            for role in Role:
                assert (table[row][role.value] == "yes") == (role in RIGHTS[action]), (row, role)


def test_the_doc_names_every_event_type_and_the_settings():
    text = DOC.read_text(encoding="utf-8")
    for kind in EVENT_ORDER:
        assert f"`{kind.value}`" in text
    for name in (
        "SPINEFX_DATABASE_URL",
        "SPINEFX_TEST_DATABASE_URL",
        "SPINEFX_REQUIRE_POSTGRES",
        "SPINEFX_HTTPS",
        "SPINEFX_FORWARDED_ALLOW_IPS",
        "pg_dump",
    ):
        assert name in text
