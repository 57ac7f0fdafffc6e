"""The NPPES release as CMS ships it: one ZIP archive, read in place.

The monthly archive (``NPPES_Data_Dissemination_<Month>_<Year>.zip``, about 1 GB) and the weekly
one (``NPPES_Data_Dissemination_MMDDYY_MMDDYY_Weekly.zip``) each hold the main file
``npidata_pfile_*.csv``, the practice-location file ``pl_pfile_*.csv``, the other-name file
``othername_pfile_*.csv`` and the endpoint file, each with a ``..._fileheader.csv`` beside it
holding its header row alone. The main file expands to some 11 GB: it is read as a stream,
decompressed as it is parsed, never extracted to disk.

A :class:`CsvSource` is a CSV file either on disk or inside an archive; the readers in
:mod:`spinefx.directory.csvstream` take either.

>>> release = open_release(Path("NPPES_Data_Dissemination_March_2026_V2.zip"))  # doctest: +SKIP
>>> release.main.name  # doctest: +SKIP
'npidata_pfile_20050523-20260309.csv'
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, BinaryIO, NamedTuple, cast

from spinefx.directory.headers import header_key
from spinefx.errors import InputError

__all__ = ["CsvSource", "Period", "Release", "file_period", "is_archive", "open_release"]

_MAIN = re.compile(r"npidata_pfile_.*\.csv", re.IGNORECASE)
_LOCATIONS = re.compile(r"pl_pfile_.*\.csv", re.IGNORECASE)
_OTHER_NAMES = re.compile(r"othername_pfile_.*\.csv", re.IGNORECASE)
_HEADER_SUFFIX = re.compile(r"[_ ]?file ?header\.csv$", re.IGNORECASE)
# The dates in CMS file names: the main file's YYYYMMDD-YYYYMMDD (20050523-... for a monthly
# file), the weekly archive's MMDDYY_MMDDYY.
_CSV_PERIOD = re.compile(r"npidata_pfile_(\d{8})-(\d{8})", re.IGNORECASE)
_WEEKLY_PERIOD = re.compile(r"NPPES_Data_Dissemination_(\d{6})_(\d{6})_Weekly", re.IGNORECASE)


class Period(NamedTuple):
    """The first and last day of the NPPES changes a file holds."""

    start: date
    end: date


def file_period(name: str) -> Period | None:
    """The period a CMS file name gives, or ``None`` when it gives none (a renamed file, or the
    monthly archive, whose name gives only the month: its main file's name has the dates).

    >>> file_period("npidata_pfile_20260309-20260315.csv").end
    datetime.date(2026, 3, 15)
    >>> file_period("NPPES_Data_Dissemination_030926_031526_Weekly.zip").start
    datetime.date(2026, 3, 9)
    >>> file_period("NPPES_Data_Dissemination_March_2026_V2.zip") is None
    True
    """
    base = Path(name).name
    try:
        if match := _CSV_PERIOD.search(base):
            first, last = (date(int(d[:4]), int(d[4:6]), int(d[6:])) for d in match.groups())
        elif match := _WEEKLY_PERIOD.search(base):
            first, last = (date(2000 + int(d[4:]), int(d[:2]), int(d[2:4])) for d in match.groups())
        else:
            return None
    except ValueError:  # digits that are no date, such as 20261399
        return None
    return Period(first, last) if first <= last else None


@dataclass(frozen=True)
class CsvSource:
    """A CSV file on disk (``member`` is ``None``) or the member ``member`` of the ZIP archive at
    ``path``. ``size`` is its uncompressed size in bytes."""

    path: Path
    member: str | None = None
    size: int = 0

    @classmethod
    def file(cls, path: Path) -> CsvSource:
        return cls(Path(path), None, Path(path).stat().st_size)

    @property
    def name(self) -> str:
        """The file's own name (the member's, inside an archive)."""
        return Path(self.member).name if self.member is not None else self.path.name

    def __str__(self) -> str:
        return f"{self.path}!{self.member}" if self.member is not None else str(self.path)

    def open(self) -> BinaryIO:
        """The file's bytes, decompressed as they are read (from the start, not seekable)."""
        if self.member is None:
            return self.path.open("rb")
        archive = zipfile.ZipFile(self.path)
        try:
            return cast(BinaryIO, _MemberStream(archive, archive.open(self.member)))
        except BaseException:
            archive.close()
            raise


