"""The patient self-check for a possible vertebral compression fracture (VCF), red flags first.

The answers are checked in a fixed order of precedence; the first that applies wins:

1. ``emergency``: a true answer to any of :data:`EMERGENCY_FLAGS` (signs of pressure on the
   spinal cord or the cauda equina, of a torn or leaking aorta, or major trauma): call 911 or
   go to an emergency department now.
2. ``urgent``: a true answer to any of :data:`URGENT_FLAGS` (signs that point to a tumour or an
   infection): be seen by a doctor the same day.
3. ``possible-vcf``: the seed page's checklist is met.
4. ``see-doctor``: the checklist is not met, but the *concern* is, by any of its four branches:
   a risk factor (age > 50, osteoporosis or long-term steroid tablets) with severe pain (NRS
   >= 7), pain for more than 3 days or a minor-trauma start; age under 20 with severe pain or
   pain for more than 3 days; severe pain for more than 14 days; any back pain for more than
   42 days. See a doctor whatever the pain feels like; today when the pain is 9 or 10.
5. ``not-indicated``: the checklist and the concern are both known to be false AND every red
   flag is answered no.
6. ``incomplete``: everything else: an answer that could change the result is missing (an
   unanswered red flag where the result would otherwise be ``not-indicated`` among them); the
   result lists what to answer (``to_answer``).

The checklist comes from a patient-education page; it is not a validated clinical decision
rule, so a "no" from it alone never reassures: the concern is the safety net under it.
Everything is three-valued (:mod:`spinefx.clinical.criteria`): an unanswered question is
unknown, never "no". The result informs; it never diagnoses.

>>> result = screen(ScreeningInput(age=58, onset="sudden", pain_nrs=9, pain_quality="sharp",
...                                pain_days=4))
>>> result.outcome.value
'possible-vcf'
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from spinefx.clinical import sources
from spinefx.clinical.criteria import Criterion, Tri, all_of, any_of, criterion

__all__ = [
    "CONCERN_SOURCE",
    "CRITERION_TEXT",
    "EMERGENCY_FLAGS",
    "LONG_PAIN_DAYS_OVER",
    "MIN_AGE_OVER",
    "MIN_PAIN_DAYS_OVER",
    "QUESTION_TEXT",
    "RED_FLAG_SHORT",
    "RED_FLAG_SOURCE",
    "SEVERE_PAIN_LONG_DAYS_OVER",
    "SEVERE_PAIN_NRS",
    "TODAY_FROM_NRS",
    "UNDER_AGE",
    "URGENT_FLAGS",
    "Onset",
    "Outcome",
    "PainQuality",
    "RedFlags",
    "ScreeningInput",
    "ScreeningResult",
    "criterion_text",
    "screen",
]

# --- Thresholds: the seed page's checklist (sources.SEED_SCREENING_RULE) --------------------
# The checklist is not a validated rule; its words need conventions to be applied at all.
# "Severe" pain is not quantified on the seed page; convention: 7 or more on the 0-10 NRS,
# applied to the worst pain in the last 24 hours including on moving (QUESTION_TEXT).
# The same three thresholds define the concern (sources.SCREENING_CONCERN).
SEVERE_PAIN_NRS: Final = 7
# "Lasting longer than 3 days": more than 72 hours, so pain_days must be strictly above 3.
MIN_PAIN_DAYS_OVER: Final = 3
# "Over 50": strictly older than 50, so a 50-year-old does not meet this branch.
MIN_AGE_OVER: Final = 50

# The safety net under the checklist: older age, osteoporosis or long-term steroids with
# severe or lasting pain or a minor-trauma start (sources.SCREENING_CONCERN).
CONCERN_SOURCE: Final = sources.SCREENING_CONCERN
# "Under 20" is a red-flag age in the AHCPR table: age < 20 with severe or lasting pain.
UNDER_AGE: Final = 20
# Severe pain (NRS >= SEVERE_PAIN_NRS) for more than two weeks, and any back pain for more than
# six weeks, is reason to see a doctor at any age (sources.SCREENING_PERSISTENT_PAIN).
SEVERE_PAIN_LONG_DAYS_OVER: Final = 14
LONG_PAIN_DAYS_OVER: Final = 42
# Pain at 9 or 10 out of 10: "see a doctor today", not "within the next few days".
TODAY_FROM_NRS: Final = 9

# --- Red flags: AHCPR guideline 14 red-flag table and NHS Wales GP CPD (sources.RED_FLAGS_*) ---
RED_FLAG_SOURCE: Final = f"{sources.RED_FLAGS_AHCPR}; {sources.RED_FLAGS_NHS_WALES}"
# Cauda equina / spinal cord compromise, aortic dissection or a leaking aortic aneurysm, and
# major trauma: emergency care now.
EMERGENCY_FLAGS: Final[tuple[str, ...]] = (
    "saddle_numbness",
    "bladder_or_bowel",
    "leg_weakness",
    "aortic",
    "major_trauma",
)
# Possible tumour or infection: same-day assessment by a doctor.
URGENT_FLAGS: Final[tuple[str, ...]] = (
    "cancer_history",
    "fever",
    "recent_infection",
    "weight_loss",
    "iv_drug_use",
    "immunosuppression",
    "night_pain",
)

# Each red flag in a few words (the question itself is QUESTION_TEXT).
RED_FLAG_SHORT: Final[dict[str, str]] = {
    "saddle_numbness": "Numbness between the legs (the saddle area)",
    "bladder_or_bowel": "New trouble passing urine, or loss of bladder or bowel control",
    "leg_weakness": "New or worsening weakness or numbness in a leg, or trouble walking",
    "aortic": "Tearing pain through to the back, a pulsing lump in the belly, or fainting",
    "major_trauma": "The pain started after a car crash or a fall from higher than standing",
    "cancer_history": "Treated for cancer in the past",
    "fever": "Fever or chills",
    "recent_infection": "A recent bacterial infection, such as a urine infection",
    "weight_loss": "Weight loss without trying",
    "iv_drug_use": "Injected drugs into a vein",
    "immunosuppression": "A weakened immune system",
    "night_pain": "Severe pain at night or when lying flat",
}
# Each criterion of the result said plainly, as a statement the patient can check; the web
# page and the CLI both print these, the JSON keeps the ids.
CRITERION_TEXT: Final[dict[str, str]] = {
    "sudden-onset": "The pain started suddenly.",
    "severe-pain": f"The pain is severe: {SEVERE_PAIN_NRS} or more out of 10.",
    "sharp-pain": "The pain is sharp.",
    "pain-over-3-days": f"The pain has lasted more than {MIN_PAIN_DAYS_OVER} days.",
    "age-over-50": f"You are older than {MIN_AGE_OVER}.",
    "osteoporosis": "A doctor has found osteoporosis, or thinner bones than normal, in the past.",
    "age-over-50-or-osteoporosis": (
        f"You are older than {MIN_AGE_OVER}, or a doctor has found osteoporosis (either is enough)."
    ),
    "minor-trauma": (
        "The pain began with a fall from standing height or lower, a lift, a twist, a cough or "
        "a sneeze."
    ),
    "steroids": "You have taken steroid tablets, such as prednisone, for 3 months or more.",
    "risk-factor": (
        f"You are older than {MIN_AGE_OVER}, have osteoporosis, or have taken steroid tablets "
        "for 3 months or more (any is enough)."
    ),
    "concern-risk-factor": (
        f"You are older than {MIN_AGE_OVER}, have osteoporosis or take steroid tablets, and the "
        f"pain is severe, has lasted more than {MIN_PAIN_DAYS_OVER} days, or began with a minor "
        "fall, a lift, a twist, a cough or a sneeze."
    ),
    "age-under-20": f"You are younger than {UNDER_AGE}.",
    "concern-under-20": (
        f"You are younger than {UNDER_AGE}, and the pain is severe or has lasted more than "
        f"{MIN_PAIN_DAYS_OVER} days."
    ),
    "severe-pain-over-14-days": (
        f"The pain is severe ({SEVERE_PAIN_NRS} or more out of 10) and has lasted more than "
        f"{SEVERE_PAIN_LONG_DAYS_OVER} days."
    ),
    "pain-over-42-days": (
        f"The back pain has lasted more than {LONG_PAIN_DAYS_OVER} days (6 weeks)."
    ),
    "concern": (
        "Any of the four reasons above (age, osteoporosis or steroids with pain like this; "
        "younger than 20; severe pain for more than 2 weeks; any pain for more than 6 weeks): "
        "a reason to see a doctor on its own."
    ),
    **{f"red-flag:{name}": words for name, words in RED_FLAG_SHORT.items()},
}


def criterion_text(id: str) -> str:
    """The words for the criterion ``id`` of a screening result.

    >>> criterion_text("red-flag:fever")
    'Fever or chills'
    """
    return CRITERION_TEXT.get(id, id)


Onset = Literal["sudden", "gradual"]
PainQuality = Literal["sharp", "dull", "aching", "burning"]
# An answer to a yes/no question: true, false, or null (not answered). Strict: 1 or "yes" is
# an input error, so a typo never turns into an answer.
Answer = Annotated[bool | None, Field(strict=True)]

# Plain-language questions, one per input field and per red flag (keyed by the bare name; the
# red-flag names do not clash with the top-level fields). The web form asks exactly these.
QUESTION_TEXT: Final[dict[str, str]] = {
    "age": "How old are you?",
    "onset": "Did the back pain start suddenly, or come on gradually?",
    "pain_nrs": (
        "In the last 24 hours, how bad has the pain been at its worst, including when you move, "
        "from 0 (no pain) to 10 (the worst imaginable)?"
    ),
    "pain_quality": "Which word fits the pain best: sharp, dull, aching or burning?",
    "pain_days": "How many days have you had this pain?",
    "osteoporosis": (
        "Have you ever been diagnosed with osteoporosis, or with thinning bones (low bone "
        "density) on a scan?"
    ),
    "minor_trauma": (
        "Did the pain begin when you had a minor fall (from standing height or lower), lifted "
        "something, twisted, coughed or sneezed?"
    ),
    "steroids": (
        "Have you taken steroid tablets, such as prednisone or prednisolone, for 3 months or "
        "more (now or in the past)?"
    ),
    "saddle_numbness": (
        "Do you have numbness or tingling between your legs, around your bottom or genitals "
        "(the area that would touch a saddle)?"
    ),
    "bladder_or_bowel": (
        "Since the pain began, have you had new trouble passing urine, or lost control of your "
        "bladder or bowels?"
    ),
    "leg_weakness": (
        "Do you have new or worsening weakness or numbness in a leg, a foot that drags, or "
        "trouble walking?"
    ),
    "aortic": (
        "With this pain, have you had a tearing or ripping pain that goes through to your back, "
        "felt a pulsing lump in your belly, or fainted or collapsed?"
    ),
    "major_trauma": (
        "Did the pain start after a serious injury: a car crash, or a fall from higher than "
        "standing height, such as off a ladder, down stairs or from a roof? (A fall from "
        "standing, or from knee height, does not count here.)"
    ),
    "cancer_history": "Have you ever been treated for cancer?",
    "fever": "Have you had a fever or chills with the back pain?",
    "recent_infection": (
        "Have you recently had an infection caused by bacteria, such as a urine (bladder) "
        "infection?"
    ),
    "weight_loss": "Have you lost weight recently without trying?",
    "iv_drug_use": "Have you injected drugs into a vein?",
    "immunosuppression": (
        "Is your immune system weakened, for example by long-term steroid tablets, an organ "
        "transplant, HIV, or medicines that suppress the immune system?"
    ),
    "night_pain": "Is the pain severe at night or when you lie flat, even when you keep still?",
}


class Outcome(StrEnum):
    """What the self-check recommends, in order of precedence."""

    EMERGENCY = "emergency"
    URGENT = "urgent"
    POSSIBLE_VCF = "possible-vcf"
    SEE_DOCTOR = "see-doctor"
    NOT_INDICATED = "not-indicated"
    INCOMPLETE = "incomplete"


class RedFlags(BaseModel):
    """Answers to the warning-sign questions; null or absent means not answered."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    saddle_numbness: Answer = None
    bladder_or_bowel: Answer = None
    leg_weakness: Answer = None
    aortic: Answer = None
    major_trauma: Answer = None
    cancer_history: Answer = None
    fever: Answer = None
    recent_infection: Answer = None
    weight_loss: Answer = None
    iv_drug_use: Answer = None
    immunosuppression: Answer = None
    night_pain: Answer = None

    def answer(self, name: str) -> Tri:
        """The answer to the red-flag question ``name`` (one of the field names)."""
        value: Tri = getattr(self, name)
        return value


