"""Bulk Data files in and out: NDJSON (one resource per line), Bundles, an export folder.

Reading yields :class:`Located` resources that remember their file
and line (or Bundle entry), so that a later error can name them. Writing puts one
``<Type>.ndjson`` per resource type into a folder (the Bulk Data layout), one resource at a
time, each file written beside its final name and renamed over it once all are complete: a
failed export leaves no half file.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from fhir.resources.R4B.resource import Resource

from spinefx.errors import InputError

__all__ = [
    "Located",
    "NdjsonWriter",
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


class NdjsonWriter:
    """``<Type>.ndjson`` files in ``directory``, written one resource at a time (memory flat
    whatever the number): each type's file is written beside its final name, and all are
    renamed over their names only when the ``with`` block ends without an error; an error
    leaves no new file (the Bulk export as a whole, or nothing new).

    >>> import tempfile
    >>> from fhir.resources.R4B.organization import Organization
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     with NdjsonWriter(Path(folder)) as out:
    ...         out.write(Organization(id="north"))
    ...     [(w.resource_type, w.path.name, w.count) for w in out.written]
    [('Organization', 'Organization.ndjson', 1)]
    """

    def __init__(self, directory: Path, order: Sequence[str] = ()) -> None:
        if directory.exists() and not directory.is_dir():
            raise InputError("DIR", str(directory), "a folder (it is a file)")
        self.directory = directory
        self.order = list(order)
        self.written: list[WrittenFile] = []
        self._open: dict[str, tuple[IO[str], Path]] = {}
        self._counts: dict[str, int] = {}

    def __enter__(self) -> NdjsonWriter:
        self.directory.mkdir(parents=True, exist_ok=True)
        return self

    def write(self, resource: Resource) -> None:
        kind = resource.get_resource_type()
        if kind not in self._open:
            handle, temp = tempfile.mkstemp(dir=self.directory, prefix=f".{kind}.", suffix=".tmp")
            self._open[kind] = (os.fdopen(handle, "w", encoding="utf-8", newline="\n"), Path(temp))
            self._counts[kind] = 0
        out, _ = self._open[kind]
        out.write(ndjson_line(resource))
        out.write("\n")
        self._counts[kind] += 1

    def __exit__(self, kind: object, error: object, traceback: object) -> None:
        for out, _ in self._open.values():
            out.close()
        if error is not None:
            for _, temp in self._open.values():
                temp.unlink(missing_ok=True)
            return
        kinds = [k for k in self.order if k in self._open]
        kinds += sorted(k for k in self._open if k not in kinds)
        for kind_name in kinds:
            final = self.directory / f"{kind_name}.ndjson"
            os.replace(self._open[kind_name][1], final)
            self.written.append(WrittenFile(kind_name, final, self._counts[kind_name]))


def write_ndjson(by_type: Mapping[str, Sequence[Resource]], directory: Path) -> list[WrittenFile]:
    """``<Type>.ndjson`` in ``directory`` (created if missing) for each type with resources."""
    with NdjsonWriter(directory, list(by_type)) as out:
        for resources in by_type.values():
            for resource in resources:
                out.write(resource)
    return out.written
