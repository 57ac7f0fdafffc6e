"""The patient topics of the Learn section (``/learn`` and ``/learn/<slug>``), as pure data.

A :class:`Topic` is a list of :class:`Section`; a section is a list of :class:`Fact`; every fact
cites at least one numbered reference from :mod:`spinefx.learn.references`, checked when the
module is imported::

    >>> [t.slug for t in TOPICS][:3]
    ['causes', 'how-common', 'symptoms']
    >>> topic("benefits").title
    'Benefits: what the trials found'

Written for patients: plain words, short sentences, reading age about 12-14. The text informs;
it never diagnoses (see :data:`DISCLAIMER`).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from spinefx.learn.references import (
    AACE_2020,
    AHCPR_1994,
    BHOF_2022,
    BOONEN,
    BUCHBINDER,
    CPT_CODES,
    ENDOCRINE_SOCIETY_2019,
    FLS_KPI,
    FRAX,
    FREE,
    GENANT_1993,
    INVEST,
    KERKENI_SDI,
    LCD_L38201,
    MEDICARE_UTILIZATION,
    REFERENCES,
    VAN_MEIRHAEGHE,
    VAPOUR,
    VERTOS_II,
)

__all__ = ["DISCLAIMER", "TOPICS", "Fact", "Figure", "Section", "Topic", "topic"]

DISCLAIMER = (
    "This information is for education only. It cannot tell you whether you have a fracture, "
    "and it does not replace advice from your own doctor. If back pain comes with numbness "
    "between the legs, new trouble controlling your bladder or bowels, or new weakness in "
    "your legs, get emergency care now."
)

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"

_KNOWN_REFS = frozenset(ref.number for ref in REFERENCES)


class Fact(BaseModel):
    """One statement a patient reads, with the numbers of the references behind it."""

    model_config = ConfigDict(frozen=True)

    text: str = Field(min_length=1)
    refs: tuple[int, ...] = Field(min_length=1)

    @field_validator("refs")
    @classmethod
    def _refs_exist(cls, refs: tuple[int, ...]) -> tuple[int, ...]:
        unknown = [n for n in refs if n not in _KNOWN_REFS]
        if unknown:
            raise ValueError(f"unknown reference numbers {unknown}")
        return refs


class Section(BaseModel):
    """A heading and the facts under it, in reading order.

    ``ordered`` marks steps that happen in sequence: the page numbers them (an ``<ol>``), so the
    text carries no numbers of its own.
    """

    model_config = ConfigDict(frozen=True)

    heading: str = Field(min_length=1)
    facts: tuple[Fact, ...] = Field(min_length=1)
    ordered: bool = False


class Figure(BaseModel):
    """A picture shown with a topic; ``src`` is relative to the web app's static folder."""

    model_config = ConfigDict(frozen=True)

    src: str
    alt: str
    caption: str


class Topic(BaseModel):
    """One Learn page."""

    model_config = ConfigDict(frozen=True)

    slug: str = Field(pattern=SLUG_PATTERN)
    title: str = Field(min_length=1)
    summary: str = Field(min_length=1)
    sections: tuple[Section, ...] = Field(min_length=1)
    figure: Figure | None = None

    @property
    def refs(self) -> tuple[int, ...]:
        """Every reference number the topic cites, sorted, each once."""
        return tuple(sorted({n for s in self.sections for f in s.facts for n in f.refs}))


def _fact(text: str, *refs: int) -> Fact:
    return Fact(text=text, refs=refs)


CAUSES = Topic(
    slug="causes",
    title="What causes a spine compression fracture?",
    summary=(
        "Most spine compression fractures happen because the bones have become weak, "
        "usually from osteoporosis. A small strain can then be enough to break a bone."
    ),
    sections=(
        Section(
            heading="What a compression fracture is",
            facts=(
                _fact(
                    "Your spine is a stack of bones called vertebrae. In a compression "
                    "fracture, one of them cracks and is squashed, so it loses height.",
                    GENANT_1993,
                ),
                _fact(
                    "Doctors describe the shape of the break. In a wedge fracture the front of "
                    "the bone has lost the most height. In a biconcave fracture the middle has "
                    "sunk. In a crush fracture the whole bone is flattened.",
                    GENANT_1993,
                ),
            ),
        ),
        Section(
            heading="Why it happens",
            facts=(
                _fact(
                    "The most common cause is osteoporosis. This means the bones have become "
                    "thin and weak.",
                    BHOF_2022,
                    AACE_2020,
                ),
                _fact(
                    "When bones are weak, very little force can break a vertebra. A sneeze, "
                    "lifting something light, or a fall from standing height can be enough. "
                    "This is called a fragility fracture.",
                    AACE_2020,
                    AHCPR_1994,
                ),
                _fact(
                    "Less often, the bone is weakened by cancer. Examples are cancer that has "
                    "spread to the spine from somewhere else, and myeloma, a cancer of the "
                    "bone marrow.",
                    LCD_L38201,
                ),
                _fact(
                    "A hard blow, such as a car crash or a fall from a height, can break even "
                    "healthy bones. An injury like that needs emergency care.",
                    AHCPR_1994,
                ),
            ),
        ),
    ),
)

