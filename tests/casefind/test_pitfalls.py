"""Each pitfall the issue names, as a short report, and what the finder must say about it."""

import pytest

from spinefx.casefind.text import join_sections

# (pitfall, report text, vcf, levels)
CASES = [
    # words for the finding
    ("compression fracture", "Acute compression fracture of L1.", "present", ["L1"]),
    ("compression deformity", "Mild compression deformity of T12, unchanged.", "present", ["T12"]),
    ("wedge", "Anterior wedge deformity of T7.", "present", ["T7"]),
    ("wedging", "There is mild anterior wedging of the T9 vertebral body.", "present", ["T9"]),
    ("loss of height", "Approximately 40% loss of height of L2.", "present", ["L2"]),
    ("biconcave", "Biconcave deformity of L3.", "present", ["L3"]),
    ("vertebra plana", "Vertebra plana at T11.", "present", ["T11"]),
    ("burst", "Burst fracture of L1 with retropulsion.", "present", ["L1"]),
    ("pathologic", "Pathologic fracture of the T10 vertebral body.", "present", ["T10"]),
    ("kyphoplasty", "Status post kyphoplasty at L2.", "present", ["L2"]),
    ("vertebroplasty cement", "Vertebroplasty cement within T12.", "present", ["T12"]),
    ("cement alone", "Dense cement within the L1 vertebral body.", "present", ["L1"]),
    # levels as written
    ("range", "Compression fractures T11-12.", "present", ["T11", "T12"]),
    ("range across", "Compression deformities T11-L1.", "present", ["T11", "T12", "L1"]),
    ("midthoracic", "Wedge compression of a vertebra in the midthoracic spine.", "present", []),
    (
        "region only",
        "Compression deformity of a lower thoracic or upper lumbar vertebra.",
        "present",
        [],
    ),
    # stable and old ones still count
    ("stable", "Stable compression deformity of T8.", "present", ["T8"]),
    ("chronic", "Chronic T6 compression fracture.", "present", ["T6"]),
    ("age-indeterminate", "Mild T5 wedge deformity, age-indeterminate.", "present", ["T5"]),
    ("history", "History of L1 compression fracture.", "present", ["L1"]),
    # negation anywhere in the sentence
    ("no", "No compression fracture.", "absent", []),
    ("no evidence", "There is no evidence of vertebral compression deformity.", "absent", []),
    ("without", "Thoracic kyphosis without compression deformity.", "absent", []),
    ("not seen", "A compression fracture is not seen.", "absent", []),
    ("negative for", "Negative for acute fracture of the thoracic spine.", "absent", []),
    ("heights maintained", "Vertebral body heights are maintained.", "absent", []),
    ("heights preserved", "Vertebral body heights and alignment are preserved.", "absent", []),
    ("no loss of height", "No loss of vertebral body height.", "absent", []),
    ("none", "Compression deformity: none.", "absent", []),
    (
        "no acute, chronic",
        "No acute fracture, chronic T11 compression deformity.",
        "present",
        ["T11"],
    ),
    # hedging anywhere in the sentence
    ("possible", "Possible mild compression fracture of T12.", "uncertain", ["T12"]),
    ("cannot be excluded", "An L1 compression fracture cannot be excluded.", "uncertain", ["L1"]),
    ("questionable", "Questionable wedge deformity of T8.", "uncertain", ["T8"]),
    ("versus", "Developmental wedging versus compression deformity of T9.", "uncertain", ["T9"]),
    ("question asked", "Indication: back pain, evaluate for compression fracture.", "absent", []),
    # fractures elsewhere
    ("ribs", "Healed fractures of the left fifth and sixth ribs.", "absent", []),
    (
        "rib at a level",
        "Old fracture of the right 8th rib posteriorly at the T8 level.",
        "absent",
        [],
    ),
    ("clavicle", "Displaced fracture of the right clavicle.", "absent", []),
    ("humerus", "Fracture of the left humeral neck.", "absent", []),
    ("sternum", "Sternal fracture with small retrosternal hematoma.", "absent", []),
    ("transverse process", "Fracture of the left L3 transverse process.", "absent", []),
    # look-alikes
    ("wedge-shaped opacity", "Wedge-shaped opacity in the right lower lobe.", "absent", []),
    ("degenerative", "Degenerative changes of the thoracic spine.", "absent", []),
    ("disc height", "Loss of disc height at L4-L5 with degenerative change.", "absent", []),
    ("osteophytes", "Anterior osteophytes throughout the thoracic spine.", "absent", []),
    ("schmorl", "Schmorl's nodes at T11 and T12.", "absent", []),
    ("scoliosis", "Mild dextroconvex scoliosis of the thoracic spine.", "absent", []),
    ("kyphosis", "Exaggerated thoracic kyphosis without vertebral collapse.", "absent", []),
    ("fusion", "Postsurgical changes of posterior spinal fusion from L3 to L5.", "absent", []),
    ("cord compression", "No cord compression at T10.", "absent", []),
    ("lobar collapse", "Collapse of the left lower lobe.", "absent", []),
    (
        "MRI sequence",
        "T2 hyperintense signal in the L1 vertebral body fracture.",
        "present",
        ["L1"],
    ),
    # edges of the second review's rules (issue 20, item 5): what they must not catch
    (
        "unlikely to be pathologic",
        "Compression fracture of L1, unlikely to be pathologic.",
        "present",
        ["L1"],
    ),
    (
        "unlikely to represent",
        "The endplate irregularity is unlikely to represent a compression fracture.",
        "absent",
        [],
    ),
    (
        "not seen on this study",
        "A compression fracture is not seen on today's examination.",
        "absent",
        [],
    ),
    ("scapular body", "Acute fracture of the right scapular body.", "absent", []),
    (
        "rib and transverse process",
        "Fractures of the left 7th rib and T7 transverse process.",
        "absent",
        [],
    ),
    (
        "ribs and listed transverse processes",
        "Acute fractures of the right 9th and 10th ribs and L1 and L2 transverse processes.",
        "absent",
        [],
    ),
    ("rib at a level, no list", "Fracture of the right 8th rib at the T8 level.", "absent", []),
    ("question in the indication", "Reason for exam: compression fracture?", "absent", []),
    (
        "history beside a question",
        "Indication: back pain, history of osteoporosis, evaluate for compression fracture.",
        "absent",
        [],
    ),
    (
        "clinical history: known",
        "Clinical history: known L2 compression fracture, increasing pain.",
        "present",
        ["L2"],
    ),
    (
        "no longer evidence",
        "There is no longer evidence of a compression fracture.",
        "absent",
        [],
    ),
    (
        "rib fractures and a degenerative spine",
        "Healed left rib fractures and degenerative change of the thoracic spine.",
        "absent",
        [],
    ),
    # de-identification placeholders in the middle of a phrase
    ("XXXX in phrase", "Mild compression XXXX of the T11 vertebral body.", "present", ["T11"]),
    ("XXXX between words", "There is a wedge XXXX deformity of T8.", "present", ["T8"]),
    ("XXXX in negation", "No XXXX compression fracture.", "absent", []),
]


