"""Turn pydantic validation failures into :class:`~spinefx.errors.InputError`.

Every rule input is a frozen pydantic model; this module is the one place that reads user
data into such a model and, on failure, names each bad field with the value given and the
allowed range or choices, worded for a person rather than a programmer.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.json_schema import GenerateJsonSchema
from pydantic_core import ErrorDetails

from spinefx.errors import MISSING, Bounds, FieldProblem, InputError, ProblemKind

__all__ = [
    "MAX_JSON_DEPTH",
    "MAX_JSON_INTEGER_DIGITS",
    "UNSTORABLE_TEXT",
    "FieldSpec",
    "JsonLine",
    "JsonProblem",
    "allowed_text",
    "decode_json",
    "describe",
    "json_lines",
    "load_json_file",
    "model_spec",
    "parse_input",
    "parse_int_text",
    "parse_number_text",
    "printable",
    "problem_kind",
    "problems_from",
    "refuse_unstorable_text",
]

MAX_JSON_DEPTH = 64  # objects and arrays inside each other; every rule input needs 3 at most
MAX_JSON_INTEGER_DIGITS = 30
# Numbers typed as text (query strings, form fields): ASCII digits only. Python's int() and
# float() also take other scripts' digits ("١٢"), superscripts' look-alikes and underscores.
_INT_TEXT = re.compile(r"[+-]?[0-9]{1,18}")
_NUMBER_TEXT = re.compile(
    r"[+-]?(?:[0-9]{1,18}(?:\.[0-9]{0,18})?|\.[0-9]{1,18})(?:[eE][+-]?[0-9]{1,3})?"
)


def parse_int_text(raw: str) -> int | None:
    """``raw`` (surrounding spaces allowed) as an integer if it is one in ASCII digits.

    >>> parse_int_text(" 42 "), parse_int_text("¹"), parse_int_text("4.0")
    (42, None, None)
    """
    text = raw.strip()
    return int(text) if _INT_TEXT.fullmatch(text) else None


def parse_number_text(raw: str) -> float | None:
    """``raw`` as a finite decimal number in ASCII (``8``, ``8.5``, ``1e2``), else ``None``.

    >>> parse_number_text("8.5"), parse_number_text("nan"), parse_number_text("٣")
    (8.5, None, None)
    """
    text = raw.strip()
    if not _NUMBER_TEXT.fullmatch(text):
        return None
    number = float(text)
    return number if math.isfinite(number) else None


class JsonProblem(ValueError):
    """A JSON document that cannot be read; the message says why, in one line."""


def _json_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_JSON_INTEGER_DIGITS:
        raise JsonProblem(f"an integer of {len(text.lstrip('-'))} digits is too long")
    return int(text)


def _json_float(text: str) -> float | int:
    value = float(text)
    if not math.isfinite(value):
        raise JsonProblem(f"the number {text[:20]} is too large")
    # JSON has one number type: 8.0 is the integer 8 (as JSON Schema's "integer" says).
    if value.is_integer() and abs(value) <= 2**53:
        return int(value)
    return value


def _not_a_number(text: str) -> Any:
    raise JsonProblem(f"{text} is not a JSON number")


def decode_json(data: bytes | str) -> Any:
    """Decode a JSON document strictly, or raise :class:`JsonProblem` saying why in one line.

    Bytes must be UTF-8 (a leading UTF-8 byte order mark is allowed); NaN and Infinity, numbers
    too large for a float, integers of more than :data:`MAX_JSON_INTEGER_DIGITS` digits and
    nesting deeper than :data:`MAX_JSON_DEPTH` are refused. A number with a zero fraction is an
    integer (``8.0`` reads as ``8``).

    >>> decode_json(b'{"age": 58.0, "egfr": 82.5}')
    {'age': 58, 'egfr': 82.5}
    >>> decode_json("[" * 100 + "]" * 100)
    Traceback (most recent call last):
    ...
    spinefx.validation.JsonProblem: nested deeper than 64 levels
    """
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JsonProblem(f"not UTF-8 text (byte {exc.start + 1} cannot be read)") from None
    else:
        text = data
    text = text.removeprefix("\ufeff")
    if _depth(text) > MAX_JSON_DEPTH:
        raise JsonProblem(f"nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        return json.loads(
            text, parse_int=_json_int, parse_float=_json_float, parse_constant=_not_a_number
        )
    except json.JSONDecodeError as exc:
        raise JsonProblem(f"line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except RecursionError:  # pragma: no cover - the depth check comes first
        raise JsonProblem(f"nested deeper than {MAX_JSON_DEPTH} levels") from None
    except JsonProblem:
        raise
    except ValueError as exc:  # int() of too many digits, and the like
        raise JsonProblem(str(exc).split("\n", 1)[0]) from None


def _depth(text: str) -> int:
    """The deepest nesting of brackets outside strings (a scan, so no recursion)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _bad_text_at(data: Any) -> tuple[str, str] | None:
    """The first field (dotted) whose name or value is text that cannot be stored: not valid
    Unicode (a lone surrogate) or holding a NUL character (PostgreSQL refuses it in text)."""
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if not _storable(value):
                return path or "(input)", value
        elif isinstance(value, Mapping):
            for key, item in value.items():
                name = f"{path}.{key}" if path else str(key)
                if isinstance(key, str) and not _storable(key):
                    return name, key
                stack.append((name, item))
        elif isinstance(value, list | tuple):
            stack.extend((f"{path}[{i}]", item) for i, item in enumerate(value))
    return None