HOW_COMMON = Topic(
    slug="how-common",
    title="How common are spine fractures?",
    summary=(
        "Spine fractures are common in older people with weak bones. Many are never noticed, "
        "and one fracture makes another more likely."
    ),
    sections=(
        Section(
            heading="Who gets them",
            facts=(
                _fact(
                    "Spine fractures are among the most common fractures caused by "
                    "osteoporosis. Osteoporosis mostly affects women after menopause and men "
                    "and women over 50.",
                    BHOF_2022,
                    AACE_2020,
                ),
                _fact(
                    "Many spine fractures go unnoticed. Some cause little pain and are found "
                    "only on an X-ray taken for another reason. For this reason, guidelines "
                    "suggest a spine X-ray for some people at high risk.",
                    BHOF_2022,
                ),
            ),
        ),
        Section(
            heading="One fracture often leads to another",
            facts=(
                _fact(
                    "After one spine fracture, the chance of another spine fracture is about "
                    "5 times higher than before. The chance of breaking a bone somewhere else "
                    "is 2 to 3 times higher.",
                    BHOF_2022,
                ),
                _fact(
                    "This extra risk is highest in the first year after the fracture.",
                    BHOF_2022,
                ),
                _fact(
                    "The more spine damage there is already, the higher the risk. In one "
                    "study, people were split into three equal groups by how much damage "
                    "their X-rays showed. Over 3 years, about 17 in 100 people in the group "
                    "with the least damage had a new spine fracture, against about 48 in 100 "
                    "in the group with the most.",
                    KERKENI_SDI,
                ),
            ),
        ),
    ),
)

SYMPTOMS = Topic(
    slug="symptoms",
    title="Symptoms and warning signs",
    summary=(
        "A spine fracture often causes sudden, sharp back pain, but some cause no pain at all. "
        "A few warning signs need emergency care."
    ),
    sections=(
        Section(
            heading="Common signs",
            facts=(
                _fact(
                    "Pain often starts suddenly, sometimes after a small strain such as a "
                    "sneeze, a cough or lifting something light.",
                    AHCPR_1994,
                    AACE_2020,
                ),
                _fact(
                    "The pain can make it hard to stand, walk or do daily tasks. In the FREE "
                    "trial, people with recent spine fractures lost many days of normal "
                    "activity to their pain.",
                    FREE,
                ),
                _fact(
                    "Over time, a person may lose height or develop a rounded upper back. "
                    "Doctors call this forward curve kyphosis.",
                    BHOF_2022,
                    VAN_MEIRHAEGHE,
                ),
                _fact(
                    "Some spine fractures cause no pain at all and are found by chance on an "
                    "X-ray.",
                    BHOF_2022,
                ),
            ),
        ),
        Section(
            heading="When to see a doctor",
            facts=(
                _fact(
                    "See a doctor if you are over 50, or have been told you have osteoporosis "
                    "or low bone density, and you get sudden, sharp back pain. This matters "
                    "even more if the pain is severe or lasts more than 3 days. An X-ray can "
                    "show whether a bone has broken.",
                    AHCPR_1994,
                ),
            ),
        ),
        Section(
            heading="Get help now",
            facts=(
                _fact(
                    "Call emergency services or go to an emergency department now if back "
                    "pain comes with any of these: numbness between your legs or around your "
                    "bottom (where you would sit on a saddle); new trouble passing urine, or "
                    "leaking urine; losing control of your bowels; or new or worsening "
                    "weakness or numbness in your legs. These can mean that nerves in the "
                    "spine are being squeezed.",
                    AHCPR_1994,
                ),
                _fact(
                    "After a major injury, such as a car crash or a fall from a height, go to "
                    "an emergency department.",
                    AHCPR_1994,
                ),
                _fact(
                    "See a doctor the same day if back pain comes with any of these: fever or "
                    "chills; weight loss you cannot explain; a history of cancer; severe pain "
                    "at night or when lying flat; injecting drugs; or a weak immune system, for "
                    "example from long-term steroid tablets or after a transplant.",
                    AHCPR_1994,
                ),
            ),
        ),
    ),
)

