"""FHIR resources back into registry cases (the way out: :mod:`spinefx.fhir.registry_map`).

Resources read from Bulk NDJSON or a Bundle (:mod:`spinefx.fhir.bulk`) give one case per
``Patient``, in the import format (:class:`~spinefx.registry.schema.CaseIn`), ready for the
registry's import. First every resource of a type read here is validated with fhir.resources
(R4B, which reads R4); then each is mapped back. Resources the registry has no place for
(another type, a Condition that is not a fracture, a lab Observation, a Task that is not an
FLS event) are counted by reason, not refused. A resource that breaks a rule is an
:class:`~spinefx.errors.InputError` naming its file, its line (or Bundle entry) and the FHIR
element, and nothing is returned: the import is all or nothing, as the JSONL import is.

Where a case's site is not named by the resources (a ``managingOrganization`` with a spinefx
site identifier, or a spinefx MRN system), the caller's default site is used. The MRN is the
identifier in the site's MRN system, else the one of type MR, else the first. A
MedicationRequest that an FLS event's Task points at is that event, not a second one; any
other MedicationRequest of an osteoporosis drug becomes a "medication started" (or, when only
proposed, "medication recommended") event.
"""

from __future__ import annotations

import base64
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from spinefx.clinical.spine import Level
from spinefx.errors import FieldProblem, InputError
from spinefx.fhir import codes, drugs
from spinefx.fhir.bulk import Located, Origin
from spinefx.fhir.codes import EXT
from spinefx.fhir.registry_map import EXPORT_TYPES, KIND_BY_CPT
from spinefx.fhir.reports import patient_id
from spinefx.registry.schema import CaseIn, parse
from spinefx.registry.vocab import CaseStatus, EventStatus, EventType, FoundBy

__all__ = [
    "IMPORTED_TYPES",
    "MAX_PROBLEMS",
    "STATED_BY_SPINEFX",
    "ImportedCase",
    "RegistryImport",
    "cases_from_resources",
    "is_fictional",
    "patient_mrn",
    "patient_name",
    "resource_problems",
    "stated_fields",
]

IMPORTED_TYPES: Final = frozenset(EXPORT_TYPES)
MAX_PROBLEMS: Final = 20
# The case fields a Patient states. Every spinefx export states them all (its Patient carries
# the case-status extension, so no HTEST label means "not fictional" and no deceased element
# means "alive"). Another system's Patient says nothing of the registry's status, and the
# absence of a label or of a date of death there is not knowledge: those fields are stated only
# when present, so that updating a registered case does not reopen it, clear its date of death
# or unmark it as test data.
STATED_BY_SPINEFX: Final = frozenset(
    {"name", "birth_date", "sex", "status", "death_date", "fictional"}
)


@dataclass(frozen=True)
class ImportedCase:
    """One case read from FHIR: the Patient's origin, the case in the import format and where
    each of its rows was read (by kind, in the case's order)."""

    origin: Origin
    case: CaseIn
    row_origins: Mapping[str, Sequence[Origin]] = field(default_factory=dict)
    stated: frozenset[str] = STATED_BY_SPINEFX

    def locate(self, problem: FieldProblem) -> FieldProblem:
        """A problem of one of the case's fields (``fractures[0].date``), moved to the resource
        and the FHIR element it was read from (``Condition.ndjson line 3: onsetDateTime``)."""
        return _located(self.origin, self.row_origins, problem)


@dataclass
class RegistryImport:
    """The cases read, and the resources left out counted by reason."""

    cases: list[ImportedCase]
    skipped: Counter[str] = field(default_factory=Counter)

    def documents(self) -> list[dict[str, Any]]:
        """The cases as import-format JSON documents (one per line of a ``.jsonl`` import)."""
        return [c.case.model_dump(mode="json", exclude_defaults=False) for c in self.cases]


class _Problems:
    def __init__(self) -> None:
        self.items: list[FieldProblem] = []

    def add(self, origin: Origin, element: str, value: Any, allowed: str) -> None:
        self.items.append(FieldProblem(f"{origin}: {element}", value, allowed))

    def raise_any(self) -> None:
        if self.items:
            raise InputError.from_problems(self.items[:MAX_PROBLEMS])


