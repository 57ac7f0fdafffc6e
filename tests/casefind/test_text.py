import pytest

from spinefx.casefind.text import SECTION_BREAK, join_sections


@pytest.mark.parametrize(
    ("parts", "joined"),
    [
        (["Findings.", "Impression."], "Findings." + SECTION_BREAK + "Impression."),
        (["deformity of the", "T12 vertebral body."], "deformity of the T12 vertebral body."),
        (["There is a wedge deformity", "at T8."], "There is a wedge deformity at T8."),
        (
            ["No acute fracture", "Mild T8 wedging."],
            "No acute fracture" + SECTION_BREAK + "Mild T8 wedging.",
        ),
        (["Only findings.", None, "  "], "Only findings."),
        ([None, "Only impression."], "Only impression."),
        ([], ""),
    ],
)
def test_sections_join(parts, joined):
    assert join_sections(parts) == joined