UNSTORABLE_TEXT = "text in valid Unicode, without NUL characters or lone surrogates"


def refuse_unstorable_text(data: Any) -> None:
    """:class:`InputError` naming the first field of ``data`` (decoded JSON, a form, a query)
    whose name or text holds a NUL character or a lone surrogate: neither can be stored, shown
    or logged as it is, and PostgreSQL refuses a NUL where SQLite kept it.

    >>> try:
    ...     refuse_unstorable_text({"case": {"name": "Ann" + chr(0) + "a"}})
    ... except InputError as exc:
    ...     print(exc.field, exc.value)
    case.name Ann\\x00a
    """
    bad = _bad_text_at(data)
    if bad is not None:
        field, text = bad
        raise InputError(field, printable(text), UNSTORABLE_TEXT, kind=ProblemKind.FORMAT)


def _storable(text: str) -> bool:
    return "\x00" not in text and _encodable(text)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def printable(text: str) -> str:
    """``text`` with anything that is not valid Unicode (lone surrogates) as ``\\udXXX``, and
    a NUL character as ``\\x00``."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


_ModelT = TypeVar("_ModelT", bound=BaseModel)


def parse_input(
    model: type[_ModelT],
    data: Any,
    *,
    problems: Callable[[type[BaseModel], ValidationError], list[FieldProblem]] | None = None,
) -> _ModelT:
    """Validate ``data`` (a decoded JSON value) into ``model`` or raise :class:`InputError`
    made of ``problems`` (by default :func:`problems_from`)."""
    if not isinstance(data, Mapping):
        raise InputError("(input)", data, f"a JSON object with the fields of {model.__name__}")
    refuse_unstorable_text(data)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InputError.from_problems((problems or problems_from)(model, exc)) from exc


@dataclass(frozen=True)
class JsonLine:
    """One non-blank line of JSON Lines: its ``value``, or the decoder's ``error`` message."""

    number: int  # from 1, blank lines counted
    text: str
    value: Any = None
    error: str | None = None


def json_lines(lines: Iterable[str]) -> Iterator[JsonLine]:
    """Each non-blank line of ``lines`` decoded as JSON (a byte order mark opening the first
    is passed over); a line that is not JSON comes with its ``error`` instead of a value.

    >>> [(line.number, line.value, line.error) for line in json_lines(['{"id": 1}', "", "{"])]
    [(1, {'id': 1}, None), (3, None, 'Expecting property name enclosed in double quotes')]
    """
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            value = json.loads(text.removeprefix("\ufeff") if number == 1 else text)
        except json.JSONDecodeError as exc:
            yield JsonLine(number, text, error=exc.msg)
        else:
            yield JsonLine(number, text, value)


