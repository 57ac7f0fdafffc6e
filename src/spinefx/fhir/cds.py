"""The CDS Hooks 2.0 service ``vertebral-fracture-care`` (hook ``patient-view``): pure logic.

The rule: a vertebral fracture on record and no osteoporosis drug in the last 12 months gives
one card (``warning``), which says why, carries the AACE/ACE 2020 reason (a fracture within
the past 12 months is very high risk; shared/reference/clinical.md) and links to spinefx's
follow-up plan filled in from the record. A treated patient gets no card. Without the prefetch
it needs, the service answers no card and says which prefetch was missing in the response's
``extension``; the web layer may fetch it first (:func:`missing_prefetch`).

The request and the response are CDS Hooks JSON (not FHIR resources), so they are pydantic
models here; the FHIR resources in the prefetch are read as JSON, only the elements used.

- A vertebral fracture: a Condition coded with :func:`spinefx.fhir.codes.vertebral_fracture_code`
  (ICD-10-CM M80.08-, M80.88-, M48.5-, S22.0-, S32.0-, M84.58-, or the SNOMED CT concepts in
  codes.py), not refuted nor entered in error; its date is ``onset[x]``, else ``recordedDate``.
- Treated: a MedicationRequest, MedicationStatement, MedicationAdministration or
  MedicationDispense of an osteoporosis drug (:mod:`spinefx.fhir.drugs`, by RxNorm ingredient
  code or name) that is current (status active or on-hold, a request not only proposed or
  planned) or dated within the 12 months before today. Cancelled, draft, entered-in-error and
  not-taken records do not count.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final, Literal
from urllib.parse import urlencode

from pydantic import BaseModel, ConfigDict, Field, model_validator

from spinefx.clinical import sources
from spinefx.clinical.spine import Level
from spinefx.errors import InputError
from spinefx.fhir import codes, drugs
from spinefx.fhir.reports import patient_id
from spinefx.validation import parse_input

__all__ = [
    "FOLLOWUP_PATH",
    "HOOK",
    "PREFETCH",
    "REQUIRED_PREFETCH",
    "RULE_DOC_PATH",
    "SERVICE_ID",
    "Card",
    "CdsRequest",
    "CdsResponse",
    "Criterion",
    "Link",
    "Source",
    "cards_for",
    "discovery",
    "missing_prefetch",
    "one_year_before",
    "parse_request",
]

SERVICE_ID: Final = "vertebral-fracture-care"
HOOK: Final = "patient-view"
FOLLOWUP_PATH: Final = "/clinician/followup"
RULE_DOC_PATH: Final = f"/cds-services/{SERVICE_ID}/rule"  # served by the web layer
_TSCORE_CODES = ",".join(f"{codes.LOINC}|{code}" for code in codes.TSCORE_LOINC)
PREFETCH: Final[Mapping[str, str]] = {
    "patient": "Patient/{{context.patientId}}",
    "conditions": "Condition?patient={{context.patientId}}",
    "medications": "MedicationRequest?patient={{context.patientId}}",
    "observations": f"Observation?patient={{{{context.patientId}}}}&code={_TSCORE_CODES}",
}
REQUIRED_PREFETCH: Final = ("patient", "conditions", "medications")  # T-scores are optional
_EXT_MISSING: Final = "spinefx-missing-prefetch"
_EXT_NOTE: Final = "spinefx-note"
_EXT_CRITERIA: Final = "spinefx-criteria"
SUMMARY_LIMIT: Final = 140


# --- the CDS Hooks JSON ------------------------------------------------------------------


class _Open(BaseModel):
    """CDS Hooks objects may carry fields added later: they are kept, not refused."""

    model_config = ConfigDict(extra="allow", frozen=True)


class PatientViewContext(_Open):
    userId: str = Field(min_length=1, max_length=500)
    patientId: str = Field(min_length=1, max_length=200)
    encounterId: str | None = Field(default=None, max_length=200)


class FhirAuthorization(_Open):
    access_token: str = Field(min_length=1)
    token_type: Literal["Bearer"]
    expires_in: int = Field(ge=0)
    scope: str
    subject: str


class CdsRequest(_Open):
    hook: Literal["patient-view"]
    hookInstance: uuid.UUID
    context: PatientViewContext
    fhirServer: str | None = Field(default=None, max_length=2000)
    fhirAuthorization: FhirAuthorization | None = None
    prefetch: dict[str, dict[str, Any] | None] | None = None

    @model_validator(mode="after")
    def _server_with_authorization(self) -> CdsRequest:
        if self.fhirAuthorization is not None and self.fhirServer is None:
            raise InputError(
                "fhirServer", None, "the FHIR server's URL when fhirAuthorization is given"
            )
        return self


class Source(BaseModel):
    label: str
    url: str | None = None


class Link(BaseModel):
    label: str
    url: str
    type: Literal["absolute", "smart"]


class Card(BaseModel):
    uuid: str
    summary: str = Field(max_length=SUMMARY_LIMIT - 1)
    detail: str
    indicator: Literal["info", "warning", "critical"]
    source: Source
    links: list[Link] = []


class Criterion(BaseModel):
    """One part of the rule, as the response's extension lists it (no patient data)."""

    id: str
    status: Literal["met", "not-met", "unknown"]
    source: str


