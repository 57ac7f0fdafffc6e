"""The server-drawn lateral spine: compact, every level named, outlines readable."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from spinefx.clinical.spine import Level
from spinefx.web.spine_svg import (
    DRAWN_LEVELS,
    GRADE_COLOURS,
    UNMEASURED_COLOUR,
    Body,
    lateral_spine_svg,
)

SVG = "{http://www.w3.org/2000/svg}"


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _parse(bodies: dict[Level, Body]) -> ET.Element:
    return ET.fromstring(str(lateral_spine_svg(bodies)))


def test_every_level_has_one_path_named_by_data_level() -> None:
    root = _parse({Level.L2: Body(18.0, 21.0, 27.0, 2)})
    paths = [p for p in root.iter(f"{SVG}path") if p.get("data-level")]
    assert [p.get("data-level") for p in paths] == [level.value for level in DRAWN_LEVELS]
    graded = {p.get("data-level"): p.get("data-grade") for p in paths if p.get("data-grade")}
    assert graded == {"L2": "2"}


def test_the_drawing_fits_a_desktop_screen() -> None:
    every = {level: Body(30.0, 30.0, 30.0, 0) for level in DRAWN_LEVELS}
    tallest = {level: Body(80.0, 80.0, 80.0, 0) for level in DRAWN_LEVELS}
    for bodies in ({}, every, tallest):
        root = _parse(bodies)
        height = float(root.get("height", "0"))
        assert 0 < height <= 860, height
        assert root.get("viewBox", "").endswith(f" {root.get('height')}")


def test_unmeasured_outline_has_at_least_3_to_1_contrast_on_white() -> None:
    assert re.fullmatch(r"#[0-9a-f]{6}", UNMEASURED_COLOUR)
    ratio = (1.0 + 0.05) / (_luminance(UNMEASURED_COLOUR) + 0.05)
    assert ratio >= 3.0, ratio
    assert f'stroke="{UNMEASURED_COLOUR}"' in str(lateral_spine_svg({}))


def test_no_style_attributes() -> None:
    assert "style=" not in str(lateral_spine_svg({Level.L1: Body(20.0, 20.0, 20.0, 1)}))


def test_a_level_not_graded_because_its_crush_was_not_assessed_is_not_drawn_as_normal() -> None:
    svg = str(lateral_spine_svg({Level.L2: Body(18.0, 18.0, 18.0, None, crush_assessed=False)}))
    root = ET.fromstring(svg)
    l2 = next(p for p in root.iter(f"{SVG}path") if p.get("data-level") == "L2")
    assert l2.get("data-crush") == "not-assessed"
    assert l2.get("fill") != GRADE_COLOURS[0]
    assert ">crush not assessed</text>" in svg
    assert "L2 not graded (crush not assessed)" in svg
    assert l2.get("data-grade") == "none"
    assert "(normal)" not in svg
    wedged = Body(18.0, 28.0, 28.0, 2, crush_assessed=False)
    lower_bound = str(lateral_spine_svg({Level.L2: wedged}))
    assert ">grade 2+</text>" in lower_bound
    judged = str(lateral_spine_svg({Level.L2: Body(28.0, 28.0, 28.0, 0)}))
    assert "L2 grade 0 (normal)" in judged
