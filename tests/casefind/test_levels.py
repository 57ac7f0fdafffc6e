import pytest

from spinefx.casefind.levels import find_levels, find_regions


@pytest.mark.parametrize(
    ("text", "levels"),
    [
        ("T12", ["T12"]),
        ("L1", ["L1"]),
        ("T-8", ["T8"]),
        ("T11-12", ["T11", "T12"]),
        ("T11-L1", ["T11", "T12", "L1"]),
        ("T6 through T9", ["T6", "T7", "T8", "T9"]),
        ("T8, T9 and T12", ["T8", "T9", "T12"]),
        ("the first lumbar vertebra", ["L1"]),
        ("the twelfth thoracic vertebral body", ["T12"]),
        ("T13 and L6 do not exist", []),
        ("C5 and S1 are outside the thoracolumbar spine", []),
        ("T2-weighted images", []),
        ("hyperintense on T2 and T1 images", []),
        ("the T2 vertebral body", ["T2"]),
        ("L5-S1 disc", ["L5"]),
    ],
)
def test_levels_as_written(text, levels):
    assert find_levels(text) == levels


@pytest.mark.parametrize(
    ("text", "levels", "regions"),
    [
        ("the midthoracic spine", [], ["thoracic"]),
        ("a lower thoracic or upper lumbar vertebra", [], ["thoracic", "lumbar"]),
        ("the thoracolumbar junction", [], ["thoracic", "lumbar"]),
        ("", ["T12", "L1"], ["thoracic", "lumbar"]),
        ("", ["L3"], ["lumbar"]),
        ("the vertebral body", [], []),
    ],
)
def test_regions(text, levels, regions):
    assert find_regions(text, levels) == regions