def _dotted(loc: Sequence[Any]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part != "root":
            out += f".{part}" if out else str(part)
    return out or "(resource)"


def resource_problems(item: Located) -> list[FieldProblem]:
    """What fhir.resources (R4B) finds wrong with a resource, each at its file, line and element
    (at most five); empty when it is valid R4."""
    kind = item.resource.get("resourceType")
    try:
        get_fhir_model_class(str(kind)).model_validate(item.resource)
    except ValidationError as exc:
        return [
            FieldProblem(
                f"{item.origin}: {_dotted(error['loc'])}",
                error.get("input"),
                str(error.get("msg", "a valid value")).removeprefix("Value error, "),
            )
            for error in exc.errors()[:5]
        ]
    except (KeyError, ValueError) as exc:
        return [
            FieldProblem(f"{item.origin}: resourceType", kind, f"a FHIR R4 resource type ({exc})")
        ]
    return []


def _validate(item: Located, problems: _Problems) -> bool:
    found = resource_problems(item)
    problems.items.extend(found)
    return not found


def _codings(concept: Any) -> list[Mapping[str, Any]]:
    if not isinstance(concept, Mapping) or not isinstance(concept.get("coding"), list):
        return []
    return [c for c in concept["coding"] if isinstance(c, Mapping)]


def _code_in(concept: Any, system: str) -> str | None:
    for coding in _codings(concept):
        if coding.get("system") == system and isinstance(coding.get("code"), str):
            return str(coding["code"])
    return None


def _extension(resource: Mapping[str, Any], url: str) -> list[Mapping[str, Any]]:
    found = resource.get("extension")
    return [e for e in found or () if isinstance(e, Mapping) and e.get("url") == url]


def _ext_code(resource: Mapping[str, Any], url: str) -> str | None:
    for ext in _extension(resource, url):
        if isinstance(ext.get("valueCode"), str):
            return str(ext["valueCode"])
    return None


def _day(value: Any) -> str | None:
    """The date part of a FHIR date or dateTime."""
    return value[:10] if isinstance(value, str) and len(value) >= 10 else None


def _first_day(resource: Mapping[str, Any], *paths: str) -> str | None:
    for path in paths:
        value: Any = resource
        for part in path.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
        day = _day(value)
        if day:
            return day
    return None


def _levels(sites: Any) -> tuple[list[str], list[str]]:
    """(levels, other words) of a list of bodySite concepts."""
    levels: list[str] = []
    words: list[str] = []
    for concept in sites if isinstance(sites, list) else ():
        level: Level | None = None
        for coding in _codings(concept):
            code = str(coding.get("code", ""))
            if coding.get("system") == codes.SNOMED:
                level = codes.level_from_snomed(code) or level
            elif coding.get("system") == codes.VERTEBRAL_LEVEL:
                level = Level(code) if code.upper() in Level.__members__ else level
        text = concept.get("text") if isinstance(concept, Mapping) else None
        if level is None and isinstance(text, str):
            match = re.fullmatch(r"\s*([TL])\s*-?\s*(\d{1,2})(?:\s+vertebra)?\s*", text, re.I)
            if match and f"{match[1].upper()}{match[2]}" in Level.__members__:
                level = Level(f"{match[1].upper()}{match[2]}")
            elif text.strip():
                words.append(text.strip().lower())
        if level is not None and level.value not in levels:
            levels.append(level.value)
    return levels, words


def patient_mrn(patient: Mapping[str, Any], site: str | None) -> str | None:
    """A Patient's medical record number: its identifier in the site's MRN system, else the
    one of type MR, else the first with a value."""
    identifiers = [
        i for i in patient.get("identifier") or () if isinstance(i, Mapping) and i.get("value")
    ]
    if site is not None:
        for ident in identifiers:
            if ident.get("system") == codes.mrn_system(site):
                return str(ident["value"])
    for ident in identifiers:
        if _code_in(ident.get("type"), codes.V2_0203) == "MR":
            return str(ident["value"])
    return str(identifiers[0]["value"]) if identifiers else None


def patient_name(patient: Mapping[str, Any]) -> str | None:
    """A Patient's name as one line: the first ``HumanName`` with a text, or given and family."""
    for human in patient.get("name") or ():
        if not isinstance(human, Mapping):
            continue
        name = (
            human.get("text")
            or " ".join([*human.get("given", []), human.get("family", "")]).strip()
        )
        if name:
            return str(name)
    return None


def is_fictional(resource: Mapping[str, Any]) -> bool:
    """Whether a resource is marked as test data (security label or tag HTEST)."""
    meta = resource.get("meta") or {}
    labels = [*(meta.get("security") or []), *(meta.get("tag") or [])]
    return any(
        isinstance(c, Mapping) and c.get("system") == codes.ACT_REASON and c.get("code") == "HTEST"
        for c in labels
    )


def stated_fields(patient: Mapping[str, Any]) -> frozenset[str]:
    """The case fields ``patient`` states (see :data:`STATED_BY_SPINEFX`)."""
    if _extension(patient, EXT.CASE_STATUS):
        return STATED_BY_SPINEFX
    stated = {"name", "birth_date", "sex"}
    if patient.get("deceasedDateTime"):
        stated |= {"status", "death_date"}
    elif patient.get("deceasedBoolean") is True:
        stated.add("status")  # deceased, the date not known ("alive" says nothing of the rest)
    if is_fictional(patient):
        stated.add("fictional")
    return frozenset(stated)


_SITE_WORD = re.compile(r"^[a-z][a-z -]*$")


@dataclass
class _Case:
    patient: Located
    doc: dict[str, Any]
    origins: dict[str, list[Origin]]
    stated: frozenset[str]


class _Reader:
    """One import: the resources indexed, then each Patient's rows gathered."""

    def __init__(self, items: Sequence[Located], default_site: str | None) -> None:
        self.items = items
        self.default_site = default_site
        self.problems = _Problems()
        self.skipped: Counter[str] = Counter()
        self.by_ref: dict[str, Located] = {}
        for item in items:
            kind, rid = item.resource.get("resourceType"), item.resource.get("id")
            if isinstance(rid, str):
                self.by_ref[f"{kind}/{rid}"] = item
            if item.full_url:
                self.by_ref[item.full_url] = item

    def resolve(self, reference: Any, kind: str) -> Located | None:
        if not isinstance(reference, Mapping) or not isinstance(reference.get("reference"), str):
            return None
        ref = str(reference["reference"])
        found = self.by_ref.get(ref)
        if found is None and patient_id(reference) is not None and kind == "Patient":
            found = self.by_ref.get(f"Patient/{patient_id(reference)}")
        if found is None:
            parts = ref.split("/")
            if len(parts) >= 2:
                found = self.by_ref.get(f"{parts[-2]}/{parts[-1]}")
        if found is not None and found.resource.get("resourceType") == kind:
            return found
        return None

    def skip(self, kind: str, why: str) -> None:
        self.skipped[f"{kind}: {why}"] += 1

    # -- the Patient ------------------------------------------------------------------------

    def _site(self, item: Located) -> str | None:
        patient = item.resource
        org = self.resolve(patient.get("managingOrganization"), "Organization")
        if org is not None:
            for ident in org.resource.get("identifier") or ():
                if ident.get("system") == codes.SITE_SYSTEM and ident.get("value"):
                    return str(ident["value"])
        for ident in patient.get("identifier") or ():
            match = re.fullmatch(
                re.escape(codes.SPINEFX) + r":site:(.+):mrn", str(ident.get("system", ""))
            )
            if match:
                return match[1]
        return self.default_site

    def _patient_doc(self, item: Located) -> dict[str, Any]:
        patient = item.resource
        site = self._site(item)
        if site is None:
            self.problems.add(
                item.origin,
                "managingOrganization",
                patient.get("managingOrganization"),
                "an Organization of this import with a spinefx site identifier "
                f"({codes.SITE_SYSTEM}), or a default site for the import",
            )
        status = _ext_code(patient, EXT.CASE_STATUS)
        death = _day(patient.get("deceasedDateTime"))
        if status is None:
            dead = patient.get("deceasedBoolean") or death
            status = CaseStatus.DECEASED if dead else CaseStatus.ACTIVE
        return {
            "site": site or "",
            "mrn": patient_mrn(patient, site),
            "name": patient_name(patient),
            "birth_date": patient.get("birthDate"),
            "sex": patient.get("gender"),
            "status": status,
            "death_date": death,
            "fictional": is_fictional(patient),
            "fractures": [],
            "events": [],
            "procedures": [],
            "outcomes": [],
        }

    # -- rows -------------------------------------------------------------------------------

    def _fracture(self, item: Located) -> dict[str, Any] | None:
        res = item.resource
        ver = _code_in(res.get("verificationStatus"), codes.CONDITION_VER_STATUS)
        if ver in ("refuted", "entered-in-error"):
            self.skip("Condition", f"verification status {ver}")
            return None
        icd = _code_in(res.get("code"), codes.ICD10CM)
        snomed = _code_in(res.get("code"), codes.SNOMED)
        icd_n = codes.normalise_icd10(icd) if icd else ""
        spinal = codes.vertebral_fracture_code(codes.ICD10CM, icd) or (
            codes.vertebral_fracture_code(codes.SNOMED, snomed)
        )
        if not spinal and not icd_n.startswith(("M800", "M808")):
            self.skip("Condition", "not a fracture the registry records")
            return None
        levels, words = _levels(res.get("bodySite"))
        site: str | None = None
        if not levels:
            word = words[0] if words else ""
            site = word if _SITE_WORD.match(word) else ("spine" if spinal else "other")
        day = _first_day(res, "onsetDateTime", "onsetPeriod.start", "recordedDate")
        if day is None:
            self.problems.add(item.origin, "onsetDateTime", None, "the fracture's date")
        grade = _code_in(
            next((s.get("summary") for s in res.get("stage") or ()), None), codes.GENANT_GRADE
        )
        report_id = None
        for evidence in res.get("evidence") or ():
            for detail in evidence.get("detail") or ():
                ident = detail.get("identifier") or {}
                if ident.get("system") == codes.REPORT_SYSTEM and ident.get("value"):
                    report_id = str(ident["value"])
        matched = None
        for ext in _extension(res, EXT.EVIDENCE):
            data = (ext.get("valueAttachment") or {}).get("data")
            try:
                matched = json.loads(base64.b64decode(str(data)))
            except (ValueError, TypeError):
                self.problems.add(
                    item.origin, "extension (case-finding evidence)", data, "base64 JSON"
                )
        return {
            "date": day,
            "levels": levels,
            "site": site,
            "found_by": _ext_code(res, EXT.FOUND_BY) or FoundBy.CLINICAL,
            "genant_grade": int(grade) if grade and grade.isdigit() else None,
            "index": True
            if any(e.get("valueBoolean") is True for e in _extension(res, EXT.INDEX_FRACTURE))
            else None,
            "report_id": report_id,
            "evidence": matched,
        }

    def _procedure(self, item: Located) -> dict[str, Any] | None:
        res = item.resource
        if res.get("status") in ("entered-in-error", "not-done"):
            self.skip("Procedure", f"status {res.get('status')}")
            return None
        kind = KIND_BY_CPT.get(_code_in(res.get("code"), codes.CPT) or "")
        if kind is None:
            self.skip("Procedure", "not a vertebroplasty or kyphoplasty (CPT 22510-22515)")
            return None
        levels, _ = _levels(res.get("bodySite"))
        day = _first_day(res, "performedDateTime", "performedPeriod.start")
        if day is None:
            self.problems.add(item.origin, "performedDateTime", None, "the procedure's date")
        cement: dict[str, Any] = {}
        for ext in _extension(res, EXT.CEMENT):
            parts = {e.get("url"): e for e in ext.get("extension") or ()}
            level = (parts.get("level") or {}).get("valueCode")
            volume = ((parts.get("volume") or {}).get("valueQuantity") or {}).get("value")
            cement[str(level)] = volume
        npi = None
        for performer in res.get("performer") or ():
            actor = performer.get("actor") or {}
            found = self.resolve(actor, "Practitioner")
            idents = (found.resource.get("identifier") if found else None) or [
                actor.get("identifier") or {}
            ]
            npi = next((str(i["value"]) for i in idents if i.get("system") == codes.NPI), npi)
        notes = [n.get("text") for n in res.get("note") or () if n.get("text")]
        return {
            "date": day,
            "kind": kind,
            "levels": levels,
            "approach": _ext_code(res, EXT.APPROACH),
            "cement_ml": cement,
            "operator_npi": npi,
            "anaesthesia": _ext_code(res, EXT.ANAESTHESIA),
            "complications": [
                c
                for concept in res.get("complication") or ()
                if (c := _code_in(concept, codes.COMPLICATION)) is not None
            ],
            "note": "\n".join(notes) or None,
        }

    def _outcome(self, item: Located) -> dict[str, Any] | None:
        res = item.resource
        if res.get("status") in ("entered-in-error", "cancelled"):
            self.skip("Observation", f"status {res.get('status')}")
            return None
        loinc = _code_in(res.get("code"), codes.LOINC)
        local = _code_in(res.get("code"), codes.OUTCOME_INSTRUMENT)
        instrument = next(
            (inst for inst, code in codes.INSTRUMENT_CODES.items() if code.code in (loinc, local)),
            None,
        )
        if instrument is None:
            why = (
                "a DXA T-score (the registry keeps DXA as an FLS event, not its T-score)"
                if loinc in codes.TSCORE_LOINC
                else "not an outcome score the registry keeps (NRS, RDQ, ODI)"
            )
            self.skip("Observation", why)
            return None
        quantity = res.get("valueQuantity") or {}
        value = quantity.get("value", res.get("valueInteger"))
        if value is None:
            self.problems.add(item.origin, "valueQuantity.value", None, "the score")
        day = _first_day(res, "effectiveDateTime", "effectivePeriod.start", "issued")
        if day is None:
            self.problems.add(item.origin, "effectiveDateTime", None, "the date of the score")
        return {
            "date": day,
            "instrument": instrument,
            "score": value,
            "timepoint": _ext_code(res, EXT.TIMEPOINT),
        }

    def _event(self, item: Located) -> dict[str, Any] | None:
        res = item.resource
        kind = _code_in(res.get("code"), codes.FLS_EVENT)
        if kind is None:
            self.skip("Task", "not an FLS event (no spinefx fls-event code)")
            return None
        status = _code_in(res.get("businessStatus"), codes.FLS_EVENT_STATUS)
        if status is None:
            status = {"completed": "done", "rejected": "declined"}.get(str(res.get("status")))
        if status is None:
            self.skip("Task", "an FLS event not yet done, declined or not applicable")
            return None
        day = _first_day(res, "executionPeriod.start", "authoredOn", "lastModified")
        if day is None:
            self.problems.add(item.origin, "executionPeriod.start", None, "the event's date")
        notes = [n.get("text") for n in res.get("note") or () if n.get("text")]
        return {"type": kind, "status": status, "date": day, "note": "\n".join(notes) or None}

    def _medication_event(self, item: Located) -> dict[str, Any] | None:
        res = item.resource
        if res.get("status") in ("entered-in-error", "cancelled", "draft"):
            self.skip("MedicationRequest", f"status {res.get('status')}")
            return None
        concept = res.get("medicationCodeableConcept")
        if concept is None:
            medication = self.resolve(res.get("medicationReference"), "Medication")
            concept = medication.resource.get("code") if medication else None
        drug = drugs.recognise(concept)
        if drug is None:
            self.skip("MedicationRequest", "not an osteoporosis drug")
            return None
        day = _first_day(res, "authoredOn")
        if day is None:
            self.problems.add(item.origin, "authoredOn", None, "the date of the request")
        kind = (
            EventType.MEDICATION_RECOMMENDED
            if res.get("intent") in ("proposal", "plan")
            else EventType.MEDICATION_STARTED
        )
        displays = [c.get("display") for c in _codings(concept) if c.get("display")]
        text = (concept or {}).get("text") or next(iter(displays), None) or drug.ingredient
        return {"type": kind, "status": EventStatus.DONE, "date": day, "note": text}

    # -- the whole import -------------------------------------------------------------------

    def read(self) -> RegistryImport:
        valid: list[Located] = []
        for item in self.items:
            kind = item.resource.get("resourceType")
            if kind not in IMPORTED_TYPES:
                self.skip(str(kind), "a resource type the registry does not import")
            elif _validate(item, self.problems):
                valid.append(item)
        self.problems.raise_any()  # invalid resources first: their references would only echo
        cases: dict[str, _Case] = {}
        for item in valid:
            if item.resource["resourceType"] == "Patient":
                key = f"Patient/{item.resource.get('id')}"
                cases[key] = _Case(item, self._patient_doc(item), {}, stated_fields(item.resource))
        focused: set[str] = set()
        for item in valid:
            if item.resource["resourceType"] == "Task" and _code_in(
                item.resource.get("code"), codes.FLS_EVENT
            ):
                found = self.resolve(item.resource.get("focus"), "MedicationRequest")
                if found is not None:
                    focused.add(f"MedicationRequest/{found.resource.get('id')}")
        readers = {
            "Condition": ("fractures", self._fracture, "subject"),
            "Procedure": ("procedures", self._procedure, "subject"),
            "Observation": ("outcomes", self._outcome, "subject"),
            "Task": ("events", self._event, "for"),
            "MedicationRequest": ("events", self._medication_event, "subject"),
        }
        for item in valid:
            kind = item.resource["resourceType"]
            if kind not in readers:
                continue
            if kind == "MedicationRequest" and f"{kind}/{item.resource.get('id')}" in focused:
                continue  # the medication of an FLS event's Task: that Task is the event
            rows, read_row, subject_key = readers[kind]
            row = read_row(item)
            if row is None:
                continue
            subject = item.resource.get(subject_key)
            patient = self.resolve(subject, "Patient")
            case = cases.get(f"Patient/{patient.resource.get('id')}") if patient else None
            if case is None:
                self.problems.add(
                    item.origin, subject_key, subject, "a reference to a Patient of this import"
                )
                continue
            case.doc[rows].append(row)
            case.origins.setdefault(rows, []).append(item.origin)
        self.problems.raise_any()
        return RegistryImport(self._checked(list(cases.values())), self.skipped)

    def _checked(self, cases: list[_Case]) -> list[ImportedCase]:
        out: list[ImportedCase] = []
        seen: dict[tuple[str, str], Origin] = {}
        for case in cases:
            if not case.doc["fractures"]:
                self.problems.add(
                    case.patient.origin,
                    "(Patient)",
                    "no fracture",
                    "a Patient with at least one fracture Condition (ICD-10-CM M80-, M48.5-, "
                    "S22.0-, S32.0-, M84.58-, or a SNOMED CT vertebral fracture) whose subject "
                    "is this Patient",
                )
                continue
            try:
                parsed = parse(CaseIn, case.doc)
            except InputError as exc:
                for p in exc.problems:
                    self.problems.items.append(_located(case.patient.origin, case.origins, p))
                continue
            first = seen.setdefault((parsed.site, parsed.mrn), case.patient.origin)
            if first != case.patient.origin:
                self.problems.add(
                    case.patient.origin,
                    "identifier",
                    parsed.mrn,
                    f"an MRN not already given to the Patient at {first} (site {parsed.site})",
                )
            out.append(ImportedCase(case.patient.origin, parsed, case.origins, case.stated))
        self.problems.raise_any()
        return out


# The FHIR element each import-format field came from, for error messages.
_ELEMENT = {
    "fractures": {"date": "onsetDateTime", "levels": "bodySite", "site": "bodySite",
                  "genant_grade": "stage", "report_id": "evidence", "found_by": "extension",
                  "evidence": "extension", "index": "extension (index fracture)"},
    "procedures": {"date": "performedDateTime", "levels": "bodySite", "kind": "code",
                   "cement_ml": "extension (cement volume)", "operator_npi": "performer",
                   "approach": "extension (approach)", "anaesthesia": "extension (anaesthesia)",
                   "complications": "complication", "note": "note"},
    "outcomes": {"date": "effectiveDateTime", "score": "valueQuantity.value",
                 "timepoint": "extension (timepoint)", "instrument": "code"},
    "events": {"date": "executionPeriod.start", "note": "note", "type": "code",
               "status": "businessStatus"},
    "": {"site": "managingOrganization", "mrn": "identifier", "name": "name",
         "birth_date": "birthDate", "sex": "gender", "status": "extension (case status)",
         "death_date": "deceasedDateTime"},
}  # fmt: skip


def _located(
    patient: Origin, row_origins: Mapping[str, Sequence[Origin]], problem: FieldProblem
) -> FieldProblem:
    """A problem of the import format, moved to the resource and element it came from."""
    match = re.match(r"^(fractures|procedures|outcomes|events)\[(\d+)\]\.?([a-z_]*)", problem.field)
    if match:
        rows, index, name = match[1], int(match[2]), match[3]
        origins = row_origins.get(rows, [])
        origin = origins[index] if index < len(origins) else patient
        element = _ELEMENT[rows].get(name, name or "(resource)")
        return FieldProblem(f"{origin}: {element}", problem.value, problem.allowed)
    name = problem.field.split(".")[0].split("[")[0]
    element = _ELEMENT[""].get(name, problem.field)
    return FieldProblem(f"{patient}: {element}", problem.value, problem.allowed)


def cases_from_resources(
    items: Iterable[Located], *, default_site: str | None = None
) -> RegistryImport:
    """The registry cases in ``items`` (one per Patient), all checked before any is returned.

    ``default_site`` is the site of Patients whose site the resources do not name (a
    ``managingOrganization`` with a spinefx site identifier). An :class:`InputError` names the
    file, line and FHIR element of each problem (at most 20).
    """
    return _Reader(list(items), default_site).read()
