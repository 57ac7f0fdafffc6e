"""The report an ingest returns and prints: what was read, kept and set aside, and why."""

from __future__ import annotations

from pydantic import BaseModel, Field

__all__ = ["IngestReport", "LocationsReport", "OtherNamesReport", "Problems", "UtilizationReport"]

MAX_EXAMPLES = 5


class Problems(BaseModel):
    """A count of rows set aside for one reason, with the first few examples."""

    count: int = 0
    examples: list[str] = Field(default_factory=list)

    def add(self, n: int, examples: list[str]) -> None:
        self.count += n
        room = MAX_EXAMPLES - len(self.examples)
        if room > 0:
            self.examples.extend(examples[:room])


class UtilizationReport(BaseModel):
    source: str
    rows_read: int = 0
    procedure_rows: int = 0  # rows for 22510-22515
    providers_with_volume: int = 0  # matched to a directory provider
    npis_not_in_directory: int = 0
    malformed: Problems = Field(default_factory=Problems)


class LocationsReport(BaseModel):
    source: str
    rows_read: int = 0
    duplicates: int = 0
    kept: int = 0  # distinct locations of directory providers
    malformed: Problems = Field(default_factory=Problems)


class OtherNamesReport(BaseModel):
    source: str
    rows_read: int = 0
    kept: int = 0  # distinct other names (doing business as, other) of directory organisations
    organizations: int = 0  # directory organisations with at least one
    malformed: Problems = Field(default_factory=Problems)


class IngestReport(BaseModel):
    """Counts from one ingest of the NPPES main file (and its optional companions)."""

    db_path: str
    source: str
    rows_read: int = 0
    kept: int = 0
    per_specialty: dict[str, int] = Field(default_factory=dict)
    deactivated: int = 0
    reactivated: int = 0
    not_our_specialties: int = 0
    malformed: Problems = Field(default_factory=Problems)
    no_us_zip: Problems = Field(default_factory=Problems)
    utilization: UtilizationReport | None = None
    locations: LocationsReport | None = None
    other_names: OtherNamesReport | None = None
    # The CMS archive the files were read from, when they came in one.
    archive: str | None = None
    seconds: float = 0.0
