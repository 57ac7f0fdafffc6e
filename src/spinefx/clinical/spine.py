"""Vertebral levels of the thoracolumbar spine, in order from the head down.

T12 is adjacent to L1. Cervical and sacral levels are outside every spinefx rule.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["SDI_LEVELS", "Level", "SpinalLevel", "adjacent_levels"]


class Level(StrEnum):
    T1 = "T1"
    T2 = "T2"
    T3 = "T3"
    T4 = "T4"
    T5 = "T5"
    T6 = "T6"
    T7 = "T7"
    T8 = "T8"
    T9 = "T9"
    T10 = "T10"
    T11 = "T11"
    T12 = "T12"
    L1 = "L1"
    L2 = "L2"
    L3 = "L3"
    L4 = "L4"
    L5 = "L5"

    @classmethod
    def _missing_(cls, value: object) -> Level | None:
        """A level in any case, with spaces around it: ``"l2"`` and ``" L2 "`` are L2.

        >>> Level("l2"), Level(" t12 ")
        (<Level.L2: 'L2'>, <Level.T12: 'T12'>)
        """
        if isinstance(value, str):
            found = cls.__members__.get(value.strip().upper())
            if found is not None:
                return found
        return None

    @property
    def position(self) -> int:
        """Position from the head down: T1 is 0, L5 is 16."""
        return _ORDER[self]

    @property
    def is_thoracic(self) -> bool:
        return self.value.startswith("T")

    @property
    def is_lumbar(self) -> bool:
        return self.value.startswith("L")


_ORDER: dict[Level, int] = {level: i for i, level in enumerate(Level)}
_BY_INDEX: list[Level] = list(Level)

# The spinal deformity index sums Genant grades over T4-L4 (13 vertebrae), per Kerkeni 2009.
SDI_LEVELS: tuple[Level, ...] = tuple(_BY_INDEX[Level.T4.position : Level.L4.position + 1])


def adjacent_levels(level: Level) -> tuple[Level, ...]:
    """The level directly above and the one directly below, where they exist (T1-L5)."""
    i = level.position
    return tuple(_BY_INDEX[j] for j in (i - 1, i + 1) if 0 <= j < len(_BY_INDEX))


# Any named vertebra, for inputs that may name one outside T1-L5 (a rule then says why it
# does not count): built from Level, so the thoracolumbar names are written once.
SPINAL_LEVEL_NAMES: tuple[str, ...] = (
    *(f"C{i}" for i in range(1, 8)),
    *(level.value for level in Level),
    *(f"S{i}" for i in range(1, 6)),
)
SpinalLevel = StrEnum(  # type: ignore[misc]
    "SpinalLevel", [(name, name) for name in SPINAL_LEVEL_NAMES], module=__name__
)
SpinalLevel.__doc__ = "Any named vertebra, C1 to S5. Only T1-L5 can meet the coverage criteria."
