"""Three-valued (Kleene) helpers: all_of, any_of, at_least, and the criterion record."""

from __future__ import annotations

from itertools import product

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spinefx.clinical.criteria import (
    Status,
    Tri,
    all_of,
    any_of,
    at_least,
    criterion,
    status_of,
)

T, F, U = True, False, None

AND_TABLE = [
    (T, T, T),
    (T, F, F),
    (T, U, U),
    (F, T, F),
    (F, F, F),
    (F, U, F),
    (U, T, U),
    (U, F, F),
    (U, U, U),
]
OR_TABLE = [
    (T, T, T),
    (T, F, T),
    (T, U, T),
    (F, T, T),
    (F, F, F),
    (F, U, U),
    (U, T, T),
    (U, F, U),
    (U, U, U),
]


@pytest.mark.parametrize(("a", "b", "expected"), AND_TABLE)
def test_all_of_truth_table(a: Tri, b: Tri, expected: Tri) -> None:
    assert all_of([a, b]) is expected


@pytest.mark.parametrize(("a", "b", "expected"), OR_TABLE)
def test_any_of_truth_table(a: Tri, b: Tri, expected: Tri) -> None:
    assert any_of([a, b]) is expected


def test_empty_and_is_true_and_empty_or_is_false() -> None:
    assert all_of([]) is True
    assert any_of([]) is False


def test_helpers_accept_any_iterable() -> None:
    assert all_of(iter([T, U])) is None
    assert any_of(v for v in (F, T)) is True


@pytest.mark.parametrize(
    ("count", "values", "expected"),
    [
        (2, [T, T, F], T),
        (2, [T, F, F], F),
        (2, [T, U, F], U),
        (2, [U, U, F], U),
        (2, [U, F, F], F),
        (2, [T, T, U], T),
        (3, [T, T, U], U),
        (3, [T, T, F], F),
        (1, [F, F, F], F),
        (1, [U, U, U], U),
        (0, [], T),
        (0, [F, F], T),
        (1, [], F),
        (4, [T, T, T], F),
    ],
)
def test_at_least_table(count: int, values: list[Tri], expected: Tri) -> None:
    assert at_least(count, values) is expected


# Kleene logic orders the values False < unknown < True: AND is the minimum, OR the maximum.
_RANK = {F: 0, U: 1, T: 2}
tri = st.sampled_from([T, F, U])


@given(st.lists(tri, max_size=8))
def test_all_of_is_the_minimum_and_any_of_the_maximum(values: list[Tri]) -> None:
    assert all_of(values) is min([T, *values], key=_RANK.__getitem__)
    assert any_of(values) is max([F, *values], key=_RANK.__getitem__)


@given(st.integers(0, 6), st.lists(tri, max_size=6))
def test_at_least_is_known_only_when_every_way_of_answering_agrees(
    count: int, values: list[Tri]
) -> None:
    unknown = [i for i, v in enumerate(values) if v is None]
    outcomes = set()
    for answers in product([T, F], repeat=len(unknown)):
        filled = list(values)
        for i, answer in zip(unknown, answers, strict=True):
            filled[i] = answer
        outcomes.add(sum(1 for v in filled if v) >= count)
    expected = outcomes.pop() if len(outcomes) == 1 else None
    assert at_least(count, values) is expected


@pytest.mark.parametrize(
    ("value", "status"), [(T, Status.MET), (F, Status.NOT_MET), (U, Status.UNKNOWN)]
)
def test_status_and_criterion_record_the_value(value: Tri, status: Status) -> None:
    assert status_of(value) is status
    record = criterion("x", value, "a source")
    assert record.model_dump(mode="json") == {
        "id": "x",
        "status": status.value,
        "source": "a source",
    }