DIAGNOSIS = Topic(
    slug="diagnosis",
    title="How a spine fracture is diagnosed",
    summary=(
        "A doctor confirms a spine fracture with imaging, works out whether it is new or old, "
        "and then checks your bones for osteoporosis."
    ),
    sections=(
        Section(
            heading="Scans",
            facts=(
                _fact(
                    "An X-ray of the spine shows whether a vertebra has lost height.",
                    GENANT_1993,
                ),
                _fact(
                    "An MRI scan can show swelling inside a bone that broke recently. This "
                    "tells doctors whether a fracture is new or old. A bone scan or a SPECT-CT "
                    "scan can also show this.",
                    LCD_L38201,
                ),
                _fact(
                    "Knowing the age of the fracture matters. Procedures such as kyphoplasty "
                    "are for fractures that are new or still healing, not for old ones that "
                    "have healed.",
                    LCD_L38201,
                ),
            ),
        ),
        Section(
            heading="How bad is the fracture?",
            facts=(
                _fact(
                    "Doctors often grade a fracture by how much height the bone has lost. "
                    "Losing about 20-25% is mild (grade 1). Losing 25-40% is moderate "
                    "(grade 2). Losing more than 40% is severe (grade 3).",
                    GENANT_1993,
                ),
                _fact(
                    "Doctors can add up the grades of the vertebrae from the upper back to the "
                    "lower back. This total, the spinal deformity index, helps show the chance "
                    "of new fractures.",
                    KERKENI_SDI,
                ),
            ),
        ),
        Section(
            heading="Checking your bones",
            facts=(
                _fact(
                    "A spine fracture from a minor fall or strain is itself a sign of "
                    "osteoporosis, even if a bone density test looks normal.",
                    AACE_2020,
                ),
                _fact(
                    "Your doctor will usually suggest a bone density scan (DXA). It measures "
                    "how dense your bones are and gives a starting point for checking "
                    "treatment later.",
                    BHOF_2022,
                    ENDOCRINE_SOCIETY_2019,
                ),
                _fact(
                    "Blood tests can look for other conditions that weaken bones.",
                    AACE_2020,
                ),
            ),
        ),
    ),
)