def load_json_file(path: str | Path, *, stdin: bytes | str | None = None) -> Any:
    """Read a JSON document from ``path`` (``-`` means what was read from standard input).

    Any problem (no such file, not UTF-8, not JSON, too deep, a huge integer) is one
    :class:`InputError` naming the field ``file``.
    """
    name = str(path)
    if name == "-":
        data: bytes | str = stdin or b""
        label = "standard input"
    else:
        file = Path(name)
        if not file.exists():
            raise InputError("file", name, "an existing JSON file, or - for standard input")
        if not file.is_file():
            raise InputError("file", name, "a JSON file, not a directory")
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise InputError("file", name, f"a readable JSON file ({exc.strerror})") from exc
        label = name
    try:
        return decode_json(data)
    except JsonProblem as exc:
        raise InputError("file", label, f"valid JSON ({exc})") from exc


def _dotted(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + item)
    return "".join(parts) or "(input)"


# --- what a field accepts, read from the model's JSON Schema ----------------------------------


class _OwnTitles(GenerateJsonSchema):
    """A JSON Schema whose fields carry a title only where the model gives one (pydantic
    otherwise makes one up from the name: "Fracture Date")."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


@dataclass(frozen=True)
class FieldSpec:
    """What one field accepts, as the model's JSON Schema says: the one description that the
    ``allowed`` wording of errors, the structure of a :class:`~spinefx.errors.FieldProblem`
    and the web's forms are all made from.

    ``expects`` is the sort of value: ``integer``, ``number``, ``text``, ``boolean``, ``date``,
    ``list`` (``item`` describes its items), ``object`` (``fields``, in the model's order),
    ``mapping`` (``item`` describes its values) or ``any``. ``bounds`` limit a number or a
    date; ``length`` a text's characters or a list's items; ``choices`` close the set.

    >>> from typing import Annotated
    >>> from pydantic import Field
    >>> spec = describe(Annotated[int | None, Field(ge=18, le=120)])
    >>> spec.expects, spec.bounds.low, spec.bounds.high, spec.nullable
    ('integer', 18, 120, True)
    >>> allowed_text(spec)
    'an integer from 18 to 120, or null'
    """

    name: str
    expects: str
    nullable: bool = False
    required: bool = False
    title: str | None = None
    description: str = ""
    choices: tuple[Any, ...] = ()
    bounds: Bounds | None = None
    length: Bounds | None = None
    item: FieldSpec | None = None
    fields: tuple[FieldSpec, ...] = ()

    def field(self, name: str) -> FieldSpec | None:
        """The field ``name`` of an object, else ``None``."""
        return next((f for f in self.fields if f.name == name), None)

    def at(self, loc: Sequence[int | str]) -> FieldSpec | None:
        """The field at a pydantic error location (``("vertebrae", 0, "ha")``), else None."""
        spec: FieldSpec | None = self
        for part in loc:
            if spec is None:
                return None
            if isinstance(part, int):
                spec = spec.item if spec.expects == "list" else None
            elif spec.expects == "object":
                spec = spec.field(part)
            elif spec.expects == "mapping" and part != "[key]":
                spec = spec.item
            else:
                return None
        return spec


@functools.cache
def model_spec(model: type[BaseModel]) -> FieldSpec:
    """Every field of ``model`` (nested models and lists included), from its JSON Schema."""
    schema = model.model_json_schema(schema_generator=_OwnTitles)
    return _spec("", schema, schema.get("$defs", {}), required=True)


def describe(annotation: Any, metadata: Sequence[Any] = ()) -> FieldSpec:
    """What a value of ``annotation`` accepts, with the constraints in ``metadata`` (those of
    a pydantic ``FieldInfo``) or in ``Annotated``."""
    if metadata:
        annotation = Annotated[annotation, *metadata]
    schema = TypeAdapter(annotation).json_schema(schema_generator=_OwnTitles)
    return _spec("", schema, schema.get("$defs", {}), required=True)


def _resolve(node: Mapping[str, Any], defs: Mapping[str, Any]) -> Mapping[str, Any]:
    while True:
        if "$ref" in node:
            node = defs[str(node["$ref"]).rsplit("/", 1)[-1]]
        elif "allOf" in node and len(node["allOf"]) == 1:
            node = node["allOf"][0]
        else:
            return node


def _spec(
    name: str, node: Mapping[str, Any], defs: Mapping[str, Any], *, required: bool
) -> FieldSpec:
    """One field from its JSON Schema ``node``; its title and description are the field's
    own, never those of the model or enum its ``$ref`` points at."""
    title = node.get("title") if name else None
    description = str(node.get("description", "")) if name else ""
    base = FieldSpec(name, "any", required=required, title=title, description=description)
    body = _resolve(node, defs)
    if "anyOf" in body:
        branches = [b for b in body["anyOf"] if b.get("type") != "null"]
        base = replace(base, nullable=len(branches) < len(body["anyOf"]))
        if len(branches) != 1:
            return base
        body = _resolve(branches[0], defs)
    kind = str(body.get("type", ""))
    if "enum" in body or "const" in body:
        choices = tuple(body["enum"]) if "enum" in body else (body["const"],)
        return replace(base, expects=_EXPECTS.get(kind, "any"), choices=choices)
    if kind == "string" and body.get("format") == "date":
        return replace(base, expects="date", bounds=_bounds(body, "ge", "gt", "le", "lt"))
    if kind in ("integer", "number"):
        limits = ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum")
        return replace(base, expects=kind, bounds=_bounds(body, *limits))
    if kind == "string":
        return replace(base, expects="text", length=_bounds(body, "minLength", "", "maxLength", ""))
    if kind == "array":
        item = _spec("", body.get("items", {}), defs, required=True)
        length = _bounds(body, "minItems", "", "maxItems", "")
        return replace(base, expects="list", length=length, item=item)
    if kind == "object" and "properties" in body:
        needed = set(body.get("required", ()))
        fields = tuple(
            _spec(key, value, defs, required=key in needed)
            for key, value in body["properties"].items()
        )
        return replace(base, expects="object", fields=fields)
    if kind == "object":
        values = body.get("additionalProperties")
        if not isinstance(values, Mapping):
            return replace(base, expects="mapping")
        return replace(base, expects="mapping", item=_spec("", values, defs, required=True))
    return replace(base, expects=_EXPECTS.get(kind, "any"))


_EXPECTS = {"string": "text", "integer": "integer", "number": "number", "boolean": "boolean"}


def _bounds(
    body: Mapping[str, Any], low: str, low_open: str, high: str, high_open: str
) -> Bounds | None:
    found = Bounds(
        body.get(low, body.get(low_open)),
        body.get(high, body.get(high_open)),
        low not in body and low_open in body,
        high not in body and high_open in body,
    )
    return None if found.low is None and found.high is None else found


def allowed_text(spec: FieldSpec) -> str:
    """Describe what a field accepts, e.g. ``an integer from 0 to 10, or null``."""
    text = _describe(spec)
    return f"{text}, or null" if spec.nullable else text


def _describe(spec: FieldSpec) -> str:
    if spec.choices:
        return "one of " + ", ".join(json.dumps(v) for v in spec.choices)
    if spec.expects == "list":
        inner = allowed_text(spec.item) if spec.item is not None else "values"
        size = _size(spec.length, " items")
        return f"a list{size} of {inner}"
    if spec.expects == "boolean":
        return "true or false"
    if spec.expects == "integer":
        return "an integer" + _range(spec.bounds)
    if spec.expects == "number":
        return "a number" + _range(spec.bounds)
    if spec.expects == "text":
        return "text" + _size(spec.length, " characters")
    if spec.expects == "object":
        return "an object with the fields " + ", ".join(f.name for f in spec.fields)
    if spec.expects == "date":
        return "a date as YYYY-MM-DD" + _range(spec.bounds)
    if spec.expects == "mapping":
        if spec.item is None or spec.item.expects == "any":
            return "an object"
        return f"an object whose values are {allowed_text(spec.item)}"
    return "a value"


def _range(bounds: Bounds | None) -> str:
    if bounds is None:
        return ""
    b = bounds
    if b.low is not None and b.high is not None and not b.low_open and not b.high_open:
        return f" from {b.low} to {b.high}"
    parts = []
    if b.low is not None:
        parts.append(f"{'>' if b.low_open else '>='} {b.low}")
    if b.high is not None:
        parts.append(f"{'<' if b.high_open else '<='} {b.high}")
    return (" " + " and ".join(parts)) if parts else ""


def _size(length: Bounds | None, unit: str) -> str:
    low, high = (length.low, length.high) if length is not None else (None, None)
    if low is not None and high is not None:
        return f" of {low} to {high}{unit}"
    if low is not None:
        return f" of at least {low}{unit}"
    if high is not None:
        return f" of at most {high}{unit}"
    return ""


# --- pydantic's errors as FieldProblems ---------------------------------------------------------

_KINDS: dict[str, ProblemKind] = {
    "missing": ProblemKind.MISSING,
    "extra_forbidden": ProblemKind.UNKNOWN_FIELD,
    "greater_than": ProblemKind.RANGE,
    "greater_than_equal": ProblemKind.RANGE,
    "less_than": ProblemKind.RANGE,
    "less_than_equal": ProblemKind.RANGE,
    "too_short": ProblemKind.LENGTH,
    "too_long": ProblemKind.LENGTH,
    "string_too_short": ProblemKind.LENGTH,
    "string_too_long": ProblemKind.LENGTH,
    "literal_error": ProblemKind.CHOICE,
    "enum": ProblemKind.CHOICE,
    "string_pattern_mismatch": ProblemKind.FORMAT,
    "value_error": ProblemKind.RULE,
    "assertion_error": ProblemKind.RULE,
}


def problem_kind(error_type: str) -> ProblemKind:
    """What a pydantic error type (``greater_than``, ``missing``...) says is wrong."""
    return _KINDS.get(error_type, ProblemKind.TYPE)


def problems_from(model: type[BaseModel], exc: ValidationError) -> list[FieldProblem]:
    """One :class:`FieldProblem` per pydantic error, de-duplicated by field."""
    root = model_spec(model)
    problems: dict[str, FieldProblem] = {}
    for error in exc.errors():
        carried = error.get("ctx", {}).get("error")
        if isinstance(carried, InputError):  # a model validator raised our own error: keep it
            for problem in carried.problems:
                problems.setdefault(problem.field, problem)
            continue
        field = _dotted(error["loc"])
        if field in problems:  # a union field yields one error per branch: report it once
            continue
        problems[field] = _problem(root, field, error)
    return list(problems.values())


def _problem(root: FieldSpec, field: str, error: ErrorDetails) -> FieldProblem:
    kind = problem_kind(error["type"])
    given = MISSING if error["type"] == "missing" else error.get("input")
    if error["type"] == "extra_forbidden":
        owner = root.at(error["loc"][:-1])  # an empty path is the model itself
        allowed = "no such field"
        if owner is not None and owner.expects == "object":
            allowed += "; known fields: " + ", ".join(f.name for f in owner.fields)
        return FieldProblem(field, given, allowed, kind)
    spec = root.at(error["loc"])
    if spec is None:
        return FieldProblem(field, given, error["msg"], kind)
    return FieldProblem(
        field, given, allowed_text(spec), kind, spec.expects, spec.bounds, spec.choices
    )