class ScreeningInput(BaseModel):
    """The self-check answers; every field may be null or absent (not answered)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    age: Annotated[int | None, Field(ge=18, le=120, strict=True)] = None
    onset: Onset | None = None
    pain_nrs: Annotated[int | None, Field(ge=0, le=10, strict=True)] = None
    pain_quality: PainQuality | None = None
    pain_days: Annotated[float | None, Field(ge=0, strict=True, allow_inf_nan=False)] = None
    osteoporosis: Answer = None
    # The descriptions are help text on the patient's form: plain words.
    minor_trauma: Answer = Field(
        default=None,
        description="A fall from a ladder, down stairs or in a car crash is not a minor fall: "
        "it is asked about with the warning signs.",
    )
    steroids: Answer = Field(
        default=None,
        description="Steroid inhalers, creams and single injections do not count.",
    )
    red_flags: RedFlags | None = None


class ScreeningResult(BaseModel):
    """The outcome, every criterion checked (with its source), and what to do next.

    ``action`` says what to do and how soon (it scales with the pain: 9 or 10 out of 10 is
    "today"); ``headline`` the finding in a sentence. ``to_answer`` names the questions left
    unanswered whose answer could change the outcome (a red flag as ``red_flags.fever``).
    """

    model_config = ConfigDict(frozen=True)

    outcome: Outcome
    action: str
    headline: str
    criteria: tuple[Criterion, ...]
    unanswered_red_flags: tuple[str, ...]
    to_answer: tuple[str, ...]
    next_steps: tuple[str, ...]


class _Findings(BaseModel):
    """Every three-valued finding the outcome is decided from."""

    model_config = ConfigDict(frozen=True)

    sudden: Tri
    severe: Tri
    sharp: Tri
    long_enough: Tri
    older: Tri
    at_risk: Tri
    rule: Tri
    risk_factor: Tri
    concern_risk: Tri
    younger: Tri
    concern_young: Tri
    severe_long: Tri
    very_long: Tri
    concern: Tri


def _over(value: float | None, threshold: float) -> Tri:
    return None if value is None else value > threshold


def _findings(inp: ScreeningInput) -> _Findings:
    sudden = None if inp.onset is None else inp.onset == "sudden"
    severe = None if inp.pain_nrs is None else inp.pain_nrs >= SEVERE_PAIN_NRS
    sharp = None if inp.pain_quality is None else inp.pain_quality == "sharp"
    long_enough = _over(inp.pain_days, MIN_PAIN_DAYS_OVER)
    older = _over(inp.age, MIN_AGE_OVER)
    at_risk = any_of([older, inp.osteoporosis])
    rule = all_of([sudden, severe, sharp, long_enough, at_risk])
    risk_factor = any_of([older, inp.osteoporosis, inp.steroids])
    concern_risk = all_of([risk_factor, any_of([severe, long_enough, inp.minor_trauma])])
    younger = None if inp.age is None else inp.age < UNDER_AGE
    concern_young = all_of([younger, any_of([severe, long_enough])])
    severe_long = all_of([severe, _over(inp.pain_days, SEVERE_PAIN_LONG_DAYS_OVER)])
    very_long = _over(inp.pain_days, LONG_PAIN_DAYS_OVER)
    concern = any_of([concern_risk, concern_young, severe_long, very_long])
    return _Findings(
        sudden=sudden,
        severe=severe,
        sharp=sharp,
        long_enough=long_enough,
        older=older,
        at_risk=at_risk,
        rule=rule,
        risk_factor=risk_factor,
        concern_risk=concern_risk,
        younger=younger,
        concern_young=concern_young,
        severe_long=severe_long,
        very_long=very_long,
        concern=concern,
    )


def _decide(inp: ScreeningInput) -> Outcome:
    """The outcome by the fixed precedence: emergency, urgent, checklist, concern."""
    flags = inp.red_flags or RedFlags()
    answers = [flags.answer(name) for name in (*EMERGENCY_FLAGS, *URGENT_FLAGS)]
    if any(flags.answer(name) is True for name in EMERGENCY_FLAGS):
        return Outcome.EMERGENCY
    if any(flags.answer(name) is True for name in URGENT_FLAGS):
        return Outcome.URGENT
    f = _findings(inp)
    if f.rule is True:
        return Outcome.POSSIBLE_VCF
    if f.rule is False and f.concern is True:
        return Outcome.SEE_DOCTOR
    if f.rule is False and f.concern is False and all(a is False for a in answers):
        return Outcome.NOT_INDICATED
    return Outcome.INCOMPLETE


# Answers tried for an unanswered question, to see whether it could change the outcome: each
# side of every threshold the rule uses.
_TRIAL_VALUES: Final[dict[str, tuple[object, ...]]] = {
    "age": (18, UNDER_AGE, MIN_AGE_OVER + 1),
    "onset": ("sudden", "gradual"),
    "pain_nrs": (0, SEVERE_PAIN_NRS),
    "pain_quality": ("sharp", "dull"),
    "pain_days": (
        0,
        MIN_PAIN_DAYS_OVER + 1,
        SEVERE_PAIN_LONG_DAYS_OVER + 1,
        LONG_PAIN_DAYS_OVER + 1,
    ),
    "osteoporosis": (True, False),
    "minor_trauma": (True, False),
    "steroids": (True, False),
}


def _to_answer(inp: ScreeningInput, outcome: Outcome) -> tuple[str, ...]:
    """The unanswered questions whose answer could change ``outcome``, in the form's order."""
    if outcome is Outcome.EMERGENCY:
        return ()
    names: list[str] = []
    for name, trials in _TRIAL_VALUES.items():
        if getattr(inp, name) is None and any(
            _decide(inp.model_copy(update={name: value})) is not outcome for value in trials
        ):
            names.append(name)
    flags = inp.red_flags or RedFlags()
    for flag in (*EMERGENCY_FLAGS, *URGENT_FLAGS):
        # A yes to any warning sign outranks every outcome below emergency.
        if flags.answer(flag) is None:
            names.append(f"red_flags.{flag}")
    return tuple(names)


