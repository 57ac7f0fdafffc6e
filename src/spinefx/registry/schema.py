"""The registry's exchange format: one case as JSON, for import, export and the API.

One case per line of a ``.jsonl`` file (issue 11 fixes these fields; ``id`` on a row, the
case's ``fictional`` mark and a fracture's ``report_id``/``evidence`` are optional extras)::

    {"site": "north", "mrn": "A-1001", "name": "...", "birth_date": "1968-05-01",
     "sex": "female", "status": "active",
     "fractures": [{"date": "2026-03-02", "levels": ["L2"], "site": null,
                    "found_by": "clinical", "genant_grade": 2}],
     "events": [{"type": "dxa", "status": "done", "date": "2026-04-01"}],
     "procedures": [{"date": "2026-03-10", "kind": "kyphoplasty", "levels": ["L2"],
                     "approach": "bipedicular", "cement_ml": {"L2": 4.5},
                     "operator_npi": "1234567893", "anaesthesia": "local", "complications": []}],
     "outcomes": [{"date": "2026-03-09", "instrument": "nrs", "score": 9}]}

A fracture outside the spine has ``levels: []`` and a ``site`` such as ``"hip"``. One fracture
may say ``"index": true``: the case's index fracture, from which the KPIs count (none said: the
default of :mod:`spinefx.registry.index_fracture`). ``death_date`` is the patient's date of
death (the case's status is then ``deceased``; see :func:`death_problems`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, Final, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from spinefx.clinical.followup import IsoDate
from spinefx.clinical.spine import Level
from spinefx.errors import Bounds, FieldProblem, InputError, ProblemKind
from spinefx.registry.vocab import (
    INSTRUMENT_RANGES,
    Anaesthesia,
    Approach,
    CaseStatus,
    Complication,
    EventStatus,
    EventType,
    FoundBy,
    Instrument,
    ProcedureKind,
    Sex,
    Timepoint,
)
from spinefx.validation import (
    _dotted,
    allowed_text,
    describe,
    parse_input,
    problems_from,
)

if TYPE_CHECKING:
    from spinefx.registry.models import Case

__all__ = [
    "MAX_ID",
    "MAX_PAGE",
    "CaseIn",
    "CaseUpdate",
    "EventIn",
    "FractureIn",
    "OutcomeIn",
    "ProcedureIn",
    "SiteCode",
    "birth_problems",
    "death_problems",
    "identifier",
    "npi_is_valid",
    "parse",
    "refuse_death_problems",
]

ModelT = TypeVar("ModelT", bound=BaseModel)

_STRICT = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)
SiteCode = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")
]
Mrn = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Note = Annotated[str, StringConstraints(max_length=4000)]
OtherSite = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z][a-z -]*$")
]
Npi = Annotated[str, StringConstraints(pattern=r"^[0-9]{10}$")]
# The largest row id and case version: the databases' INTEGER (PostgreSQL's is 32-bit). A
# larger number cannot name a row, and SQLite's driver overflows on one past 64 bits.
MAX_ID: Final = 2**31 - 1
MAX_PAGE: Final = 500  # the most rows one page of a list (cases, worklist, audit) may ask for
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]


# Characters that show nothing (or change the direction of what follows): zero-width spaces and
# joiners, bidi controls, soft hyphens, tag characters (Unicode categories Cf, Cc, Co, Cn, Zl,
# Zp) and the blank "letters" (Hangul fillers, the blank Braille pattern). In an identifier
# they make a second MRN that looks exactly like the first (Unicode TR 36, "Unicode Security
# Considerations", and TR 39's identifier profile).
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cn", "Zl", "Zp", "Cs"})
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
IDENTIFIER_TEXT = "visible characters only (no zero-width, bidi-control or other invisible ones)"


def identifier(field: str, text: str) -> str:
    """An MRN or a report id in Unicode NFKC (a full-width A1 is A1), trimmed; an
    :class:`InputError` naming ``field`` when it holds an invisible character.

    >>> identifier("mrn", " " + chr(0xFF21) + "-1001 ")
    'A-1001'
    >>> try:
    ...     identifier("mrn", "A-1001" + chr(0x200B))
    ... except InputError as exc:
    ...     print(exc.value)
    A-1001\\u200b
    """
    normal = unicodedata.normalize("NFKC", text).strip()
    for char in normal:
        if unicodedata.category(char) in _INVISIBLE_CATEGORIES or char in _BLANK_LETTERS:
            shown = normal.encode("ascii", "backslashreplace").decode("ascii")
            raise InputError(field, shown, IDENTIFIER_TEXT, kind=ProblemKind.FORMAT)
    return normal


def _identifiers(data: Any, fields: Sequence[str]) -> Any:
    """``data`` (a record before validation) with its identifier ``fields`` normalised."""
    if not isinstance(data, dict):
        return data
    changed = {k: identifier(k, data[k]) for k in fields if isinstance(data.get(k), str)}
    return {**data, **changed} if changed else data


def birth_problems(
    birth_date: date, fracture_dates: Sequence[date], *, today: date | None = None
) -> list[FieldProblem]:
    """What is wrong with a birth date beside the case's fractures (none: nothing): it is not
    in the future, and on or before every fracture."""
    today = today or date.today()
    problems: list[FieldProblem] = []
    if birth_date > today:
        problems.append(
            FieldProblem(
                "birth_date", birth_date.isoformat(), f"a date not in the future ({today})"
            )
        )
    earliest = min(fracture_dates, default=None)
    if earliest is not None and earliest < birth_date:
        problems.append(
            FieldProblem(
                "birth_date",
                birth_date.isoformat(),
                f"a date on or before the earliest fracture ({earliest.isoformat()})",
            )
        )
    return problems


def npi_is_valid(npi: str) -> bool:
    """The NPI check digit (Luhn over the number prefixed with 80840)."""
    if not re.fullmatch(r"[0-9]{10}", npi):
        return False
    digits = [int(c) for c in "80840" + npi]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return total % 10 == 0


class _RowIn(BaseModel):
    # A row under a case: its id where it is known (an export, an edit), then its own fields.
    # Every date is an IsoDate: YYYY-MM-DD from 1900-01-01 (the rules' earliest) to 2199-12-31.
    model_config = _STRICT

    id: RowId | None = None


class FractureIn(_RowIn):
    date: IsoDate
    levels: Annotated[list[Level], Field(max_length=17)] = []
    site: OtherSite | None = None
    found_by: FoundBy
    genant_grade: Annotated[int, Field(ge=0, le=3)] | None = None
    # The case's index fracture (true on one fracture); null: not said (a new case gets the
    # default, an edit keeps what the fracture was).
    index: bool | None = Field(
        default=None,
        title="Index fracture",
        description="The fracture that brought the patient to the service; the KPIs count from it.",
    )
    report_id: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    evidence: dict[str, Any] | None = None

    @model_validator(mode="before")
    @classmethod
    def _normal_report_id(cls, data: Any) -> Any:
        return _identifiers(data, ("report_id",))

    @model_validator(mode="after")
    def _spine_or_elsewhere(self) -> FractureIn:
        if len(set(self.levels)) != len(self.levels):
            raise InputError("levels", [str(v) for v in self.levels], "each level once")
        if not self.levels and self.site is None:
            raise InputError(
                "site", None, 'the fracture site (e.g. "hip", "wrist") when levels is empty'
            )
        if self.levels and self.site not in (None, "spine"):
            raise InputError("site", self.site, 'null (or "spine") for a spine fracture')
        return self


class EventIn(_RowIn):
    type: EventType
    status: EventStatus
    date: IsoDate
    note: Note | None = None


class ProcedureIn(_RowIn):
    date: IsoDate
    kind: ProcedureKind
    levels: Annotated[list[Level], Field(min_length=1, max_length=17)]
    approach: Approach | None = None
    cement_ml: dict[Level, Annotated[float, Field(gt=0, le=20)]] = {}
    operator_npi: Npi | None = None
    anaesthesia: Anaesthesia | None = None
    complications: Annotated[list[Complication], Field(max_length=7)] = []
    note: Note | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ProcedureIn:
        extra = sorted(str(k) for k in self.cement_ml if k not in self.levels)
        if extra:
            raise InputError("cement_ml", extra, "volumes only for the treated levels")
        if self.operator_npi is not None and not npi_is_valid(self.operator_npi):
            raise InputError(
                "operator_npi", self.operator_npi, "a 10-digit NPI with its check digit"
            )
        return self


class OutcomeIn(_RowIn):
    date: IsoDate
    instrument: Instrument
    score: Annotated[float, Field(allow_inf_nan=False)]
    timepoint: Timepoint | None = None

    @model_validator(mode="after")
    def _in_range(self) -> OutcomeIn:
        low, high = INSTRUMENT_RANGES[self.instrument]
        whole = self.instrument is not Instrument.ODI
        how: dict[str, Any] = {
            "expects": "integer" if whole else "number",
            "bounds": Bounds(low, high),
        }
        if not low <= self.score <= high:
            raise InputError(
                "score",
                self.score,
                f"{low:g} to {high:g} for {self.instrument}",
                kind=ProblemKind.RANGE,
                **how,
            )
        if whole and self.score != int(self.score):
            raise InputError(
                "score",
                self.score,
                f"a whole number for {self.instrument}",
                kind=ProblemKind.TYPE,
                **how,
            )
        return self


def death_problems(
    *,
    death_date: date | None,
    status: CaseStatus | str | None,
    birth_date: date | None,
    fracture_dates: Sequence[date] = (),
    today: date | None = None,
) -> list[FieldProblem]:
    """What is wrong with a date of death, each problem naming its field (none: nothing).

    A date of death lies from ``birth_date`` to ``today`` (both included; never in the future)
    and on or after every fracture (a fracture found at post-mortem is dated on or before the
    death); a case with a date of death has status ``deceased``. A deceased case may have no
    date (not known): the KPIs then keep it (docs/registry.md).
    """
    if death_date is None:
        return []
    today = today or date.today()
    day = death_date.isoformat()
    problems: list[FieldProblem] = []
    if birth_date is not None and death_date < birth_date:
        problems.append(
            FieldProblem("death_date", day, f"a date on or after birth_date ({birth_date})")
        )
    if death_date > today:
        problems.append(FieldProblem("death_date", day, f"a date not in the future ({today})"))
    latest = max(fracture_dates, default=None)
    if latest is not None and death_date < latest:
        problems.append(
            FieldProblem(
                "death_date", day, f"a date on or after the latest fracture ({latest.isoformat()})"
            )
        )
    if status is not None and CaseStatus(status) is not CaseStatus.DECEASED:
        problems.append(
            FieldProblem(
                "status",
                str(CaseStatus(status).value),
                "deceased: a case with a date of death (death_date) has status deceased",
            )
        )
    return problems


def refuse_death_problems(case: CaseIn | Case) -> None:
    """:class:`InputError` naming every :func:`death_problems` of the whole ``case``: one to
    import or one stored."""
    problems = death_problems(
        death_date=case.death_date,
        status=case.status,
        birth_date=case.birth_date,
        fracture_dates=[f.date for f in case.fractures],
    )
    if problems:
        raise InputError.from_problems(problems)


def _deceased_when_dated(data: Any) -> Any:
    """A record that gives a date of death and no status is ``deceased``."""
    if (
        isinstance(data, dict)
        and data.get("death_date") not in (None, "")
        and not data.get("status")
    ):
        return {**data, "status": CaseStatus.DECEASED.value}
    return data


class CaseIn(BaseModel):
    """One case in the import format."""

    model_config = _STRICT

    site: SiteCode
    mrn: Mrn
    name: Name
    birth_date: IsoDate
    sex: Sex
    status: CaseStatus = CaseStatus.ACTIVE
    death_date: IsoDate | None = None
    fictional: bool = False
    fractures: Annotated[list[FractureIn], Field(min_length=1, max_length=50)]
    events: Annotated[list[EventIn], Field(max_length=200)] = []
    procedures: Annotated[list[ProcedureIn], Field(max_length=50)] = []
    outcomes: Annotated[list[OutcomeIn], Field(max_length=200)] = []

    @model_validator(mode="before")
    @classmethod
    def _status_from_death(cls, data: Any) -> Any:
        return _identifiers(_deceased_when_dated(data), ("mrn",))

    @model_validator(mode="after")
    def _dates(self) -> CaseIn:
        if self.birth_date > date.today():
            raise InputError.from_problems(birth_problems(self.birth_date, []))
        for i, fracture in enumerate(self.fractures):
            if fracture.date < self.birth_date:
                raise InputError(
                    f"fractures[{i}].date", fracture.date.isoformat(), "a date after birth_date"
                )
        refuse_death_problems(self)
        marked = [i for i, f in enumerate(self.fractures) if f.index]
        if len(marked) > 1:
            raise InputError(
                f"fractures[{marked[1]}].index",
                True,
                f"false or null: fractures[{marked[0]}] is already the index fracture (one per "
                "case)",
            )
        if all(f.index is False for f in self.fractures):
            raise InputError(
                "fractures[0].index",
                False,
                "true on one fracture (or null on some, for the default): a case has one "
                "index fracture",
            )
        return self


class CaseUpdate(BaseModel):
    """The fields of a case that an edit may change (the rows under it have their own edits)."""

    model_config = _STRICT

    name: Name | None = None
    birth_date: IsoDate | None = None
    sex: Sex | None = None
    status: CaseStatus | None = None
    death_date: IsoDate | None = Field(
        default=None,
        title="Date of death",
        description="With status Deceased. The case leaves each KPI that falls due after it.",
    )

    @model_validator(mode="before")
    @classmethod
    def _status_from_death(cls, data: Any) -> Any:
        return _deceased_when_dated(data)

    @model_validator(mode="after")
    def _death(self) -> CaseUpdate:
        problems = death_problems(death_date=self.death_date, status=self.status, birth_date=None)
        if self.birth_date is not None:  # the fractures are checked with the stored case
            problems += birth_problems(self.birth_date, [])
        if problems:
            raise InputError.from_problems(problems)
        return self


def parse(model: type[ModelT], data: Any) -> ModelT:
    """Validate ``data`` into ``model``; an :class:`InputError` names every bad field by its path.

    Unlike :func:`spinefx.validation.parse_input`, a rule broken inside a nested row keeps the
    row's path: ``fractures[0].site``, not ``site``.
    """
    return parse_input(model, data, problems=_nested_problems)


def _nested_problems(model: type[BaseModel], exc: ValidationError) -> list[FieldProblem]:
    """:func:`~spinefx.validation.problems_from`, with the problems of an :class:`InputError`
    raised by a nested model's rule under that model's path; the first problem of a field."""
    problems: list[FieldProblem] = []
    for error in exc.errors():
        carried = error.get("ctx", {}).get("error")
        if isinstance(carried, InputError):
            prefix = _dotted(error["loc"])
            for p in carried.problems:
                field = p.field if prefix == "(input)" else f"{prefix}.{p.field}"
                problems.append(replace(p, field=field))
        else:
            problems.extend(problems_from(model, _single(exc, error)))
    seen: dict[str, FieldProblem] = {}
    for p in problems:
        seen.setdefault(p.field, p)
    return list(seen.values())


def _single(exc: ValidationError, error: Any) -> ValidationError:
    return ValidationError.from_exception_data(exc.title, [error])


def parse_value(annotation: Any, value: Any, field: str) -> Any:
    """Validate one value against ``annotation``; an :class:`InputError` names ``field``."""
    from pydantic import TypeAdapter

    try:
        return TypeAdapter(annotation).validate_python(value)
    except ValidationError as exc:
        spec = describe(annotation)
        raise InputError(
            field,
            value,
            allowed_text(spec),
            kind=ProblemKind.TYPE,
            expects=spec.expects,
            bounds=spec.bounds,
            choices=spec.choices,
        ) from exc
