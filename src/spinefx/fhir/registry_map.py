"""A registry case as FHIR R4 resources (the way back: :mod:`spinefx.fhir.registry_import`).

One case in the import format (:mod:`spinefx.registry.schema`, or the JSON of
:func:`spinefx.registry.cases.case_document`) becomes

- an ``Organization`` for its site (identifier: the site code) and a ``Patient`` (identifier:
  the MRN, type MR, in the site's system; ``managingOrganization``: the site; the ``HTEST``
  security label on a fictional record; ``deceasedDateTime``: the date of death, else
  ``deceasedBoolean`` for a deceased case);
- a ``Condition`` per fracture, coded in ICD-10-CM (:func:`~spinefx.fhir.codes.fracture_icd10cm`),
  each vertebral level a ``bodySite`` (SNOMED CT and spinefx's level code), the Genant grade as
  ``stage`` and ``severity``, the imaging report it was found in as ``evidence``; the index
  fracture marked with a spinefx extension;
- a ``Procedure`` per procedure, coded in CPT, its levels as ``bodySite``, its operator a
  ``Practitioner`` (NPI), the fracture it treated its ``reasonReference``;
- an ``Observation`` per outcome score (LOINC where a code was checked, see codes.py);
- a ``Task`` per FLS event (code: the event type; ``businessStatus``: done, declined or not
  applicable) and, for a medication recommended or started whose note names an osteoporosis
  drug, a ``MedicationRequest`` (RxNorm ingredient, or the drug's name) as that Task's
  ``focus``; other Tasks' focus is the index fracture.

What FHIR has no element for (case status, how a fracture was found, the matched report text,
approach, anaesthesia, cement volumes, timepoints) travels in spinefx extensions
(:class:`~spinefx.fhir.codes.EXT`). Every reference points at a resource of the same export.
Resources are built from fhir.resources R4B model classes, validated as they are built.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from typing import Any, Final

from fhir.resources.R4B.annotation import Annotation
from fhir.resources.R4B.attachment import Attachment
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.condition import Condition, ConditionEvidence, ConditionStage
from fhir.resources.R4B.domainresource import DomainResource
from fhir.resources.R4B.extension import Extension
from fhir.resources.R4B.humanname import HumanName
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.medicationrequest import MedicationRequest
from fhir.resources.R4B.meta import Meta
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.period import Period
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.procedure import Procedure, ProcedurePerformer
from fhir.resources.R4B.quantity import Quantity
from fhir.resources.R4B.reference import Reference
from fhir.resources.R4B.task import Task

from spinefx.clinical.spine import Level
from spinefx.fhir import codes, drugs
from spinefx.fhir.codes import EXT
from spinefx.registry.index_fracture import default_index
from spinefx.registry.schema import CaseIn, EventIn, FractureIn, OutcomeIn, ProcedureIn, parse
from spinefx.registry.vocab import CaseStatus, EventStatus, EventType, FoundBy, ProcedureKind

__all__ = [
    "EVENT_TEXT",
    "EXPORT_TYPES",
    "KIND_BY_CPT",
    "case_input",
    "case_resources",
    "export_resources",
    "iter_export_resources",
    "patient_resource_id",
]

# The Bulk Data files of an export, in the order they are written.
EXPORT_TYPES: Final = (
    "Organization",
    "Practitioner",
    "Patient",
    "Condition",
    "Procedure",
    "Observation",
    "MedicationRequest",
    "Task",
)
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, codes.SPINEFX)
_CASE_ONLY_KEYS = ("id", "version", "index_date")  # case_document's extras, not import fields

_KIND_TEXT = {
    ProcedureKind.KYPHOPLASTY: "Balloon kyphoplasty (vertebral augmentation)",
    ProcedureKind.VERTEBROPLASTY: "Vertebroplasty",
}
KIND_BY_CPT: Final[Mapping[str, ProcedureKind]] = {
    "22510": ProcedureKind.VERTEBROPLASTY,
    "22511": ProcedureKind.VERTEBROPLASTY,
    "22512": ProcedureKind.VERTEBROPLASTY,
    "22513": ProcedureKind.KYPHOPLASTY,
    "22514": ProcedureKind.KYPHOPLASTY,
    "22515": ProcedureKind.KYPHOPLASTY,
}
EVENT_TEXT: Final[Mapping[EventType, str]] = {
    EventType.RISK_ASSESSMENT: "Fracture risk assessment",
    EventType.DXA: "DXA scan",
    EventType.FALLS_ASSESSMENT: "Falls risk assessment",
    EventType.MEDICATION_RECOMMENDED: "Osteoporosis medication recommended",
    EventType.EXERCISE_STARTED: "Strength and balance exercise started",
    EventType.MONITORING: "Monitoring",
    EventType.MEDICATION_STARTED: "Osteoporosis medication started",
    EventType.ON_MEDICATION_AT_52_WEEKS: "On osteoporosis medication at 52 weeks",
}
_TASK_STATUS = {
    EventStatus.DONE: "completed",
    EventStatus.DECLINED: "cancelled",
    EventStatus.NOT_APPLICABLE: "cancelled",
}
_MEDICATION_INTENT = {
    EventType.MEDICATION_STARTED: "order",
    EventType.MEDICATION_RECOMMENDED: "proposal",
}


def _coding(system: str, code: str, display: str | None = None) -> Coding:
    return Coding(system=system, code=code, display=display)


def _concept(*codings: Coding, text: str | None = None) -> CodeableConcept:
    return CodeableConcept(coding=list(codings) or None, text=text)


def _ref(kind: str, rid: str) -> Reference:
    return Reference(reference=f"{kind}/{rid}")


def _code_ext(url: str, value: str) -> Extension:
    return Extension(url=url, valueCode=value)


def _level_site(level: str) -> CodeableConcept:
    lv = Level(level)
    return _concept(
        _coding(codes.SNOMED, codes.VERTEBRA_SNOMED[lv], f"{lv.value} vertebra"),
        _coding(codes.VERTEBRAL_LEVEL, lv.value),
        text=lv.value,
    )


def _number(value: float) -> int | float:
    """A whole number as an int, so that JSON says 8, not 8.0."""
    return int(value) if float(value).is_integer() else value


def patient_resource_id(site: str, mrn: str) -> str:
    """The Patient id of a case: stable for the same site and MRN, whoever exports it."""
    return str(uuid.uuid5(_NAMESPACE, f"{site}\x1f{mrn}"))


def case_input(case: Mapping[str, Any] | CaseIn) -> CaseIn:
    """A case in the import format, from itself or from the registry's case document.

    The registry stores a spine fracture whose level is not known (a case-finding hit on a
    report that names none) with no levels and no site; the import format says ``"spine"``.
    """
    if isinstance(case, CaseIn):
        return case
    data = {k: v for k, v in case.items() if k not in _CASE_ONLY_KEYS}
    data["fractures"] = [
        {**f, "site": "spine"}
        if isinstance(f, Mapping) and not f.get("levels") and f.get("site") is None
        else f
        for f in data.get("fractures") or ()
    ]
    return parse(CaseIn, data)


def _treated_fracture(data: CaseIn, day: date, levels: Sequence[str]) -> int | None:
    """The fracture a procedure treated: the latest one on or before it sharing a level."""
    best: int | None = None
    for i, fracture in enumerate(data.fractures):
        shares = fracture.date <= day and set(fracture.levels) & set(levels)
        if shares and (best is None or fracture.date >= data.fractures[best].date):
            best = i
    return best


def _index_fracture(data: CaseIn) -> int:
    """The position of the case's index fracture: the one marked, else the registry's default
    for a case opened today (:mod:`spinefx.registry.index_fracture`)."""
    marked = [i for i, f in enumerate(data.fractures) if f.index]
    if marked:
        return marked[0]
    return default_index([(f.date, i) for i, f in enumerate(data.fractures)], date.today())


def _fracture(pid: str, i: int, data: CaseIn, fracture: FractureIn) -> Condition:
    icd = codes.fracture_icd10cm(fracture.levels, fracture.site)
    where = ", ".join(fracture.levels) or (fracture.site or "")
    extension = [_code_ext(EXT.FOUND_BY, fracture.found_by)]
    if fracture.index:
        extension.append(Extension(url=EXT.INDEX_FRACTURE, valueBoolean=True))
    if fracture.evidence is not None:
        payload = json.dumps(fracture.evidence, ensure_ascii=False, sort_keys=True).encode()
        extension.append(
            Extension(
                url=EXT.EVIDENCE,
                valueAttachment=Attachment(
                    contentType="application/json", data=base64.b64encode(payload)
                ),
            )
        )
    # A case-finding hit nobody has reviewed yet is not a confirmed diagnosis.
    unconfirmed = data.status == CaseStatus.TO_REVIEW and fracture.found_by == FoundBy.CASE_FINDING
    grade = fracture.genant_grade
    return Condition(
        id=f"{pid}-f{i + 1}",
        extension=extension,
        clinicalStatus=_concept(_coding(codes.CONDITION_CLINICAL, "active")),
        verificationStatus=_concept(
            _coding(codes.CONDITION_VER_STATUS, "unconfirmed" if unconfirmed else "confirmed")
        ),
        category=[
            _concept(_coding(codes.CONDITION_CATEGORY, "problem-list-item", "Problem List Item"))
        ],
        severity=(
            _concept(_coding(codes.SNOMED, *codes.CONDITION_SEVERITY[grade]))
            if grade is not None and grade in codes.CONDITION_SEVERITY
            else None
        ),
        code=_concept(
            _coding(icd.system, icd.code, icd.display),
            text=f"{'Vertebral fracture' if fracture.levels else 'Fracture'}, {where}",
        ),
        bodySite=(
            [_level_site(level) for level in fracture.levels]
            if fracture.levels
            else [_concept(text=fracture.site or "spine")]
        ),
        subject=_ref("Patient", pid),
        onsetDateTime=fracture.date,
        stage=(
            [
                ConditionStage(
                    summary=_concept(
                        _coding(codes.GENANT_GRADE, str(grade), f"Genant grade {grade}")
                    ),
                    type=_concept(text="Genant semiquantitative grade (0-3)"),
                )
            ]
            if grade is not None
            else None
        ),
        evidence=(
            [
                ConditionEvidence(
                    detail=[
                        Reference(
                            type="DiagnosticReport",
                            identifier=Identifier(
                                system=codes.REPORT_SYSTEM, value=fracture.report_id
                            ),
                        )
                    ]
                )
            ]
            if fracture.report_id
            else None
        ),
    )


def _cement(level: str, ml: float) -> Extension:
    return Extension(
        url=EXT.CEMENT,
        extension=[
            Extension(url="level", valueCode=level),
            Extension(
                url="volume",
                valueQuantity=Quantity(value=_number(ml), unit="mL", system=codes.UCUM, code="mL"),
            ),
        ],
    )


def _procedure(pid: str, i: int, data: CaseIn, proc: ProcedureIn) -> Procedure:
    levels = [str(level) for level in proc.levels]
    cpt = codes.cpt_for_procedure(proc.kind, levels)
    extension: list[Extension] = []
    if proc.approach is not None:
        extension.append(_code_ext(EXT.APPROACH, proc.approach))
    if proc.anaesthesia is not None:
        extension.append(_code_ext(EXT.ANAESTHESIA, proc.anaesthesia))
    extension.extend(_cement(str(level), ml) for level, ml in proc.cement_ml.items())
    treated = _treated_fracture(data, proc.date, levels)
    return Procedure(
        id=f"{pid}-p{i + 1}",
        extension=extension or None,
        status="completed",
        code=_concept(_coding(cpt.system, cpt.code, cpt.display), text=_KIND_TEXT[proc.kind]),
        subject=_ref("Patient", pid),
        performedDateTime=proc.date,
        bodySite=[_level_site(level) for level in levels],
        performer=(
            [ProcedurePerformer(actor=_ref("Practitioner", f"npi-{proc.operator_npi}"))]
            if proc.operator_npi
            else None
        ),
        reasonReference=(
            [_ref("Condition", f"{pid}-f{treated + 1}")] if treated is not None else None
        ),
        complication=[
            _concept(_coding(codes.COMPLICATION, c), text=c.replace("-", " "))
            for c in proc.complications
        ]
        or None,
        note=[Annotation(text=proc.note)] if proc.note else None,
    )


def _outcome(pid: str, i: int, outcome: OutcomeIn) -> Observation:
    code = codes.INSTRUMENT_CODES[outcome.instrument]
    unit = codes.INSTRUMENT_UNITS[outcome.instrument]
    return Observation(
        id=f"{pid}-o{i + 1}",
        extension=[_code_ext(EXT.TIMEPOINT, outcome.timepoint)] if outcome.timepoint else None,
        status="final",
        category=[_concept(_coding(codes.OBSERVATION_CATEGORY, "survey", "Survey"))],
        code=_concept(_coding(code.system, code.code, code.display), text=code.display),
        subject=_ref("Patient", pid),
        effectiveDateTime=outcome.date,
        valueQuantity=Quantity(
            value=_number(outcome.score), unit=unit, system=codes.UCUM, code=unit
        ),
    )


def _medication(pid: str, i: int, event: EventIn) -> MedicationRequest | None:
    intent = _MEDICATION_INTENT.get(event.type)
    drug = drugs.recognise_text(event.note)
    if intent is None or drug is None or event.status != EventStatus.DONE:
        return None
    coding = [_coding(codes.RXNORM, drug.rxnorm, drug.ingredient)] if drug.rxnorm else []
    return MedicationRequest(
        id=f"{pid}-m{i + 1}",
        # The registry records that the drug was started, not whether it is still taken.
        status="unknown",
        intent=intent,
        medicationCodeableConcept=_concept(*coding, text=drug.ingredient),
        subject=_ref("Patient", pid),
        authoredOn=event.date,
    )


def _task(pid: str, i: int, event: EventIn, focus: Reference) -> Task:
    return Task(
        id=f"{pid}-e{i + 1}",
        status=_TASK_STATUS[event.status],
        businessStatus=_concept(_coding(codes.FLS_EVENT_STATUS, event.status)),
        intent="plan",
        code=_concept(
            _coding(codes.FLS_EVENT, event.type, EVENT_TEXT[event.type]),
            text=EVENT_TEXT[event.type],
        ),
        focus=focus,
        for_fhir=_ref("Patient", pid),
        executionPeriod=Period(start=event.date),
        note=[Annotation(text=event.note)] if event.note else None,
    )


def _patient(pid: str, data: CaseIn) -> Patient:
    return Patient(
        id=pid,
        meta=(
            Meta(security=[_coding(codes.ACT_REASON, "HTEST", "test health data")])
            if data.fictional
            else None
        ),
        extension=[_code_ext(EXT.CASE_STATUS, data.status)],
        identifier=[
            Identifier(
                use="usual",
                type=_concept(_coding(codes.V2_0203, "MR", "Medical record number")),
                system=codes.mrn_system(data.site),
                value=data.mrn,
            )
        ],
        name=[HumanName(text=data.name)],
        gender=data.sex,
        birthDate=data.birth_date,
        deceasedBoolean=(
            True if data.status == CaseStatus.DECEASED and data.death_date is None else None
        ),
        deceasedDateTime=data.death_date.isoformat() if data.death_date else None,
        managingOrganization=_ref("Organization", data.site),
    )


def case_resources(case: Mapping[str, Any] | CaseIn) -> list[DomainResource]:
    """The resources of one case (its site's Organization and its operators' Practitioners
    included); an :class:`~spinefx.errors.InputError` when ``case`` breaks the import format."""
    data = case_input(case)
    pid = patient_resource_id(data.site, data.mrn)
    out: list[DomainResource] = [
        Organization(
            id=data.site,
            identifier=[Identifier(system=codes.SITE_SYSTEM, value=data.site)],
            name=data.site,
        ),
        _patient(pid, data),
    ]
    out.extend(_fracture(pid, i, data, f) for i, f in enumerate(data.fractures))
    for npi in dict.fromkeys(p.operator_npi for p in data.procedures if p.operator_npi):
        out.append(
            Practitioner(id=f"npi-{npi}", identifier=[Identifier(system=codes.NPI, value=npi)])
        )
    out.extend(_procedure(pid, i, data, p) for i, p in enumerate(data.procedures))
    out.extend(_outcome(pid, i, o) for i, o in enumerate(data.outcomes))
    index = _index_fracture(data)
    for i, event in enumerate(data.events):
        medication = _medication(pid, i, event)
        if medication is not None:
            out.append(medication)
            focus = _ref("MedicationRequest", str(medication.id))
        else:
            focus = _ref("Condition", f"{pid}-f{index + 1}")
        out.append(_task(pid, i, event, focus))
    return out


def iter_export_resources(cases: Iterable[Mapping[str, Any] | CaseIn]) -> Iterator[DomainResource]:
    """Every case's resources, case by case, each shared Organization and Practitioner once."""
    seen: set[tuple[str, str]] = set()
    for case in cases:
        for resource in case_resources(case):
            kind = resource.get_resource_type()
            if kind in ("Organization", "Practitioner"):
                key = (kind, str(resource.id))
                if key in seen:
                    continue
                seen.add(key)
            yield resource


def export_resources(
    cases: Iterable[Mapping[str, Any] | CaseIn],
) -> dict[str, list[DomainResource]]:
    """Every case's resources by type (:data:`EXPORT_TYPES` order), each shared Organization
    and Practitioner once."""
    by_type: dict[str, list[DomainResource]] = {kind: [] for kind in EXPORT_TYPES}
    for resource in iter_export_resources(cases):
        by_type[resource.get_resource_type()].append(resource)
    return by_type