def screen(inp: ScreeningInput) -> ScreeningResult:
    """Apply the red flags, then the seed checklist and the concern, to the answers in ``inp``."""
    flags = inp.red_flags or RedFlags()
    rule_source = sources.SEED_SCREENING_RULE
    f = _findings(inp)
    criteria = [
        criterion("sudden-onset", f.sudden, rule_source),
        criterion("severe-pain", f.severe, rule_source),
        criterion("sharp-pain", f.sharp, rule_source),
        criterion("pain-over-3-days", f.long_enough, rule_source),
        criterion("age-over-50", f.older, rule_source),
        criterion("osteoporosis", inp.osteoporosis, rule_source),
        criterion("age-over-50-or-osteoporosis", f.at_risk, rule_source),
        criterion("minor-trauma", inp.minor_trauma, CONCERN_SOURCE),
        criterion("steroids", inp.steroids, CONCERN_SOURCE),
        criterion("risk-factor", f.risk_factor, CONCERN_SOURCE),
        criterion("concern-risk-factor", f.concern_risk, CONCERN_SOURCE),
        criterion("age-under-20", f.younger, RED_FLAG_SOURCE),
        criterion("concern-under-20", f.concern_young, RED_FLAG_SOURCE),
        criterion("severe-pain-over-14-days", f.severe_long, sources.SCREENING_PERSISTENT_PAIN),
        criterion("pain-over-42-days", f.very_long, sources.SCREENING_PERSISTENT_PAIN),
        criterion("concern", f.concern, CONCERN_SOURCE),
    ]
    answers = {name: flags.answer(name) for name in (*EMERGENCY_FLAGS, *URGENT_FLAGS)}
    criteria += [
        criterion(f"red-flag:{name}", answer, RED_FLAG_SOURCE) for name, answer in answers.items()
    ]
    unanswered = tuple(name for name, answer in answers.items() if answer is None)
    outcome = _decide(inp)
    today = inp.pain_nrs is not None and inp.pain_nrs >= TODAY_FROM_NRS
    return ScreeningResult(
        outcome=outcome,
        action=_action(outcome, today, f.concern),
        headline=(
            INCOMPLETE_BUT_SEE_DOCTOR
            if outcome is Outcome.INCOMPLETE and f.concern is True
            else OUTCOME_HEADLINES[outcome.value]
        ),
        criteria=tuple(criteria),
        unanswered_red_flags=unanswered,
        to_answer=_to_answer(inp, outcome),
        next_steps=_next_steps(outcome, inp, unanswered, f, today),
    )


