"""Bulk Data files in and out: NDJSON (one resource per line), Bundles, an export folder.

Reading yields :class:`Located` resources that remember their file
and line (or Bundle entry), so that a later error can name them. Writing puts one
``<Type>.ndjson`` per resource type into a folder (the Bulk Data layout), each file written
beside its final name and renamed over it once complete: a failed export leaves no half file.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fhir.resources.R4B.resource import Resource

from spinefx.errors import InputError

__all__ = [
    "Located",
    "Origin",
    "WrittenFile",
    "ndjson_line",
    "read_bundle",
    "read_ndjson",
    "read_path",
    "write_ndjson",
]


@dataclass(frozen=True)
class Origin:
    """Where a resource was read: a file and its line (NDJSON) or entry (Bundle), from 1."""

    file: str
    line: int
    unit: str = "line"

    def __str__(self) -> str:
        return f"{self.file} {self.unit} {self.line}"


@dataclass(frozen=True)
class Located:
    """A resource as JSON, where it was read, and its Bundle ``fullUrl`` if any."""

    resource: dict[str, Any]
    origin: Origin
    full_url: str | None = None


def ndjson_line(resource: Resource) -> str:
    """One resource as one line of NDJSON (no empty elements)."""
    return resource.model_dump_json(exclude_none=True)


def read_ndjson(lines: Iterable[str], file: str, *, lenient: bool = False) -> Iterator[Located]:
    """The resources of NDJSON ``lines``; a line that is not a JSON object with a
    ``resourceType`` is an :class:`InputError` naming ``file`` and the line. ``lenient``
    passes over JSON values that are not objects and keeps objects without a type (for
    case-finding, which counts them) instead; a line that is not JSON is an error either way."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line.lstrip("\ufeff"))
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{file} line {number}", line[:60], f"one FHIR resource as JSON ({exc.msg})"
            ) from exc
        if lenient and isinstance(value, dict):
            yield Located(value, Origin(file, number))
            continue
        if lenient and not isinstance(value, dict):
            continue
        if not isinstance(value, dict) or not isinstance(value.get("resourceType"), str):
            raise InputError(
                f"{file} line {number}", line[:60], "a JSON object with a resourceType"
            )
        yield Located(value, Origin(file, number))


def read_bundle(value: Mapping[str, Any], file: str) -> Iterator[Located]:
    """The entries of a Bundle (as JSON), each at ``<file> entry <n>`` (from 1)."""
    entries = value.get("entry")
    if entries is not None and not isinstance(entries, list):
        raise InputError(f"{file}: entry", entries, "a list of Bundle entries")
    for number, entry in enumerate(entries or (), start=1):
        resource = entry.get("resource") if isinstance(entry, Mapping) else None
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            raise InputError(
                f"{file} entry {number}: resource", resource, "a FHIR resource with a resourceType"
            )
        full_url = entry.get("fullUrl")
        yield Located(
            resource, Origin(file, number, "entry"), full_url if isinstance(full_url, str) else None
        )


def _read_file(path: Path) -> Iterator[Located]:
    try:
        with path.open(encoding="utf-8") as handle:
            head = handle.read(1 << 16)
            handle.seek(0)
            first = head.lstrip("\ufeff \t\r\n")[:1]
            if path.suffix.lower() in (".ndjson", ".jsonl"):
                yield from read_ndjson(handle, path.name)
                return
            if first != "{":
                raise InputError("FILE", str(path), "a FHIR Bundle or resource (JSON) or NDJSON")
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError("FILE", str(path), f"a readable UTF-8 file ({exc})") from exc
    try:
        value = json.loads(text.lstrip("\ufeff"))
    except json.JSONDecodeError:
        # More than one object: NDJSON under another extension.
        yield from read_ndjson(text.splitlines(), path.name)
        return
    if not isinstance(value, dict) or not isinstance(value.get("resourceType"), str):
        raise InputError(f"{path.name}", text[:60], "a FHIR Bundle or resource")
    if value["resourceType"] == "Bundle":
        yield from read_bundle(value, path.name)
    else:
        yield Located(value, Origin(path.name, 1))


def read_path(path: Path) -> Iterator[Located]:
    """The resources of a file (a Bundle, one resource, or NDJSON) or of a folder (every
    ``*.ndjson`` in it, by name: the Bulk Data layout)."""
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() == ".ndjson")
        if not files:
            raise InputError("FILE_OR_DIR", str(path), "a folder with .ndjson files in it")
        for file in files:
            yield from _read_file(file)
    elif path.is_file():
        yield from _read_file(path)
    else:
        raise InputError("FILE_OR_DIR", str(path), "an existing file or folder")


@dataclass(frozen=True)
class WrittenFile:
    resource_type: str
    path: Path
    count: int


def write_ndjson(by_type: Mapping[str, Sequence[Resource]], directory: Path) -> list[WrittenFile]:
    """``<Type>.ndjson`` in ``directory`` (created if missing) for each type with resources."""
    if directory.exists() and not directory.is_dir():
        raise InputError("DIR", str(directory), "a folder (it is a file)")
    directory.mkdir(parents=True, exist_ok=True)
    written: list[WrittenFile] = []
    for kind, resources in by_type.items():
        if not resources:
            continue
        final = directory / f"{kind}.ndjson"
        handle, temp = tempfile.mkstemp(dir=directory, prefix=f".{kind}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
                for resource in resources:
                    out.write(ndjson_line(resource))
                    out.write("\n")
            os.replace(temp, final)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        written.append(WrittenFile(kind, final, len(resources)))
    return written