KYPHOPLASTY = Topic(
    slug="kyphoplasty",
    title="Balloon kyphoplasty: what it is and how it is done",
    summary=(
        "Balloon kyphoplasty is a procedure done through small needles in the back. A small "
        "balloon makes room inside the broken bone, and the space is filled with bone cement."
    ),
    figure=Figure(
        src="img/bkp-steps.svg",
        alt=(
            "Four steps of balloon kyphoplasty: a needle enters a collapsed vertebra; a balloon "
            "is inflated inside it and lifts it; the balloon is removed, leaving a space; the "
            "space is filled with bone cement."
        ),
        caption="The four main steps of balloon kyphoplasty.",
    ),
    sections=(
        Section(
            heading="What it is",
            facts=(
                _fact(
                    "Balloon kyphoplasty (BKP) treats a painful spine fracture from inside the "
                    "bone. It is done through the skin with needles, not as an open operation.",
                    FREE,
                    VAN_MEIRHAEGHE,
                ),
                _fact(
                    "It aims to ease pain, help you move again, and bring back some of the "
                    "height the bone has lost.",
                    FREE,
                    VAN_MEIRHAEGHE,
                ),
                _fact(
                    "It is one kind of vertebral augmentation. A similar procedure, "
                    "vertebroplasty, puts cement into the bone without using a balloon first.",
                    LCD_L38201,
                    INVEST,
                ),
            ),
        ),
        Section(
            heading="Step by step",
            ordered=True,
            facts=(
                _fact(
                    "You lie face down on a padded table. You are either fully asleep "
                    "(general anaesthesia) or awake and drowsy with the back numbed "
                    "(local anaesthesia).",
                    FREE,
                    VAN_MEIRHAEGHE,
                ),
                _fact(
                    "The doctor watches live X-ray pictures and guides a thin, hollow needle "
                    "through the skin into the broken vertebra. The needle passes through the "
                    "pedicle, a short bridge of bone at the back of the vertebra.",
                    FREE,
                    VAN_MEIRHAEGHE,
                ),
                _fact(
                    "A small balloon is passed through the needle into the bone and slowly "
                    "filled. It pushes the squashed bone back up towards its normal height and "
                    "makes a hollow space (a cavity).",
                    FREE,
                    VAN_MEIRHAEGHE,
                ),
                _fact(
                    "The balloon is emptied and taken out. The cavity stays.",
                    FREE,
                    VAN_MEIRHAEGHE,
                ),
                _fact(
                    "Bone cement, a medical acrylic called PMMA, is pushed in to fill the "
                    "cavity. It sets hard within minutes and supports the bone from inside.",
                    FREE,
                    VAN_MEIRHAEGHE,
                ),
            ),
        ),
        Section(
            heading="One side or both",
            facts=(
                _fact(
                    "The doctor often works from both sides of the bone, with one needle on "
                    "each side. In the FREE trial, about 2.4 ml of cement was used on each "
                    "side: roughly half a teaspoon.",
                    VAN_MEIRHAEGHE,
                ),
            ),
        ),
        Section(
            heading="Afterwards",
            facts=(
                _fact(
                    "Many people go home the same day. Your care team will tell you what to "
                    "expect in your case.",
                    VAN_MEIRHAEGHE,
                ),
                _fact(
                    "Kyphoplasty treats the broken bone, not the weak bones behind it. Your "
                    "care team should also send you for a bone density test and start care "
                    "for osteoporosis.",
                    LCD_L38201,
                    BHOF_2022,
                ),
            ),
        ),
    ),
)

BENEFITS = Topic(
    slug="benefits",
    title="Benefits: what the trials found",
    summary=(
        "In a large trial, kyphoplasty eased pain and helped people function better than "
        "non-surgical care, mostly in the first months. Other trials, of a similar procedure, "
        "give a more mixed picture."
    ),
    sections=(
        Section(
            heading="The FREE trial: the first month",
            facts=(
                _fact(
                    "The FREE trial included 300 people with 1 to 3 spine fractures less than "
                    "3 months old. By chance, 149 had kyphoplasty and 151 had non-surgical "
                    "care, such as pain medicines and rest.",
                    FREE,
                ),
                _fact(
                    "After 1 month, physical quality of life improved more with kyphoplasty. "
                    "On a standard score of physical health (the SF-36 physical component "
                    "summary), the kyphoplasty group went up 7.2 points and the non-surgical "
                    "group 2.0 points. The difference was 5.2 points in favour of kyphoplasty "
                    "(95% confidence interval 2.9 to 7.4).",
                    FREE,
                ),
                _fact(
                    "Also at 1 month, the kyphoplasty group scored 0.18 higher on another "
                    "quality-of-life scale (EQ-5D). It was 4.0 points better on a back "
                    "disability questionnaire (Roland-Morris). And it had 2.9 fewer days when "
                    "pain limited daily activity.",
                    FREE,
                ),
            ),
        ),
        Section(
            heading="The FREE trial: one and two years",
            facts=(
                _fact(
                    "By 12 months, the gap in physical quality of life had shrunk to 1.5 "
                    "points, which was not statistically significant. Back pain was 0.9 "
                    "points lower (on a 0-10 scale) with kyphoplasty.",
                    FREE,
                ),
                _fact(
                    "Averaged over 2 years, kyphoplasty was 3.24 points better for physical "
                    "quality of life and 1.49 points better for back pain. At 2 years, back "
                    "pain was 0.80 points lower. The quality-of-life differences measured at "
                    "12 and at 24 months were not statistically significant.",
                    BOONEN,
                ),
                _fact(
                    "Kyphoplasty partly restored the shape of the broken bone. At 2 years, the "
                    "forward tilt of the treated vertebra had improved by 3.1 degrees, "
                    "against 0.8 degrees with non-surgical care.",
                    VAN_MEIRHAEGHE,
                ),
                _fact(
                    "People who had kyphoplasty were 3.0 seconds faster on the Timed Up and "
                    "Go test: standing up from a chair, walking a short distance, turning, "
                    "walking back and sitting down.",
                    VAN_MEIRHAEGHE,
                ),
            ),
        ),
        Section(
            heading="The other side of the evidence",
            facts=(
                _fact(
                    "In the FREE trial, everyone knew which treatment they had. There was no "
                    "sham (pretend) procedure. Knowing you have had a procedure can by itself "
                    "make you feel better.",
                    FREE,
                ),
                _fact(
                    "Two trials published in 2009, INVEST and one led by Buchbinder, compared "
                    "vertebroplasty, a similar cement procedure, with a sham procedure. Neither "
                    "found a benefit over the sham. Most people in these trials had fractures "
                    "that were weeks to months old, and less severe pain.",
                    INVEST,
                    BUCHBINDER,
                ),
                _fact(
                    "Trials in people with very recent fractures and severe pain found "
                    "something different. VAPOUR (against a sham procedure) and VERTOS II "
                    "(against non-surgical care) both found that vertebroplasty eased pain "
                    "more.",
                    VAPOUR,
                    VERTOS_II,
                ),
                _fact(
                    "These four trials tested vertebroplasty, not balloon kyphoplasty. "
                    "Together they suggest that how recent the fracture is, and how bad the "
                    "pain is, may matter. Ask your doctor how the evidence applies to you.",
                    INVEST,
                    BUCHBINDER,
                    VAPOUR,
                    VERTOS_II,
                ),
                _fact(
                    "Medicare covers these procedures only for fractures that are recent or "
                    "still healing and still painful after other care. It does not cover old, "
                    "healed fractures, because there is little evidence of benefit for them.",
                    LCD_L38201,
                ),
            ),
        ),
    ),
)

