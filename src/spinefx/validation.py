"""Turn pydantic validation failures into :class:`~spinefx.errors.InputError`.

Every rule input is a frozen pydantic model; this module is the one place that reads user
data into such a model and, on failure, names each bad field with the value given and the
allowed range or choices, worded for a person rather than a programmer.
"""

from __future__ import annotations

import enum
import json
import math
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import annotated_types
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from spinefx.errors import MISSING, FieldProblem, InputError

__all__ = [
    "MAX_JSON_DEPTH",
    "MAX_JSON_INTEGER_DIGITS",
    "JsonProblem",
    "NumericBounds",
    "allowed_text",
    "decode_json",
    "load_json_file",
    "numeric_bounds",
    "parse_input",
    "parse_int_text",
    "parse_number_text",
    "problems_from",
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
    """The first field (dotted) whose name or value is text that is not valid Unicode."""
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if not _encodable(value):
                return path or "(input)", value
        elif isinstance(value, Mapping):
            for key, item in value.items():
                name = f"{path}.{key}" if path else str(key)
                if isinstance(key, str) and not _encodable(key):
                    return name, key
                stack.append((name, item))
        elif isinstance(value, list | tuple):
            stack.extend((f"{path}[{i}]", item) for i, item in enumerate(value))
    return None


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def printable(text: str) -> str:
    """``text`` with anything that is not valid Unicode (lone surrogates) as ``\\udXXX``."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


ModelT = TypeVar("ModelT", bound=BaseModel)


def parse_input(model: type[ModelT], data: Any) -> ModelT:
    """Validate ``data`` (a decoded JSON value) into ``model`` or raise :class:`InputError`."""
    if not isinstance(data, Mapping):
        raise InputError("(input)", data, f"a JSON object with the fields of {model.__name__}")
    bad = _bad_text_at(data)
    if bad is not None:  # a lone surrogate ("\\ud800") cannot be stored, shown or logged
        field, text = bad
        raise InputError(field, printable(text), "text in valid Unicode (no lone surrogates)")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InputError.from_problems(problems_from(model, exc)) from exc


def problems_from(model: type[BaseModel], exc: ValidationError) -> list[FieldProblem]:
    """One :class:`FieldProblem` per pydantic error, de-duplicated by field."""
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
        problems[field] = FieldProblem(field, _given(error), _allowed_for(model, error))
    return list(problems.values())


def load_json_file(path: str | Path, *, stdin: bytes | str | None = None) -> Any:
    """Read a JSON document from ``path`` (``-`` means what was read from standard input).

    Any problem (no such file, not UTF-8, not JSON, too deep, a huge integer) is one
    :class:`InputError` naming ``FILE``.
    """
    name = str(path)
    if name == "-":
        data: bytes | str = stdin or b""
        label = "standard input"
    else:
        file = Path(name)
        if not file.exists():
            raise InputError("FILE", name, "an existing JSON file, or - for standard input")
        if not file.is_file():
            raise InputError("FILE", name, "a JSON file, not a directory")
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise InputError("FILE", name, f"a readable JSON file ({exc.strerror})") from exc
        label = name
    try:
        return decode_json(data)
    except JsonProblem as exc:
        raise InputError("FILE", label, f"valid JSON ({exc})") from exc


def _dotted(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + item)
    return "".join(parts) or "(input)"


def _given(error: ErrorDetails) -> Any:
    if error["type"] == "missing":
        return MISSING
    return error.get("input")


def _allowed_for(model: type[BaseModel], error: ErrorDetails) -> str:
    if error["type"] == "extra_forbidden":
        parent = _field_at(model, error["loc"][:-1])  # an empty path is the model itself
        owner = _strip_optional(parent[0]) if parent else None
        if isinstance(owner, type) and issubclass(owner, BaseModel):
            return "no such field; known fields: " + ", ".join(owner.model_fields)
        return "no such field"
    field_info = _field_at(model, error["loc"])
    if field_info is not None:
        annotation, metadata = field_info
        return allowed_text(annotation, metadata)
    return error["msg"]


def _field_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> tuple[Any, list[Any]] | None:
    """Follow ``loc`` through nested models and lists to the annotation of the bad field."""
    current: Any = model
    metadata: list[Any] = []
    for item in loc:
        current = _strip_optional(current)
        if isinstance(item, int):
            args = typing.get_args(current)
            if not args:
                return None
            current, metadata = _unwrap_annotated(args[0])
            continue
        if isinstance(current, type) and issubclass(current, BaseModel):
            info = current.model_fields.get(item)
            if info is None:
                return None
            current, metadata = info.annotation, list(info.metadata)
            continue
        return None
    return current, metadata


def _unwrap_annotated(tp: Any) -> tuple[Any, list[Any]]:
    if typing.get_origin(tp) is typing.Annotated:
        base, *meta = typing.get_args(tp)
        return base, list(meta)
    return tp, []


def _strip_optional(tp: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return _unwrap_annotated(args[0])[0]
    return _unwrap_annotated(tp)[0] if typing.get_origin(tp) is typing.Annotated else tp


def allowed_text(annotation: Any, metadata: list[Any]) -> str:
    """Describe what a field accepts, e.g. ``an integer from 0 to 10, or null``."""
    nullable = False
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        nullable = len(args) < len(typing.get_args(annotation))
        if len(args) == 1:
            annotation = args[0]
    annotation, extra_meta = _unwrap_annotated(annotation)
    metadata = [*metadata, *extra_meta]
    text = _describe(annotation, metadata)
    return f"{text}, or null" if nullable else text


def _describe(annotation: Any, metadata: list[Any]) -> str:
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return "one of " + ", ".join(json.dumps(v) for v in typing.get_args(annotation))
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return "one of " + ", ".join(json.dumps(m.value) for m in annotation)
    if origin in (list, tuple, set, frozenset):
        args = typing.get_args(annotation)
        inner = allowed_text(args[0], []) if args else "values"
        size = _bounds(metadata, "min_length", "max_length")
        return f"a list{size} of {inner}" if size else f"a list of {inner}"
    if annotation is bool:
        return "true or false"
    if annotation is int:
        return "an integer" + _range(metadata)
    if annotation is float:
        return "a number" + _range(metadata)
    if annotation is str:
        return "text" + _bounds(metadata, "min_length", "max_length", unit=" characters")
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "an object with the fields " + ", ".join(annotation.model_fields)
    name = getattr(annotation, "__name__", None)
    if name == "date":
        return "a date as YYYY-MM-DD" + _range(metadata)
    return str(name or annotation)


@dataclass(frozen=True)
class NumericBounds:
    """The numeric limits declared on a field (``Field(ge=..., lt=...)``); ``None`` if open."""

    low: Any = None
    high: Any = None
    low_open: bool = False  # ``gt`` rather than ``ge``
    high_open: bool = False  # ``lt`` rather than ``le``


def numeric_bounds(metadata: list[Any]) -> NumericBounds:
    """Read the ``ge``/``gt``/``le``/``lt`` constraints of a field's metadata."""
    low: Any = None
    high: Any = None
    low_open = high_open = False
    for item in _flatten(metadata):
        if isinstance(item, annotated_types.Ge):
            low, low_open = item.ge, False
        elif isinstance(item, annotated_types.Gt):
            low, low_open = item.gt, True
        elif isinstance(item, annotated_types.Le):
            high, high_open = item.le, False
        elif isinstance(item, annotated_types.Lt):
            high, high_open = item.lt, True
    return NumericBounds(low, high, low_open, high_open)


def _range(metadata: list[Any]) -> str:
    b = numeric_bounds(metadata)
    if b.low is not None and b.high is not None and not b.low_open and not b.high_open:
        return f" from {b.low} to {b.high}"
    parts = []
    if b.low is not None:
        parts.append(f"{'>' if b.low_open else '>='} {b.low}")
    if b.high is not None:
        parts.append(f"{'<' if b.high_open else '<='} {b.high}")
    return (" " + " and ".join(parts)) if parts else ""


def _bounds(metadata: list[Any], low_name: str, high_name: str, unit: str = " items") -> str:
    low = high = None
    for item in _flatten(metadata):
        if isinstance(item, annotated_types.MinLen):
            low = item.min_length
        elif isinstance(item, annotated_types.MaxLen):
            high = item.max_length
        else:
            low = getattr(item, low_name, low)
            high = getattr(item, high_name, high)
    if low is not None and high is not None:
        return f" of {low} to {high}{unit}"
    if low is not None:
        return f" of at least {low}{unit}"
    if high is not None:
        return f" of at most {high}{unit}"
    return ""


def _flatten(metadata: list[Any]) -> list[Any]:
    flat: list[Any] = []
    for item in metadata:
        if isinstance(item, annotated_types.Interval):
            flat.extend(iter(item))
        elif hasattr(item, "metadata") and isinstance(item.metadata, list):
            flat.extend(item.metadata)
        else:
            flat.append(item)
    return flat