# --- What to do next: plain language that informs and never diagnoses ----------------------
_WATCH_FOR_EMERGENCY = (
    "If you get numbness between your legs, new trouble controlling your bladder or bowels, new "
    "weakness in your legs, a tearing pain through to your back, or you faint, call 911 or go "
    "to an emergency department straight away."
)
_UNANSWERED_NOTE = (
    "Some warning-sign questions were not answered, so this result cannot rule out a problem "
    "that needs care sooner. Please go back and answer them."
)
_TODAY = (
    "today (pain of 9 or 10 out of 10 should not wait: ask your doctor's office for a same-day "
    "appointment, or go to an urgent care clinic)"
)
# Why see-doctor, one sentence per branch of the concern that is met.
_CONCERN_WHY: Final[dict[str, str]] = {
    # concern_risk is said from the answers given (see _risk_why)
    "concern_young": (
        f"Under the age of {UNDER_AGE}, back pain that is severe or lasts more than 3 days should "
        "be checked by a doctor."
    ),
    "severe_long": (
        "Severe back pain that has lasted more than 2 weeks should be checked by a doctor."
    ),
    "very_long": (
        "Back pain that has lasted more than 6 weeks should be checked by a doctor, whatever "
        "started it."
    ),
}
_STEPS: Final[dict[Outcome, tuple[str, ...]]] = {
    Outcome.EMERGENCY: (
        "Call 911 or go to the nearest emergency department now.",
        "One or more of your answers can be a sign of a problem, such as pressure on the nerves "
        "of the spine, a tear in the body's main blood vessel, or a serious injury, that needs "
        "care within hours. Do not wait to see if it gets better.",
        "Tell the staff about your back pain and the warning signs you have noticed.",
    ),
    Outcome.URGENT: (
        "See a doctor today: ask your doctor's office for a same-day appointment, or go to an "
        "urgent care clinic.",
        "One or more of your answers means back pain should be checked the same day, so that a "
        "doctor can look for causes other than a strain, such as an infection.",
        _WATCH_FOR_EMERGENCY,
    ),
    Outcome.POSSIBLE_VCF: (
        "Your answers fit the pattern of a possible spinal compression fracture. Only a doctor, "
        "usually with an X-ray or an MRI scan, can tell what is causing your pain.",
        "See a doctor soon, within the next few days, and ask whether you need an X-ray or an "
        "MRI of your spine.",
        "Mention your bone health: ask about a bone density (DXA) test, because a compression "
        "fracture is often the first sign of weak bones (osteoporosis).",
        _WATCH_FOR_EMERGENCY,
    ),
    Outcome.SEE_DOCTOR: (
        "Your answers do not match every part of the checklist for a compression fracture, but "
        "they are reason enough to see a doctor.",
        "See a doctor within the next few days and ask whether you need an X-ray of your spine "
        "and, if you are older or have been told of thin bones, a bone density (DXA) test.",
        _WATCH_FOR_EMERGENCY,
    ),
    Outcome.NOT_INDICATED: (
        "This check looked for warning signs and for back pain that is severe, lasting or "
        "started by a minor fall or lift in someone at risk of a spinal fracture. Your answers "
        "do not match it, but a checklist like this cannot rule out a fracture or another cause "
        "of back pain.",
        "See a doctor anyway if the pain gets worse, does not ease within a week or two, or stops "
        "you doing everyday things, or if you notice any of the warning signs in this check.",
        _WATCH_FOR_EMERGENCY,
    ),
    Outcome.INCOMPLETE: (
        "Some questions this self-check needs were not answered, so it cannot give a result.",
        "Answer the remaining questions, or see a doctor about your back pain.",
        _WATCH_FOR_EMERGENCY,
    ),
}


