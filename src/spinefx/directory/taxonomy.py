"""Our specialties and the NUCC taxonomy codes that map to them.

Only the codes we map are shipped, with our own short labels (the full NUCC list is
copyrighted). Taxonomy is self-reported by providers: it says what a provider declares, not
what they do; procedure volume comes from Medicare data (:mod:`spinefx.directory.utilization`).

>>> TAXONOMY_TO_SPECIALTY["207XS0117X"]
'orthopedic-surgery'
>>> BKP_SPECIALTIES[0]
'orthopedic-surgery'
"""

from __future__ import annotations

__all__ = [
    "BKP_SPECIALTIES",
    "SPECIALTIES",
    "SPECIALTY_BITS",
    "TAXONOMY_LABELS",
    "TAXONOMY_TO_SPECIALTY",
    "specialty_mask",
]

# Our specialty ids, in display order, with a plain label.
SPECIALTIES: dict[str, str] = {
    "orthopedic-surgery": "Orthopedic surgery",
    "neurosurgery": "Neurosurgery",
    "interventional-radiology": "Interventional radiology",
    "pain-medicine": "Pain medicine",
    "endocrinology": "Endocrinology",
    "rheumatology": "Rheumatology",
    "rehabilitation": "Physical medicine and rehabilitation",
    "primary-care": "Primary care",
}

# The four kinds of specialist who perform balloon kyphoplasty: the default search.
BKP_SPECIALTIES: tuple[str, ...] = (
    "orthopedic-surgery",
    "neurosurgery",
    "interventional-radiology",
    "pain-medicine",
)

# One bit per specialty: providers store the OR of their specialties' bits, searched with `&`.
SPECIALTY_BITS: dict[str, int] = {sid: 1 << i for i, sid in enumerate(SPECIALTIES)}

# NUCC code -> (our specialty id, our label for the code). Source: HL7 NUCC provider value set,
# as listed in the project's directory reference.
_CODES: dict[str, tuple[str, str]] = {
    "207X00000X": ("orthopedic-surgery", "Orthopaedic surgery"),
    "207XS0117X": ("orthopedic-surgery", "Orthopaedic surgery of the spine"),
    "207XX0801X": ("orthopedic-surgery", "Orthopaedic trauma"),
    "207T00000X": ("neurosurgery", "Neurological surgery"),
    "2085R0204X": ("interventional-radiology", "Vascular and interventional radiology"),
    "2085N0700X": ("interventional-radiology", "Neuroradiology"),
    "207LP2900X": ("pain-medicine", "Pain medicine (anesthesiology)"),
    "2081P2900X": ("pain-medicine", "Pain medicine (physical medicine and rehabilitation)"),
    "2084P2900X": ("pain-medicine", "Pain medicine (psychiatry and neurology)"),
    "208VP0000X": ("pain-medicine", "Pain medicine"),
    "208VP0014X": ("pain-medicine", "Interventional pain medicine"),
    "208100000X": ("rehabilitation", "Physical medicine and rehabilitation"),
    "207RE0101X": ("endocrinology", "Endocrinology, diabetes and metabolism"),
    "207RR0500X": ("rheumatology", "Rheumatology"),
    "207Q00000X": ("primary-care", "Family medicine"),
    "207R00000X": ("primary-care", "Internal medicine"),
    "208D00000X": ("primary-care", "General practice"),
    "207RG0300X": ("primary-care", "Geriatric medicine (internal medicine)"),
    "207QG0300X": ("primary-care", "Geriatric medicine (family medicine)"),
}

TAXONOMY_TO_SPECIALTY: dict[str, str] = {code: sid for code, (sid, _) in _CODES.items()}
TAXONOMY_LABELS: dict[str, str] = {code: label for code, (_, label) in _CODES.items()}


def specialty_mask(specialties: tuple[str, ...] | list[str]) -> int:
    """The OR of the bits of ``specialties`` (ids from :data:`SPECIALTIES`)."""
    mask = 0
    for sid in specialties:
        mask |= SPECIALTY_BITS[sid]
    return mask
