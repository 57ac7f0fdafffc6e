"""The numbered reference list behind every fact in the Learn section (``/learn/references``).

Numbers run 1..N with no gaps, in the order a reader first meets them. Facts cite them by
number (see :mod:`spinefx.learn.topics`)::

    >>> reference(1).title.startswith("Efficacy and safety of balloon kyphoplasty")
    True

A DOI is given only where it has been checked; a ``url`` only for official pages (the CMS
coverage database, the FRAX calculator, the NCBI Bookshelf), never for a paper.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AACE_2020",
    "AHCPR_1994",
    "BHOF_2022",
    "BOONEN",
    "BUCHBINDER",
    "CPT_CODES",
    "ENDOCRINE_SOCIETY_2019",
    "FLS_KPI",
    "FRAX",
    "FREE",
    "GENANT_1993",
    "INVEST",
    "KERKENI_SDI",
    "LCD_L38201",
    "MEDICARE_UTILIZATION",
    "REFERENCES",
    "SEED_REFERENCES",
    "VAN_MEIRHAEGHE",
    "VAPOUR",
    "VERTOS_II",
    "Reference",
    "reference",
]


class Reference(BaseModel):
    """One source, as a reader would cite it."""

    model_config = ConfigDict(frozen=True)

    number: int = Field(ge=1)
    authors: str
    title: str
    citation: str
    """Journal, volume and pages, or the publisher and document number."""
    year: int
    doi: str | None = None
    url: str | None = None
    note: str = ""
    """What this source supports, in a few words, for the reader of the reference list."""

    @property
    def doi_url(self) -> str | None:
        """The DOI as a resolvable link, or ``None``."""
        return f"https://doi.org/{self.doi}" if self.doi else None


REFERENCES: tuple[Reference, ...] = (
    Reference(
        number=1,
        authors="Wardlaw D, Cummings SR, Van Meirhaeghe J, et al.",
        title=(
            "Efficacy and safety of balloon kyphoplasty compared with non-surgical care for "
            "vertebral compression fracture (FREE): a randomised controlled trial"
        ),
        citation="Lancet 2009;373:1016-24",
        year=2009,
        doi="10.1016/S0140-6736(09)60010-6",
        note=(
            "FREE trial: 300 people with 1-3 acute fractures, kyphoplasty versus non-surgical "
            "care; results at 1 and 12 months."
        ),
    ),
    Reference(
        number=2,
        authors="Boonen S, Van Meirhaeghe J, Bastian L, et al.",
        title=(
            "Balloon kyphoplasty for the treatment of acute vertebral compression fractures: "
            "2-year results from a randomized trial"
        ),
        citation="J Bone Miner Res 2011;26:1627-37",
        year=2011,
        doi="10.1002/jbmr.364",
        note="FREE trial, 2-year results.",
    ),
    Reference(
        number=3,
        authors="Van Meirhaeghe J, Bastian L, Boonen S, et al.",
        title=(
            "A randomized trial of balloon kyphoplasty and nonsurgical management for treating "
            "acute vertebral compression fractures: vertebral body kyphosis correction and "
            "surgical parameters"
        ),
        citation="Spine 2013;38:971-83",
        year=2013,
        doi="10.1097/BRS.0b013e31828e8e22",
        note="FREE trial: spine shape (kyphosis), mobility and how the procedure was done.",
    ),
    Reference(
        number=4,
        authors="Kallmes DF, Comstock BA, Heagerty PJ, et al.",
        title="A randomized trial of vertebroplasty for osteoporotic spinal fractures",
        citation="N Engl J Med 2009;361:569-79",
        year=2009,
        doi="10.1056/NEJMoa0900563",
        note="INVEST trial: vertebroplasty versus a sham (simulated) procedure.",
    ),
    Reference(
        number=5,
        authors="Buchbinder R, Osborne RH, Ebeling PR, et al.",
        title="A randomized trial of vertebroplasty for painful osteoporotic vertebral fractures",
        citation="N Engl J Med 2009;361:557-68",
        year=2009,
        doi="10.1056/NEJMoa0900429",
        note="Vertebroplasty versus a sham procedure.",
    ),
    Reference(
        number=6,
        authors="Clark W, Bird P, Gonski P, et al.",
        title=(
            "Safety and efficacy of vertebroplasty for acute painful osteoporotic fractures "
            "(VAPOUR): a multicentre, randomised, double-blind, placebo-controlled trial"
        ),
        citation="Lancet 2016;388:1408-16",
        year=2016,
        doi="10.1016/S0140-6736(16)31341-1",
        note="VAPOUR trial: very recent fractures with severe pain, versus a sham procedure.",
    ),
    Reference(
        number=7,
        authors="Klazen CA, Lohle PN, de Vries J, et al.",
        title=(
            "Vertebroplasty versus conservative treatment in acute osteoporotic vertebral "
            "compression fractures (Vertos II): an open-label randomised trial"
        ),
        citation="Lancet 2010;376:1085-92",
        year=2010,
        doi="10.1016/S0140-6736(10)60954-3",
        note="VERTOS II trial: acute fractures with severe pain, versus non-surgical care.",
    ),
    Reference(
        number=8,
        authors="Centers for Medicare & Medicaid Services (CMS)",
        title=(
            "Local Coverage Determination (LCD) L38201: Percutaneous Vertebral Augmentation "
            "(PVA) for Vertebral Compression Fracture (VCF)"
        ),
        citation="Medicare Coverage Database; sibling LCDs L34228, L34106, L38737, L34976, L33569",
        year=2021,
        url="https://www.cms.gov/medicare-coverage-database/view/lcd.aspx?LCDId=38201",
        note=(
            "Medicare coverage criteria and contraindications. The year is that of the shared "
            "revision of these LCDs (effective 10 January 2021 for the siblings); read the "
            "current version on the CMS site, as wording changes with each revision."
        ),
    ),
    Reference(
        number=9,
        authors="LeBoff MS, Greenspan SL, Insogna KL, et al.",
        title="The clinician's guide to prevention and treatment of osteoporosis",
        citation="Osteoporos Int 2022;33:2049-102",
        year=2022,
        doi="10.1007/s00198-021-05900-y",
        note="Bone Health and Osteoporosis Foundation (BHOF) guide, 2022.",
    ),
    Reference(
        number=10,
        authors="Genant HK, Wu CY, van Kuijk C, Nevitt MC",
        title="Vertebral fracture assessment using a semiquantitative technique",
        citation="J Bone Miner Res 1993;8:1137-48",
        year=1993,
        doi="10.1002/jbmr.5650080915",
        note="How fractures are graded mild, moderate or severe by lost height.",
    ),
    Reference(
        number=11,
        authors="Kerkeni S, Kolta S, Fechtenbaum J, Roux C",
        title="Spinal deformity index (SDI) is a good predictor of incident vertebral fractures",
        citation="Osteoporos Int 2009;20:1547-52",
        year=2009,
        doi="10.1007/s00198-008-0832-6",
        note="More existing spine deformity, more new spine fractures over 3 years.",
    ),
    Reference(
        number=12,
        authors="Bigos S, Bowyer O, Braen G, et al.",
        title=(
            "Acute Low Back Problems in Adults. Clinical Practice Guideline No. 14 (red-flag table)"
        ),
        citation=(
            "Rockville, MD: Agency for Health Care Policy and Research; December 1994. "
            "AHCPR Publication No. 95-0642. NCBI Bookshelf NBK52120"
        ),
        year=1994,
        url="https://www.ncbi.nlm.nih.gov/books/NBK52120/",
        note="Warning signs in back pain that need urgent or emergency care.",
    ),
    Reference(
        number=13,
        authors="Camacho PM, Petak SM, Binkley N, et al.",
        title=(
            "American Association of Clinical Endocrinologists/American College of "
            "Endocrinology Clinical Practice Guidelines for the Diagnosis and Treatment of "
            "Postmenopausal Osteoporosis - 2020 Update"
        ),
        citation="Endocr Pract 2020;26(Suppl 1):1-46",
        year=2020,
        doi="10.4158/GL-2020-0524SUPPL",
        note="A fracture from a minor fall or strain means osteoporosis, whatever the scan says.",
    ),
    Reference(
        number=14,
        authors="Eastell R, Rosen CJ, Black DM, et al.",
        title=(
            "Pharmacological Management of Osteoporosis in Postmenopausal Women: An Endocrine "
            "Society Clinical Practice Guideline"
        ),
        citation="J Clin Endocrinol Metab 2019;104:1595-622",
        year=2019,
        doi="10.1210/jc.2019-00221",
        note="Which bone medicines to use, and when.",
    ),
    Reference(
        number=15,
        authors="Javaid MK, Sami A, Lems W, et al.",
        title=(
            "A patient-level key performance indicator set to measure the effectiveness of "
            "fracture liaison services and guide quality improvement: a position paper of the "
            "IOF Capture the Fracture Working Group, National Osteoporosis Foundation and "
            "Fragility Fracture Network"
        ),
        citation="Osteoporos Int 2020;31:1193-204",
        year=2020,
        doi="10.1007/s00198-020-05377-1",
        note="What a fracture liaison service should do after a fracture, and by when.",
    ),
    Reference(
        number=16,
        authors="American Medical Association",
        title=(
            "CPT (Current Procedural Terminology) codes 22510-22515: percutaneous vertebroplasty "
            "(22510-22512) and vertebral augmentation with cavity creation (22513-22515)"
        ),
        citation="CPT 2015 Professional Edition. Chicago: AMA; in use since 1 January 2015",
        year=2015,
        note="The billing codes in use since 2015; they replaced the older codes 22520-22525.",
    ),
    Reference(
        number=17,
        authors="Centre for Metabolic Bone Diseases, University of Sheffield",
        title="FRAX Fracture Risk Assessment Tool",
        citation="Official online calculator",
        year=2008,
        url="https://frax.shef.ac.uk/FRAX/",
        note=(
            "Estimates the 10-year chance of a major fracture. Use the official calculator; "
            "spinefx does not copy its equations."
        ),
    ),
    Reference(
        number=18,
        authors="Centers for Medicare & Medicaid Services (CMS)",
        title="Medicare Physician & Other Practitioners - by Provider and Service",
        citation="Public use file, one row per provider, procedure code and place of service",
        year=2023,
        url=(
            "https://data.cms.gov/provider-summary-by-type-of-service/"
            "medicare-physician-other-practitioners/"
            "medicare-physician-other-practitioners-by-provider-and-service"
        ),
        note=(
            "Which doctors bill the kyphoplasty codes, and how often (data year 2023). Rows for "
            "10 or fewer Medicare patients are hidden. Volume is not a measure of quality."
        ),
    ),
)

# Names for the numbers, so that facts read ``refs=(FREE, BOONEN)`` rather than ``(1, 2)``.
FREE = 1
BOONEN = 2
VAN_MEIRHAEGHE = 3
INVEST = 4
BUCHBINDER = 5
VAPOUR = 6
VERTOS_II = 7
LCD_L38201 = 8
BHOF_2022 = 9
GENANT_1993 = 10
KERKENI_SDI = 11
AHCPR_1994 = 12
AACE_2020 = 13
ENDOCRINE_SOCIETY_2019 = 14
FLS_KPI = 15
CPT_CODES = 16
FRAX = 17
MEDICARE_UTILIZATION = 18

# The seed patient page cited a list of studies that is not in our reference pack. These nine
# are our reconstruction of its evidence base: the FREE trial and its follow-ups (1, 2, 3), the
# sham-controlled and acute-pain vertebroplasty trials that give the balance (4, 5, 6, 7), the
# Medicare coverage policy (8) and the BHOF clinician's guide (9).
SEED_REFERENCES: tuple[int, ...] = (
    FREE,
    BOONEN,
    VAN_MEIRHAEGHE,
    INVEST,
    BUCHBINDER,
    VAPOUR,
    VERTOS_II,
    LCD_L38201,
    BHOF_2022,
)

_BY_NUMBER: dict[int, Reference] = {ref.number: ref for ref in REFERENCES}


def reference(number: int) -> Reference:
    """The reference with this number; ``KeyError`` when there is none."""
    try:
        return _BY_NUMBER[number]
    except KeyError:
        raise KeyError(f"no reference number {number}; numbers run 1..{len(REFERENCES)}") from None