@pytest.mark.parametrize(("pitfall", "text", "vcf", "levels"), CASES, ids=[c[0] for c in CASES])
def test_pitfall(finder, pitfall, text, vcf, levels):
    finding = finder.find(text)
    assert finding.vcf == vcf, [(e.text, e.status) for e in finding.evidence]
    assert list(finding.levels) == levels


def test_sentence_split_across_findings_and_impression(finder):
    text = join_sections(
        ["Lungs are clear. There is a compression deformity of the", "T12 vertebral body."]
    )
    finding = finder.find(text)
    assert finding.vcf == "present"
    assert finding.levels == ("T12",)


def test_a_negation_in_findings_does_not_reach_into_the_impression(finder):
    text = join_sections(["No acute fracture", "IMPRESSION: Mild T8 wedge deformity."])
    assert finder.find(text).vcf == "present"


def test_regions_come_from_words_when_no_level_is_written(finder):
    finding = finder.find("Compression deformity of a lower thoracic or upper lumbar vertebra.")
    assert finding.regions == ("thoracic", "lumbar")
    assert finder.find("Wedging of a midthoracic vertebral body.").regions == ("thoracic",)


def test_evidence_spans_point_into_the_text(finder):
    text = "Lungs clear. No rib fracture. Moderate compression fracture of T12."
    finding = finder.find(text)
    assert finding.vcf == "present"
    for item in finding.evidence:
        assert text[item.start : item.end] == item.text
    assert [(e.text, e.status) for e in finding.evidence] == [("compression fracture", "present")]


def test_treated_is_set_by_cement_and_not_by_a_negated_kyphoplasty(finder):
    assert finder.find("Status post L1 kyphoplasty.").treated is True
    assert finder.find("Mild compression deformity of L1, no prior kyphoplasty.").treated is False


def test_a_recommended_kyphoplasty_is_not_a_treatment_but_a_done_one_beside_it_is(finder):
    assert finder.find("Candidate for kyphoplasty at L1.").treated is False
    done = finder.find("Status post L1 kyphoplasty; T12 vertebroplasty is recommended.")
    assert done.treated is True


@pytest.mark.parametrize(
    ("text", "acuity"),
    [
        ("Acute compression fracture of L1 with marrow edema.", "acute"),
        ("Chronic compression deformity of T12.", "chronic"),
        ("Mild wedge deformity of T8, age-indeterminate.", "indeterminate"),
        ("Compression fracture of L2, acute versus chronic.", "indeterminate"),
        ("Compression deformity of T9.", None),
        ("No acute fracture, chronic compression deformity of T11.", "chronic"),
        ("Compared with the prior study, there is a new compression fracture of L1.", "acute"),
        ("Compression fracture of T12, present on the prior study.", "chronic"),
        ("Compression fracture of T12, not present on the 2022 examination.", "acute"),
        ("Compression fracture of T12, not previously seen.", "acute"),
        ("Compression fracture of T12 with no interval change.", "chronic"),
        ("Compression fracture of T12 in a patient with known metastatic disease.", None),
    ],
)
def test_acuity(finder, text, acuity):
    assert finder.find(text).acuity == acuity


@pytest.mark.parametrize(
    ("text", "severity"),
    [
        ("Compression fracture of T12 with 15% height loss.", "mild"),
        ("Compression fracture of T12 with 20% height loss.", "mild"),
        ("Compression fracture of T12 with 24% height loss.", "mild"),
        ("Compression fracture of T12 with 25% height loss.", "moderate"),
        ("Compression fracture of T12 with 40% height loss.", "moderate"),
        ("Compression fracture of T12 with 41% height loss.", "severe"),
        ("Mild compression deformity of T8.", "mild"),
        ("Moderate wedge deformity of T8.", "moderate"),
        ("Severe compression fracture of L1.", "severe"),
        ("Genant grade 2 fracture of T7.", "moderate"),
        ("Vertebra plana of T10.", "severe"),
        ("Compression fracture of T9.", None),
    ],
)
def test_severity(finder, text, severity):
    assert finder.find(text).severity == severity