def _action(outcome: Outcome, today: bool, concern: Tri) -> str:
    """What to do and how soon: a doctor today when the pain is 9 or 10 out of 10. An
    incomplete result whose concern is already met says to see a doctor, not only to answer."""
    if outcome in (Outcome.POSSIBLE_VCF, Outcome.SEE_DOCTOR) or (
        outcome is Outcome.INCOMPLETE and concern is True
    ):
        if today:
            return "See a doctor today."
        if outcome is Outcome.INCOMPLETE:
            return "See a doctor within the next few days, and answer the remaining questions."
    return OUTCOME_ACTIONS[outcome.value]


def _words_and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _risk_why(inp: ScreeningInput, f: _Findings) -> str:
    """The risk-factor branch in the person's own answers: which risk, which kind of pain."""
    risks = [
        words
        for met, words in (
            (f.older, f"you are over {MIN_AGE_OVER}"),
            (inp.osteoporosis, "you have been told of osteoporosis"),
            (inp.steroids, "you have taken steroid tablets for a long time"),
        )
        if met is True
    ]
    pains = [
        words
        for met, words in (
            (f.severe, "is severe"),
            (f.long_enough, f"has lasted more than {MIN_PAIN_DAYS_OVER} days"),
            (inp.minor_trauma, "began with a minor fall, a lift, a twist, a cough or a sneeze"),
        )
        if met is True
    ]
    said = _words_and(risks) + ", and your pain " + _words_and(pains)
    return (
        f"{said[:1].upper()}{said[1:]}: that is how a spinal compression fracture often starts, "
        "even when the pain does not feel sudden or sharp."
    )