class _MemberStream(io.RawIOBase):
    """An archive member's stream that closes its archive with it."""

    def __init__(self, archive: zipfile.ZipFile, stream: IO[bytes]) -> None:
        super().__init__()
        self._archive = archive
        self._stream = stream
        self.position = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self.position += len(data)
        return data

    def readline(self, size: int | None = -1) -> bytes:
        line = self._stream.readline(-1 if size is None else size)
        self.position += len(line)
        return line

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def tell(self) -> int:
        return self.position

    def close(self) -> None:
        try:
            self._stream.close()
            self._archive.close()
        finally:
            super().close()


@dataclass(frozen=True)
class Release:
    """The files of one NPPES archive that the directory reads."""

    archive: Path
    main: CsvSource
    locations: CsvSource | None = None
    other_names: CsvSource | None = None
    # Each data file's header as its ``_fileheader.csv`` gives it, by data file name.
    headers: dict[str, list[str]] = field(default_factory=dict)


def is_archive(path: Path) -> bool:
    """Whether ``path`` names a ZIP archive (by its content, whatever its name)."""
    try:
        return Path(path).is_file() and zipfile.is_zipfile(path)
    except OSError:
        return False


def _pick(members: list[zipfile.ZipInfo], pattern: re.Pattern[str]) -> zipfile.ZipInfo | None:
    found = [
        m
        for m in members
        if pattern.fullmatch(Path(m.filename).name) and not _HEADER_SUFFIX.search(m.filename)
    ]
    return max(found, key=lambda m: m.filename) if found else None


def _header_member(members: list[zipfile.ZipInfo], data: zipfile.ZipInfo) -> zipfile.ZipInfo | None:
    stem = Path(data.filename).name[: -len(".csv")].lower()
    for member in members:
        name = Path(member.filename).name
        if _HEADER_SUFFIX.search(name) and name.lower().startswith(stem):
            return member
    return None


def _first_line(archive: zipfile.ZipFile, member: str) -> list[str]:
    with archive.open(member) as stream:
        line = stream.readline(1 << 20)
    text = line.decode("utf-8-sig", errors="replace").rstrip("\r\n")
    return next(csv.reader(io.StringIO(text))) if text else []


def open_release(path: Path, option: str = "NPPES_FILE") -> Release:
    """The main, practice-location and other-name files of the NPPES archive at ``path``.

    Each data file's first line is checked against its ``_fileheader.csv`` where the archive has
    one (same names, same order, matched as the readers match them: runs of spaces collapsed,
    case folded): an archive whose files disagree with their header files is an
    :class:`InputError`, as is one without a main file.
    """
    path = Path(path)
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise InputError(option, str(path), f"a readable ZIP archive ({exc})") from exc
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        main = _pick(members, _MAIN)
        if main is None:
            names = ", ".join(Path(m.filename).name for m in members[:6]) or "nothing"
            raise InputError(
                option,
                str(path),
                f"an NPPES archive holding npidata_pfile_*.csv; it holds {names}",
            )
        headers: dict[str, list[str]] = {}
        sources: list[CsvSource | None] = []
        for pattern in (_MAIN, _LOCATIONS, _OTHER_NAMES):
            member = _pick(members, pattern)
            if member is None:
                sources.append(None)
                continue
            if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise InputError(
                    option,
                    str(path),
                    f"an archive whose files are stored or DEFLATE-compressed; {member.filename} "
                    f"uses method {member.compress_type}",
                )
            header_member = _header_member(members, member)
            if header_member is not None:
                declared = _first_line(archive, header_member.filename)
                actual = _first_line(archive, member.filename)
                if [header_key(n) for n in declared] != [header_key(n) for n in actual]:
                    raise InputError(
                        option,
                        str(path),
                        f"an archive whose {Path(member.filename).name} starts with the header "
                        f"in {Path(header_member.filename).name}; they differ",
                    )
                headers[Path(member.filename).name] = declared
            sources.append(CsvSource(path, member.filename, member.file_size))
    main_source = sources[0]
    assert main_source is not None
    return Release(path, main_source, sources[1], sources[2], headers)