RISKS = Topic(
    slug="risks",
    title="Risks and who should not have kyphoplasty",
    summary=(
        "Kyphoplasty is a small procedure, but no procedure is free of risk. Some people "
        "should not have it, and some need extra care."
    ),
    sections=(
        Section(
            heading="Possible risks",
            facts=(
                _fact(
                    "Bone cement can leak out of the bone. Most leaks cause no symptoms. "
                    "Rarely, leaked cement presses on a nerve or the spinal cord.",
                    FREE,
                    VAN_MEIRHAEGHE,
                ),
                _fact(
                    "As with other procedures through the skin, there is a small risk of "
                    "infection and bleeding. Nerve injury is rare. Very rarely, cement travels "
                    "in a vein to the lungs (a cement embolism).",
                    FREE,
                    BOONEN,
                ),
                _fact(
                    "New spine fractures can happen later, sometimes in a vertebra next to the "
                    "treated one. They also happen without the procedure, because the weak "
                    "bones remain. In the FREE trial, new spine fractures were seen in both "
                    "groups.",
                    FREE,
                    BOONEN,
                ),
                _fact(
                    "In the FREE trial, side effects overall were about as common with "
                    "kyphoplasty as with non-surgical care.",
                    FREE,
                ),
            ),
        ),
        Section(
            heading="Who should not have it",
            facts=(
                _fact(
                    "Kyphoplasty is not done when the back pain is not mainly caused by the "
                    "fracture.",
                    LCD_L38201,
                ),
                _fact(
                    "It is not done during an active infection, such as an infection of the "
                    "bone or of a disc in the spine.",
                    LCD_L38201,
                ),
                _fact("It is not done during pregnancy.", LCD_L38201),
            ),
        ),
        Section(
            heading="When extra care is needed",
            facts=(
                _fact(
                    "Doctors weigh the risks more carefully if you are allergic to bone cement "
                    "or to X-ray dye, or if you have a bleeding problem that has not been "
                    "corrected.",
                    LCD_L38201,
                ),
                _fact(
                    "Extra care is also needed if the spine is unstable, or if a piece of "
                    "broken bone has pushed back towards the spinal canal. The same goes for "
                    "signs of pressure on nerves or the spinal cord, such as pain, numbness or "
                    "weakness spreading into the legs.",
                    LCD_L38201,
                ),
                _fact(
                    "Tell your care team about all your medicines, especially blood thinners, "
                    "and about any allergies.",
                    LCD_L38201,
                ),
            ),
        ),
    ),
)