def _next_steps(
    outcome: Outcome, inp: ScreeningInput, unanswered: tuple[str, ...], f: _Findings, today: bool
) -> tuple[str, ...]:
    steps = list(_STEPS[outcome])
    why = [_risk_why(inp, f)] if f.concern_risk is True else []
    why += [text for name, text in _CONCERN_WHY.items() if getattr(f, name) is True]
    if outcome is Outcome.SEE_DOCTOR:
        steps[1:1] = why
    elif outcome is Outcome.INCOMPLETE and f.concern is True:
        steps[1:1] = [
            *why,
            "Whatever the other answers turn out to be, see a doctor within the next few days.",
        ]
    if today and (
        outcome in (Outcome.POSSIBLE_VCF, Outcome.SEE_DOCTOR)
        or (outcome is Outcome.INCOMPLETE and f.concern is True)
    ):
        steps = [
            step.replace("soon, within the next few days,", _TODAY).replace(
                "within the next few days", _TODAY
            )
            for step in steps
        ]
    if unanswered and outcome is not Outcome.EMERGENCY:
        steps.append(_UNANSWERED_NOTE)
    return tuple(steps)


# What to do and how soon: the first words of a result (the finding follows).
OUTCOME_ACTIONS = {
    "emergency": "Call 911 or go to an emergency department now.",
    "urgent": "See a doctor today.",
    "possible-vcf": "See a doctor within the next few days.",
    "see-doctor": "See a doctor within the next few days.",
    "not-indicated": "See a doctor if the pain gets worse or does not ease within a week or two.",
    "incomplete": "Answer the remaining questions, or see a doctor about your back pain.",
}
# An incomplete result whose concern is already met: the advice is certain, the label is not.
INCOMPLETE_BUT_SEE_DOCTOR = (
    "Your answers are already reason enough to see a doctor; the questions left would tell "
    "whether they fit a possible compression fracture."
)
OUTCOME_HEADLINES = {
    "emergency": "Call 911 or go to an emergency department now.",
    "urgent": "Be seen by a doctor today.",
    "possible-vcf": "Your answers fit a possible spinal compression fracture.",
    "see-doctor": (
        "Your answers do not match the whole checklist, but they are reason enough to be checked "
        "by a doctor."
    ),
    "not-indicated": (
        "This check did not find the pattern it looks for, but it cannot rule out a fracture."
    ),
    "incomplete": "We need more answers to give a result.",
}
