"""docs/deploy.md names every setting, every metric and both deployment files, so that an
operator reading it misses nothing the code offers."""

from __future__ import annotations

import re
from pathlib import Path

from spinefx.settings import Settings
from spinefx.web.ops import instruments

REPO = Path(__file__).resolve().parents[2]
DEPLOY = (REPO / "docs" / "deploy.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_table() -> None:
    missing = [
        f"SPINEFX_{name.upper()}"
        for name in Settings.model_fields
        if f"`SPINEFX_{name.upper()}`" not in DEPLOY
    ]
    assert missing == []


def test_every_metric_is_described() -> None:
    source = Path(instruments.__file__).read_text(encoding="utf-8")
    names = set(re.findall(r'"(spinefx_[a-z_]+)"', source))
    assert len(names) >= 8
    counters = {"spinefx_http_requests", *(n for n in names if "found" in n or "dismiss" in n)}
    counters.add("spinefx_directory_weekly_updates")
    for name in names:
        shown = f"{name}_total" if name in counters else name
        assert f"`{shown}" in DEPLOY, shown


def test_the_deployment_files_it_links_exist() -> None:
    for link in re.findall(r"\]\(\.\./(deploy/[^)]+)\)", DEPLOY):
        assert (REPO / link).is_file(), link
    assert "deploy/spinefx.service" in DEPLOY and "deploy/nginx-spinefx.conf" in DEPLOY