INSURANCE = Topic(
    slug="insurance",
    title="Insurance and Medicare coverage",
    summary=(
        "Medicare covers kyphoplasty when set criteria are met. Other insurers have their own "
        "rules, and many ask for approval first."
    ),
    sections=(
        Section(
            heading="Medicare's criteria in plain words",
            facts=(
                _fact(
                    "Medicare's local coverage rules, such as LCD L38201, say when vertebral "
                    "augmentation (including kyphoplasty) is covered. Other regions have "
                    "matching rules. Your doctor's office checks the exact wording.",
                    LCD_L38201,
                ),
                _fact(
                    "A scan, usually an MRI or a bone scan, must show that the fracture is "
                    "recent (acute) or still healing (subacute).",
                    LCD_L38201,
                ),
                _fact(
                    "Your pain must be at least 5 out of 10, or at least 8 out of 10 if you "
                    "are in hospital, even after non-surgical treatment has been tried.",
                    LCD_L38201,
                ),
                _fact(
                    "The pain must also be getting worse, or be disabling. Disabling here "
                    "means pain of 5 or more with at least two of these: the bone has lost "
                    "more than a quarter of its height; the spine has a forward curve "
                    "(kyphosis); or back problems greatly limit daily life (a score above 17 "
                    "out of 24 on the Roland-Morris questionnaire).",
                    LCD_L38201,
                ),
                _fact(
                    "At most 3 vertebrae are treated in one procedure.",
                    LCD_L38201,
                ),
                _fact(
                    "Old fractures that have already healed are not covered.",
                    LCD_L38201,
                ),
                _fact(
                    "Painful spine damage from cancer that has spread to the bone, or from "
                    "myeloma, can also be covered.",
                    LCD_L38201,
                ),
                _fact(
                    "Your care team is also expected to refer you for a bone density test and "
                    "for osteoporosis care.",
                    LCD_L38201,
                ),
            ),
        ),
        Section(
            heading="Codes and paperwork",
            facts=(
                _fact(
                    "Kyphoplasty is billed with CPT codes 22513 (one vertebra in the chest "
                    "part of the spine, thoracic), 22514 (one vertebra in the lower back, "
                    "lumbar) and 22515 (each extra vertebra).",
                    CPT_CODES,
                ),
                _fact(
                    "Vertebroplasty has its own codes: 22510, 22511 and 22512.",
                    CPT_CODES,
                ),
                _fact(
                    "Your records need to show your scans, your pain scores, the non-surgical "
                    "treatments you tried, and that nothing rules the procedure out.",
                    LCD_L38201,
                ),
                _fact(
                    "Medicare's rules do not bind other insurers, including private plans. "
                    "Ask your plan before the procedure whether it is covered and whether you "
                    "need approval first (prior authorization).",
                    LCD_L38201,
                ),
            ),
        ),
    ),
)

WHO_PERFORMS = Topic(
    slug="who-performs",
    title="Who performs kyphoplasty?",
    summary=(
        "Several kinds of specialists perform kyphoplasty. Other doctors then treat the weak "
        "bones behind the fracture."
    ),
    sections=(
        Section(
            heading="Doctors who do the procedure",
            facts=(
                _fact(
                    "Orthopaedic surgeons, especially spine surgeons, and neurosurgeons "
                    "(surgeons of the brain and spine).",
                    MEDICARE_UTILIZATION,
                ),
                _fact(
                    "Interventional radiologists, including neuroradiologists. These doctors "
                    "treat problems through small needles and tubes, guided by X-ray or other "
                    "images.",
                    MEDICARE_UTILIZATION,
                ),
                _fact(
                    "Pain medicine doctors, who often trained first in anaesthesiology or in "
                    "physical medicine and rehabilitation.",
                    MEDICARE_UTILIZATION,
                ),
                _fact(
                    "Medicare publishes how often each doctor bills the kyphoplasty codes. "
                    "Doctors with 10 or fewer Medicare patients for a code are left out, and "
                    "a high number does not by itself mean better care. You can ask a doctor "
                    "how often they do the procedure.",
                    MEDICARE_UTILIZATION,
                    CPT_CODES,
                ),
            ),
        ),
        Section(
            heading="Doctors who care for your bones afterwards",
            facts=(
                _fact(
                    "An endocrinologist (a specialist in hormones and bone) or your primary "
                    "care doctor usually treats the osteoporosis behind the fracture.",
                    ENDOCRINE_SOCIETY_2019,
                    BHOF_2022,
                ),
                _fact(
                    "Some hospitals have a fracture liaison service. Its team makes sure that "
                    "people with a broken bone get a bone check, a falls check and bone "
                    "medicine.",
                    FLS_KPI,
                ),
                _fact(
                    "A good fracture liaison service checks your fracture risk and arranges a "
                    "bone density scan within 12 weeks. It starts bone medicine and exercise "
                    "within 16 weeks, and checks at one year that you are still taking the "
                    "medicine.",
                    FLS_KPI,
                ),
            ),
        ),
    ),
)

