"""The sources every rule cites, named once (see ``docs/rules/`` and ``/learn/references``)."""

from __future__ import annotations

SEED_SCREENING_RULE = (
    "spinefx seed page self-check, a checklist from a patient-education page and not a "
    "validated decision rule (sudden, severe, sharp back pain > 3 days AND age > 50 or "
    "osteoporosis); conventions: severe = worst NRS in 24 h >= 7, > 3 days = more than 72 h"
)
SCREENING_CONCERN = (
    "spinefx safety net (convention, second clinical review): (age > 50 or osteoporosis or "
    "steroid tablets >= 3 months) AND (NRS >= 7 or pain > 3 days or a minor-trauma start) means "
    "see a doctor; older age, osteoporosis, corticosteroid use and minor trauma in an older or "
    "osteoporotic person are reasons to suspect a vertebral fracture (NICE CKS low back pain; "
    "AHCPR guideline 14)"
)
RED_FLAGS_AHCPR = (
    "AHCPR Clinical Practice Guideline 14, Acute Low Back Problems in Adults (1994), "
    "red-flag table (NCBI Bookshelf NBK52120)"
)
RED_FLAGS_NHS_WALES = "NHS Wales GP CPD: serious pathology in low back pain (red flags)"
GENANT_1993 = (
    "Genant HK et al. Vertebral fracture assessment using a semiquantitative technique. "
    "J Bone Miner Res 1993;8(9):1137-48"
)
SDI_KERKENI_2009 = (
    "Kerkeni S et al. Spinal deformity index (SDI) is a good predictor of incident vertebral "
    "fractures. Osteoporos Int 2009;20:1547-52"
)
LCD_L38201 = (
    "CMS Local Coverage Determination L38201 Percutaneous Vertebral Augmentation (PVA) for "
    "Vertebral Compression Fracture (VCF) (same title: L38737, L34976; sibling LCDs L34228 and "
    "L34106, titled '... for Osteoporotic VCF', and L33569)"
)
CPT_VERTEBRAL_AUGMENTATION = "AMA CPT 2015: 22513-22515 percutaneous vertebral augmentation"
ICD10CM = "ICD-10-CM (CMS/NCHS): M80.08XA, M84.58XA"
ICD10CM_GUIDELINES_NEOPLASM = (
    "ICD-10-CM Official Guidelines for Coding and Reporting, chapter 2 (neoplasms): a "
    "pathological fracture due to a neoplasm, M84.5- first when the fracture is the focus of "
    "treatment, then the neoplasm code"
)
AACE_2020 = (
    "Camacho PM et al. AACE/ACE Clinical Practice Guidelines for the Diagnosis and Treatment "
    "of Postmenopausal Osteoporosis, 2020 Update. Endocr Pract 2020;26(Suppl 1):1-46"
)
ENDOCRINE_SOCIETY_2019 = (
    "Eastell R et al. Pharmacological Management of Osteoporosis in Postmenopausal Women: "
    "An Endocrine Society Clinical Practice Guideline. J Clin Endocrinol Metab 2019;104:1595-622"
)
ENDOCRINE_SOCIETY_MEN_2012 = (
    "Watts NB et al. Osteoporosis in Men: An Endocrine Society Clinical Practice Guideline. "
    "J Clin Endocrinol Metab 2012;97:1802-22"
)
BHOF_2022 = (
    "LeBoff MS et al. The clinician's guide to prevention and treatment of osteoporosis (BHOF). "
    "Osteoporos Int 2022;33:2049-102"
)
FLS_KPI_JAVAID_2020 = (
    "Javaid MK et al. A patient-level key performance indicator set to measure the "
    "effectiveness of fracture liaison services. Osteoporos Int 2020;31:1193-204"
)
BISPHOSPHONATE_LABELS = (
    "US product labels: zoledronic acid contraindicated and alendronate/risedronate not "
    "recommended at creatinine clearance < 35 / < 30 ml/min"
)
DENOSUMAB_LABEL_CKD = (
    "US FDA, denosumab (Prolia) boxed warning, 2024: severe hypocalcaemia in advanced chronic "
    "kidney disease; rule out CKD mineral and bone disorder first"
)
ROMOSOZUMAB_LABEL = (
    "US FDA, romosozumab (Evenity) label: postmenopausal women only; boxed warning, not within "
    "a year of a heart attack or stroke"
)
FRAX_URL = "https://frax.shef.ac.uk/FRAX/"
CPT_VERTEBROPLASTY = "AMA CPT 2015: 22510-22512 percutaneous vertebroplasty"
ICD10CM_VERTEBRAL_FRACTURE = (
    "ICD-10-CM (CMS/NCHS) tabular list: M80.08-, M80.88- (osteoporosis with current "
    "pathological vertebral fracture), M84.58- (pathological fracture in neoplastic disease, "
    "other site), M48.54-/M48.56- (collapsed vertebra NEC, thoracic/lumbar)"
)
NORMATIVE_HP = (
    "expected posterior vertebral height by level (clinical/data/posterior_heights.toml): "
    "Kunkel ME et al. Morphometric analysis of the relationships between intervertebral disc "
    "and vertebral body heights: an anatomical and radiographic study of the human thoracic "
    "spine. J Anat 2011;219(3):375-87, Table 2 (T1-T12); L1-L5 filled from Panjabi MM et al. "
    "Human lumbar vertebrae: quantitative three-dimensional anatomy. Spine 1992;17(3):299-306, "
    "Table 2"
)
SCREENING_PERSISTENT_PAIN = (
    "spinefx convention from the second clinical review (issue 20): severe back pain (NRS >= 7) "
    "for more than 14 days, or any back pain for more than 42 days (6 weeks, the horizon of "
    "acute low back pain in AHCPR guideline 14), is reason to see a doctor at any age"
)
PTH_ANALOGUE_LABELS = (
    "US FDA labels, teriparatide (Forteo) and abaloparatide (Tymlos): not for patients with "
    "bone metastases or skeletal malignancies, or prior radiation to the skeleton (osteosarcoma "
    "risk); abaloparatide approved for men with osteoporosis at high risk of fracture "
    "(December 2022)"
)
ECTS_DENOSUMAB_2017 = (
    "Tsourdi E et al. Discontinuation of denosumab therapy for osteoporosis: a systematic "
    "review and position statement by ECTS. Bone 2017;105:11-17"
)
DATA_SWITCH_2015 = (
    "Leder BZ et al. Denosumab and teriparatide transitions in postmenopausal osteoporosis "
    "(the DATA-Switch study). Lancet 2015;386:1147-55"
)
ICD10CM_GUIDELINES_OSTEOPOROSIS = (
    "ICD-10-CM Official Guidelines for Coding and Reporting, I.C.13.d (osteoporosis): M80.- for "
    "a fracture in a patient with known osteoporosis, even after a minor fall; a traumatic "
    "fracture code (S22.0-, S32.0-) for a fracture from an injury that would break a normal "
    "bone; M48.5- (collapsed vertebra NEC) excludes both and a neoplasm (M84.58)"
)
