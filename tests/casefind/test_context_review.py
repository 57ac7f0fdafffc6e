"""The sentences of the second clinical review (issue 20, item 5), each with what it must give.

Every row is a sentence the rules got wrong before; the row says the report's status, its
levels, its acuity and whether the fracture was treated. ``None`` for acuity means the sentence
says nothing about the fracture's age.
"""

import pytest

# (case, report text, vcf, levels, acuity, treated)
CASES = [
    # present, missed: a history stated in the indication is evidence, a question is not
    (
        "indication history of kyphoplasty",
        "Indication: history of T12 kyphoplasty.",
        "present",
        ["T12"],
        None,
        True,
    ),
    (
        "reason for exam known fracture",
        "Reason for exam: known T12 compression fracture. Impression: stable.",
        "present",
        ["T12"],
        "chronic",
        False,
    ),
    (
        "no evidence of interval change",
        "There is no evidence of interval change in the L1 compression fracture.",
        "present",
        ["L1"],
        "chronic",
        False,
    ),
    (
        "ribs and a vertebral body",
        "Fractures of the right 5th-7th ribs and of the T6 vertebral body.",
        "present",
        ["T6"],
        None,
        False,
    ),
    (
        "clavicle and a vertebral body",
        "Fractures of the left clavicle and T4 vertebral body.",
        "present",
        ["T4"],
        None,
        False,
    ),
    # uncertain, missed
    (
        "possible endplate compression",
        "Possible mild compression of the superior endplate of L1.",
        "uncertain",
        ["L1"],
        None,
        False,
    ),
    # absent, called present
    (
        "cord compression from tumour",
        "Cord compression at T10 from epidural tumor; no vertebral collapse.",
        "absent",
        [],
        None,
        False,
    ),
    (
        "cord compression at a range",
        "Severe canal stenosis with cord compression at T11-12.",
        "absent",
        [],
        None,
        False,
    ),
    (
        "unlikely",
        "Compression deformity of the L1 vertebral body is unlikely.",
        "absent",
        [],
        None,
        False,
    ),
    (
        "no longer seen, artifact",
        "Previously described L1 compression fracture is no longer seen; this was artifact.",
        "absent",
        [],
        None,
        False,
    ),
    # acuity: what was not there on the prior study is new
    (
        "not seen on the prior study",
        "Compression fracture of L1, not seen on the prior study.",
        "present",
        ["L1"],
        "acute",
        False,
    ),
    (
        "not present on the prior study",
        "Moderate compression deformity of T12, not present on the prior examination.",
        "present",
        ["T12"],
        "acute",
        False,
    ),
    (
        "new since the prior exam",
        "Mild L2 compression fracture, new since the prior exam.",
        "present",
        ["L2"],
        "acute",
        False,
    ),
    (
        "interval development",
        "Interval development of a compression fracture of T11.",
        "present",
        ["T11"],
        "acute",
        False,
    ),
    (
        "known myeloma is not a chronic fracture",
        "Pathologic compression fracture of T9 in known multiple myeloma.",
        "present",
        ["T9"],
        None,
        False,
    ),
    # treated: a recommendation is not a treatment
    (
        "kyphoplasty recommended",
        "L1 compression fracture; kyphoplasty was recommended.",
        "present",
        ["L1"],
        None,
        False,
    ),
    (
        "kyphoplasty recommended, same clause",
        "Kyphoplasty was recommended for the acute L1 compression fracture.",
        "present",
        ["L1"],
        "acute",
        False,
    ),
]


@pytest.mark.parametrize(
    ("case", "text", "vcf", "levels", "acuity", "treated"), CASES, ids=[c[0] for c in CASES]
)
def test_review_sentence(finder, case, text, vcf, levels, acuity, treated):
    finding = finder.find(text)
    assert finding.vcf == vcf, [(e.text, e.status) for e in finding.evidence]
    assert list(finding.levels) == levels
    assert finding.acuity == acuity
    assert finding.treated is treated
