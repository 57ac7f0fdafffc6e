"""One report's case-finding result, as the output files and the registry carry it.

The record, per report::

    {"id", "patient", "vcf": "present" | "uncertain" | "absent", "levels": ["T6", ...],
     "regions": ["thoracic" | "lumbar"], "acuity": "acute" | "chronic" | "indeterminate" | null,
     "severity": "mild" | "moderate" | "severe" | null, "treated": bool,
     "evidence": [{"text", "start", "end", "status": "present" | "negated" | "uncertain"
                   | "historical"}]}

``start`` and ``end`` are character offsets into the report text as read (the text columns
joined, see :func:`spinefx.casefind.text.join_sections`).

Reports read from Bulk FHIR NDJSON carry one more field, ``date``: the report's date as the
resource gives it (``DiagnosticReport.effectiveDateTime``, ``DocumentReference.date``...), so
that a finding can be dated without going back to the export (:data:`DATED_ARROW_SCHEMA`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

import pyarrow as pa

__all__ = [
    "ARROW_SCHEMA",
    "DATED_ARROW_SCHEMA",
    "DATE_FIELD",
    "Evidence",
    "EvidenceStatus",
    "Finding",
    "Vcf",
    "from_dict",
]


class Vcf(StrEnum):
    PRESENT = "present"
    UNCERTAIN = "uncertain"
    ABSENT = "absent"


class EvidenceStatus(StrEnum):
    PRESENT = "present"
    NEGATED = "negated"
    UNCERTAIN = "uncertain"
    HISTORICAL = "historical"


@dataclass(frozen=True)
class Evidence:
    """The words relied on: their text, character span in the report and status."""

    text: str
    start: int
    end: int
    status: str


@dataclass(frozen=True)
class Finding:
    """What one report says about vertebral fractures."""

    id: str
    patient: str | None
    vcf: str
    levels: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    acuity: str | None = None
    severity: str | None = None
    treated: bool = False
    evidence: tuple[Evidence, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """The record as plain JSON-ready values (lists, not tuples)."""
        data = asdict(self)
        data["levels"] = list(self.levels)
        data["regions"] = list(self.regions)
        data["evidence"] = [asdict(e) for e in self.evidence]
        return data


def from_dict(data: dict[str, Any]) -> Finding:
    """A :class:`Finding` back from :meth:`Finding.to_dict` (or an output row)."""
    return Finding(
        id=str(data["id"]),
        patient=None if data.get("patient") is None else str(data["patient"]),
        vcf=str(data["vcf"]),
        levels=tuple(data.get("levels") or ()),
        regions=tuple(data.get("regions") or ()),
        acuity=data.get("acuity"),
        severity=data.get("severity"),
        treated=bool(data.get("treated")),
        evidence=tuple(Evidence(**e) for e in data.get("evidence") or ()),
    )


ARROW_SCHEMA = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("patient", pa.string()),
        pa.field("vcf", pa.string(), nullable=False),
        pa.field("levels", pa.list_(pa.string())),
        pa.field("regions", pa.list_(pa.string())),
        pa.field("acuity", pa.string()),
        pa.field("severity", pa.string()),
        pa.field("treated", pa.bool_(), nullable=False),
        pa.field(
            "evidence",
            pa.list_(
                pa.struct(
                    [
                        pa.field("text", pa.string()),
                        pa.field("start", pa.int32()),
                        pa.field("end", pa.int32()),
                        pa.field("status", pa.string()),
                    ]
                )
            ),
        ),
    ]
)

DATE_FIELD = pa.field("date", pa.string())
"""The report's date, carried from the input to the record when the input has one (FHIR)."""
DATED_ARROW_SCHEMA = ARROW_SCHEMA.append(DATE_FIELD)