PREVENTION = Topic(
    slug="prevention",
    title="Preventing the next fracture",
    summary=(
        "After one spine fracture, the chance of another is high, especially in the first "
        "year. Daily habits and bone medicines can lower it."
    ),
    sections=(
        Section(
            heading="Why it matters",
            facts=(
                _fact(
                    "After a spine fracture, another spine fracture is about 5 times more "
                    "likely, and the risk is highest in the first year.",
                    BHOF_2022,
                ),
                _fact(
                    "A spine fracture from a minor fall or strain means osteoporosis, even if "
                    "a bone density test looks normal. It is a reason to start treatment.",
                    AACE_2020,
                ),
            ),
        ),
        Section(
            heading="Daily habits",
            facts=(
                _fact(
                    "Calcium: women aged 51 or over and men aged 71 or over need about 1200 mg "
                    "a day; men aged 50 to 70 need about 1000 mg. Food is the best source; "
                    "supplements can make up the rest.",
                    BHOF_2022,
                ),
                _fact(
                    "Vitamin D: most adults over 50 need 800 to 1000 IU a day. Your doctor may "
                    "check your blood level.",
                    BHOF_2022,
                ),
                _fact(
                    "Exercise that builds strength and balance helps. Ask which exercises are "
                    "safe for your back.",
                    BHOF_2022,
                ),
                _fact(
                    "Lower your risk of falls. Your doctor can review medicines that make you "
                    "dizzy or drowsy, and your home can be made safer.",
                    BHOF_2022,
                ),
                _fact("Stop smoking, and keep alcohol low.", BHOF_2022),
            ),
        ),
        Section(
            heading="Bone medicines",
            facts=(
                _fact(
                    "Bone medicines lower the chance of new fractures. Bisphosphonates, such "
                    "as alendronate, risedronate or zoledronic acid, are usually tried first.",
                    ENDOCRINE_SOCIETY_2019,
                ),
                _fact(
                    "Denosumab is another choice, given as an injection. It must never be "
                    "stopped without moving on to another bone medicine. Stopping it with no "
                    "follow-on medicine can cause fast bone loss and new spine fractures.",
                    ENDOCRINE_SOCIETY_2019,
                ),
                _fact(
                    "People at very high risk, such as those with severe or several spine "
                    "fractures, may be offered a bone-building medicine: teriparatide or "
                    "abaloparatide.",
                    ENDOCRINE_SOCIETY_2019,
                ),
            ),
        ),
        Section(
            heading="Tests and tools",
            facts=(
                _fact(
                    "A bone density scan (DXA) is usually repeated every 1 to 3 years to see "
                    "how treatment is working.",
                    ENDOCRINE_SOCIETY_2019,
                ),
                _fact(
                    "The FRAX calculator estimates the chance of a major fracture in the next "
                    "10 years. Use the official FRAX website, ideally with your doctor.",
                    FRAX,
                ),
                _fact(
                    "A fracture liaison service, where there is one, helps make sure these "
                    "steps happen.",
                    FLS_KPI,
                ),
            ),
        ),
    ),
)

TOPICS: tuple[Topic, ...] = (
    CAUSES,
    HOW_COMMON,
    SYMPTOMS,
    DIAGNOSIS,
    KYPHOPLASTY,
    BENEFITS,
    RISKS,
    INSURANCE,
    WHO_PERFORMS,
    PREVENTION,
)

_BY_SLUG: dict[str, Topic] = {t.slug: t for t in TOPICS}


def topic(slug: str) -> Topic | None:
    """The topic with this slug, or ``None`` (the web app answers 404)."""
    return _BY_SLUG.get(slug)