class CdsResponse(BaseModel):
    cards: list[Card]
    extension: dict[str, Any] | None = None

    def json_body(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


def discovery() -> dict[str, Any]:
    """The discovery document: ``GET {base}/cds-services``."""
    return {
        "services": [
            {
                "hook": HOOK,
                "id": SERVICE_ID,
                "title": "Vertebral fracture without osteoporosis treatment",
                "description": (
                    "Warns when a vertebral fracture is on record and no osteoporosis drug "
                    "was given in the last 12 months, with a link to a follow-up plan filled "
                    "in from the record (AACE/ACE 2020: a fracture in the past year is very "
                    "high risk)."
                ),
                "prefetch": dict(PREFETCH),
            }
        ]
    }


def parse_request(body: Any) -> CdsRequest:
    """The request body, or an :class:`InputError` naming each bad field."""
    return parse_input(CdsRequest, body)


def missing_prefetch(request: CdsRequest) -> list[str]:
    """The required prefetch keys the request did not fill (absent or null)."""
    given = request.prefetch or {}
    return [key for key in REQUIRED_PREFETCH if given.get(key) is None]


# --- reading the prefetch ----------------------------------------------------------------


def one_year_before(day: date) -> date:
    """The same day a year earlier (28 February for 29 February)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def _day(value: Any) -> date | None:
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _at(resource: Mapping[str, Any], path: str) -> Any:
    value: Any = resource
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def _first_day(resource: Mapping[str, Any], *paths: str) -> date | None:
    for path in paths:
        found = _day(_at(resource, path))
        if found is not None:
            return found
    return None


def _codings(concept: Any) -> list[Mapping[str, Any]]:
    found = concept.get("coding") if isinstance(concept, Mapping) else None
    return [c for c in found if isinstance(c, Mapping)] if isinstance(found, list) else []


def _code(concept: Any, system: str) -> str | None:
    return next((str(c.get("code")) for c in _codings(concept) if c.get("system") == system), None)


def _entries(key: str, value: Any) -> Iterator[dict[str, Any]]:
    """The resources of a prefetched Bundle (or of a single resource)."""
    if not isinstance(value, Mapping) or not isinstance(value.get("resourceType"), str):
        raise InputError(f"prefetch.{key}", value, "a FHIR Bundle or resource (JSON object)")
    if value["resourceType"] != "Bundle":
        yield dict(value)
        return
    entries = value.get("entry") or []
    if not isinstance(entries, list):
        raise InputError(f"prefetch.{key}.entry", entries, "a list of Bundle entries")
    for i, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, Mapping) else None
        if resource is None:
            continue
        if not isinstance(resource, Mapping) or not isinstance(resource.get("resourceType"), str):
            raise InputError(
                f"prefetch.{key}.entry[{i}].resource", resource, "a FHIR resource (JSON object)"
            )
        yield dict(resource)


def _about(resource: Mapping[str, Any], patient: str, key: str = "subject") -> bool:
    """Whether the resource is the patient's (a resource naming no patient is taken as such:
    the EHR fetched it for this patient)."""
    reference = resource.get(key) or resource.get("patient")
    named = patient_id(reference)
    return named is None or named == patient


@dataclass(frozen=True)
class _Fracture:
    date: date | None
    levels: tuple[str, ...]
    code: str


def _fractures(conditions: Sequence[Mapping[str, Any]], patient: str) -> list[_Fracture]:
    found: list[_Fracture] = []
    for condition in conditions:
        if condition.get("resourceType") != "Condition" or not _about(condition, patient):
            continue
        verification = _code(condition.get("verificationStatus"), codes.CONDITION_VER_STATUS)
        if verification in ("refuted", "entered-in-error"):
            continue
        hit = next(
            (
                c
                for c in _codings(condition.get("code"))
                if codes.vertebral_fracture_code(c.get("system"), str(c.get("code") or ""))
            ),
            None,
        )
        if hit is None:
            continue
        levels: list[str] = []
        for site in condition.get("bodySite") or ():
            for coding in _codings(site):
                level = None
                if coding.get("system") == codes.SNOMED:
                    level = codes.level_from_snomed(str(coding.get("code")))
                elif coding.get("system") == codes.VERTEBRAL_LEVEL:
                    level = Level.__members__.get(str(coding.get("code")).upper())
                if level is not None and level.value not in levels:
                    levels.append(level.value)
        found.append(
            _Fracture(
                _first_day(condition, "onsetDateTime", "onsetPeriod.start", "recordedDate"),
                tuple(levels),
                f"{hit.get('code')}",
            )
        )
    return found


_NOT_GIVEN = frozenset(
    {"cancelled", "entered-in-error", "draft", "not-taken", "declined", "stopped-before-start"}
)
_CURRENT = frozenset({"active", "on-hold", "in-progress"})


def _medication_concept(
    resource: Mapping[str, Any], by_ref: Mapping[str, Mapping[str, Any]]
) -> Any:
    concept = resource.get("medicationCodeableConcept")
    if concept is not None:
        return concept
    reference = _at(resource, "medicationReference.reference")
    if not isinstance(reference, str):
        return None
    if reference.startswith("#"):  # a contained Medication
        for contained in resource.get("contained") or ():
            if isinstance(contained, Mapping) and contained.get("id") == reference[1:]:
                return contained.get("code")
        return None
    medication = by_ref.get(reference) or by_ref.get("/".join(reference.split("/")[-2:]))
    return medication.get("code") if medication else None


def _treatment_in_window(
    medications: Sequence[Mapping[str, Any]], patient: str, since: date
) -> tuple[drugs.Drug, str] | None:
    """The first osteoporosis drug given within the window (or current), and the kind of
    record that says so; ``None`` when there is none."""
    by_ref = {
        f"{m['resourceType']}/{m.get('id')}": m
        for m in medications
        if m.get("resourceType") == "Medication"
    }
    for resource in medications:
        kind = resource.get("resourceType")
        if kind not in (
            "MedicationRequest",
            "MedicationStatement",
            "MedicationAdministration",
            "MedicationDispense",
        ):
            continue
        if not _about(resource, patient) or resource.get("status") in _NOT_GIVEN:
            continue
        if kind == "MedicationRequest" and resource.get("intent") in ("proposal", "plan"):
            continue
        drug = drugs.recognise(_medication_concept(resource, by_ref))
        if drug is None:
            continue
        if resource.get("status") in _CURRENT:
            return drug, str(kind)
        when = [
            _first_day(resource, path)
            for path in (
                "authoredOn",
                "dispenseRequest.validityPeriod.end",
                "effectiveDateTime",
                "effectivePeriod.end",
                "effectivePeriod.start",
                "dateAsserted",
                "whenHandedOver",
                "whenPrepared",
            )
        ]
        latest = max((d for d in when if d is not None), default=None)
        if latest is not None and latest >= since:
            return drug, str(kind)
    return None


def _lowest_tscore(observations: Sequence[Mapping[str, Any]], patient: str) -> float | None:
    lowest: float | None = None
    for obs in observations:
        if obs.get("resourceType") != "Observation" or not _about(obs, patient):
            continue
        if obs.get("status") in ("entered-in-error", "cancelled"):
            continue
        if _code(obs.get("code"), codes.LOINC) not in codes.TSCORE_LOINC:
            continue
        value = _at(obs, "valueQuantity.value")
        if isinstance(value, int | float) and not isinstance(value, bool) and -6 <= value <= 3:
            lowest = float(value) if lowest is None else min(lowest, float(value))
    return lowest


def _age(birth: date | None, today: date) -> int | None:
    if birth is None:
        return None
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


# --- the rule ----------------------------------------------------------------------------


def _response(
    cards: list[Card], criteria: list[Criterion], note: str | None = None, **more: Any
) -> CdsResponse:
    extension: dict[str, Any] = {_EXT_CRITERIA: [c.model_dump() for c in criteria], **more}
    if note:
        extension[_EXT_NOTE] = note
    return CdsResponse(cards=cards, extension=extension)


def cards_for(
    request: CdsRequest | Mapping[str, Any],
    *,
    today: date,
    app_url: str,
    rule_url: str | None = None,
) -> CdsResponse:
    """The service's answer to one ``patient-view`` call.

    ``app_url`` is spinefx's public base URL (the card's link to the follow-up plan is
    absolute); ``rule_url`` the page documenting this rule (default ``app_url`` +
    :data:`RULE_DOC_PATH`). A malformed request or prefetch is an :class:`InputError`.
    """
    req = request if isinstance(request, CdsRequest) else parse_request(request)
    base = app_url.rstrip("/")
    missing = missing_prefetch(req)
    if missing:
        return _response(
            [],
            [],
            note="No card: the prefetch this service needs was not sent "
            f"({', '.join(missing)}); it does not fetch the record itself.",
            **{_EXT_MISSING: missing},
        )
    prefetch = req.prefetch or {}
    patient_id_ = req.context.patientId
    (patient,) = list(_entries("patient", prefetch["patient"]))[:1] or [{}]
    if patient.get("resourceType") != "Patient":
        raise InputError("prefetch.patient", patient.get("resourceType"), "a Patient resource")
    if patient.get("id") not in (None, patient_id_):
        raise InputError(
            "prefetch.patient.id", patient.get("id"), f"the context's patientId ({patient_id_})"
        )
    conditions = list(_entries("conditions", prefetch["conditions"]))
    medications = list(_entries("medications", prefetch["medications"]))
    observations = (
        list(_entries("observations", prefetch["observations"]))
        if prefetch.get("observations") is not None
        else []
    )

    since = one_year_before(today)
    fractures = _fractures(conditions, patient_id_)
    treatment = _treatment_in_window(medications, patient_id_, since)
    dated = [f.date for f in fractures if f.date is not None]
    latest = max(dated, default=None)
    recent = latest is not None and since <= latest <= today
    criteria = [
        Criterion(
            id="vertebral-fracture-on-record",
            status="met" if fractures else "not-met",
            source="ICD-10-CM / SNOMED CT vertebral fracture codes (docs/fhir.md)",
        ),
        Criterion(
            id="no-osteoporosis-drug-in-12-months",
            status="not-met" if treatment else "met",
            source="RxNorm ingredient or drug name (docs/fhir.md)",
        ),
        Criterion(
            id="fracture-in-past-12-months",
            status="met" if recent else ("unknown" if fractures and not dated else "not-met"),
            source=sources.AACE_2020,
        ),
    ]
    if not fractures:
        return _response([], criteria)
    if treatment is not None:
        return _response([], criteria)

    count = len({lv for f in fractures for lv in f.levels}) or len(fractures)
    params: dict[str, str] = {
        "vertebral_fractures": str(min(max(count, 1), 17)),
        "on_osteoporosis_treatment": "false",
    }
    if patient.get("gender") in ("female", "male"):
        params["sex"] = str(patient["gender"])
    age = _age(_day(patient.get("birthDate")), today)
    if age is not None and 18 <= age <= 120:
        params["age"] = str(age)
    if latest is not None:
        params["fracture_date"] = latest.isoformat()
    tscore = _lowest_tscore(observations, patient_id_)
    if tscore is not None:
        params["t_score"] = f"{tscore:g}"

    when = f"on {latest.isoformat()}" if latest else "with no date on record"
    if recent:
        summary = "Vertebral fracture in the past 12 months, no osteoporosis drug: very high risk"
        reason = (
            "A fracture within the past 12 months puts the patient at **very high** fracture "
            "risk (AACE/ACE 2020), where the guideline starts treatment with abaloparatide, "
            "denosumab, romosozumab, teriparatide or zoledronate."
        )
    else:
        summary = "Vertebral fracture on record and no osteoporosis drug in the past 12 months"
        reason = (
            "AACE/ACE 2020 counts a fracture within the past 12 months as **very high** risk; "
            f"this one is {'older' if latest else 'undated'}, so the plan weighs the other "
            "risk factors. A fragility vertebral fracture establishes osteoporosis whatever "
            "the bone density."
        )
    detail = "\n\n".join(
        [
            f"A vertebral fracture is on record ({len(fractures)} condition"
            f"{'s' if len(fractures) != 1 else ''}, the latest {when}) and no osteoporosis "
            f"drug was recorded since {since.isoformat()}.",
            reason,
            "The follow-up plan below is filled in from the record; check it with the "
            "patient before acting on it.",
        ]
    )
    card = Card(
        uuid=str(uuid.uuid5(req.hookInstance, SERVICE_ID)),
        summary=summary,
        detail=detail,
        indicator="warning",
        source=Source(
            label="spinefx: vertebral fracture follow-up (AACE/ACE 2020)",
            url=rule_url or f"{base}{RULE_DOC_PATH}",
        ),
        links=[
            Link(
                label="Open the osteoporosis follow-up plan",
                url=f"{base}{FOLLOWUP_PATH}?{urlencode(params)}",
                type="absolute",
            )
        ],
    )
    return _response([card], criteria)
