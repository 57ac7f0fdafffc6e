"""The registry's tables as typed SQLAlchemy 2 models.

A case belongs to one site and holds its fractures, FLS events, procedures, outcomes and saved
assessments. ``cases.version`` is the optimistic lock: every write to a case or to a row under it
raises the version by one, and a write made on an older version is refused
(:class:`~spinefx.errors.VersionConflict`). ``cases.index_date`` and the ``next_*`` columns are
kept by :mod:`spinefx.registry.cases` from the case's rows so that the worklist and the KPIs
read one indexed table. The audit log is append-only: the migration adds database triggers that
refuse any UPDATE or DELETE of it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from spinefx.registry.vocab import marked_fictional

__all__ = [
    "ApiToken",
    "Assessment",
    "AuditEntry",
    "Base",
    "CalendarFeed",
    "Case",
    "Dismissal",
    "Event",
    "Fracture",
    "Invitation",
    "Letter",
    "LetterTemplate",
    "Outcome",
    "Procedure",
    "Site",
    "User",
    "UserSite",
    "WebSession",
    "utcnow",
]

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as naive UTC on every database and read back aware (UTC)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("registry timestamps must carry a time zone")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}  # noqa: RUF012


class Site(Base):
    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    fictional: Mapped[bool] = mapped_column(Boolean, default=False)

    @property
    def label(self) -> str:
        """The name as shown, " (fictional)" once for a demonstration site."""
        return marked_fictional(self.name, self.fictional)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[datetime | None]
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    sites: Mapped[list[Site]] = relationship(secondary="user_sites", lazy="selectin")


class UserSite(Base):
    __tablename__ = "user_sites"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True)


class ApiToken(Base):
    """An API token; only its SHA-256 and its first characters (:attr:`prefix`) are stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # "sfx_" and the next 8 characters, shown in lists (None: a token made before 0003)
    prefix: Mapped[str | None] = mapped_column(String(16), index=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class WebSession(Base):
    """A server-side login session; the cookie holds the token, the table its SHA-256."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("site_id", "mrn"),
        Index("ix_cases_worklist", "site_id", "status", "next_due_by"),
        # The default worklist (every open case of a site, soonest due first) read in index
        # order, so a page reads its own rows only, not every open case to sort them.
        Index("ix_cases_site_due", "site_id", "next_due_by", "id"),
        Index("ix_cases_site_index_date", "site_id", "index_date"),
        Index("ix_cases_index_date", "index_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    mrn: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    birth_date: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    # The patient's date of death (status "deceased"); None while alive or when not known.
    death_date: Mapped[date | None] = mapped_column(Date)
    fictional: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Kept by spinefx.registry.cases.refresh() from the rows below; index_date is the date of
    # the index fracture (spinefx.registry.index_fracture), not of the earliest one.
    index_date: Mapped[date | None] = mapped_column(Date)
    next_event: Mapped[str | None] = mapped_column(String(32))
    next_due_from: Mapped[date | None] = mapped_column(Date)
    next_due_by: Mapped[date | None] = mapped_column(Date)
    # One bit per event type (EVENT_ORDER): any event recorded, one marked not-applicable, one
    # done inside its KPI window, the patient died before the KPI fell due; and the fracture
    # bits (spinefx.registry.kpi.case_flags).
    kpi_recorded: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    kpi_not_applicable: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    kpi_done_in_window: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    fracture_flags: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    kpi_died_before_due: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The patient's contacts and primary care clinician, for the letters (migration 0006).
    phone: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(Text)
    pcp_name: Mapped[str | None] = mapped_column(String(200))
    pcp_practice: Mapped[str | None] = mapped_column(String(200))
    pcp_fax: Mapped[str | None] = mapped_column(String(40))
    pcp_email: Mapped[str | None] = mapped_column(String(254))
    # The coordinator the case is assigned to on the worklist (no foreign key: a user is
    # deactivated, never deleted).
    assigned_user_id: Mapped[int | None] = mapped_column(Integer, index=True)

    site: Mapped[Site] = relationship(lazy="joined")
    fractures: Mapped[list[Fracture]] = relationship(
        order_by="(Fracture.date, Fracture.id)", back_populates="case"
    )
    events: Mapped[list[Event]] = relationship(
        order_by="(Event.date, Event.id)", back_populates="case"
    )
    procedures: Mapped[list[Procedure]] = relationship(
        order_by="(Procedure.date, Procedure.id)", back_populates="case"
    )
    outcomes: Mapped[list[Outcome]] = relationship(
        order_by="(Outcome.date, Outcome.id)", back_populates="case"
    )
    assessments: Mapped[list[Assessment]] = relationship(
        order_by="(Assessment.created_at, Assessment.id)", back_populates="case"
    )
    dismissals: Mapped[list[Dismissal]] = relationship(
        order_by="Dismissal.id", back_populates="case"
    )
    letters: Mapped[list[Letter]] = relationship(
        order_by="(Letter.created_at, Letter.id)", back_populates="case"
    )

    @property
    def label(self) -> str:
        """The patient's name as shown, " (fictional)" once for a demonstration patient."""
        return marked_fictional(self.name, self.fictional)


class Fracture(Base):
    """A fracture; ``levels`` empty and ``site`` set (``hip``, ``wrist``) outside the spine.

    ``is_index`` marks the case's index fracture (one per case; ``index`` in the exchange
    format): the one that brought the patient to the service, from which the KPIs count.

    ``report_id`` and ``evidence`` are filled by case-finding: the imaging report the fracture was
    found in, and the matched text with its offsets, as JSON.
    """

    __tablename__ = "fractures"
    __table_args__ = (
        Index("ix_fractures_report_id", "report_id"),
        # The worklist's "found by" filter (case-finding hits are few among many fractures).
        Index("ix_fractures_found_by_case", "found_by", "case_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    date: Mapped[date] = mapped_column(Date)
    levels: Mapped[list[Any]] = mapped_column(default=list)
    site: Mapped[str | None] = mapped_column(String(64))
    found_by: Mapped[str] = mapped_column(String(16))
    is_index: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    genant_grade: Mapped[int | None]
    report_id: Mapped[str | None] = mapped_column(String(200))
    evidence: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[Case] = relationship(back_populates="fractures")

    @property
    def index(self) -> bool:
        """``is_index`` as the exchange format and the forms name it."""
        return bool(self.is_index)


class Dismissal(Base):
    """A person's decision that a case-finding hit is not a case: who, when and why.

    One row per report of the dismissed case, so that a later case-finding run that reads the
    same report again does not put it back on the worklist.
    """

    __tablename__ = "dismissals"
    __table_args__ = (Index("ix_dismissals_site_report", "site_id", "report_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    report_id: Mapped[str | None] = mapped_column(String(200))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[Case] = relationship(back_populates="dismissals")


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (Index("ix_events_case_type", "case_id", "type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    type: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    date: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[Case] = relationship(back_populates="events")


class Procedure(Base):
    __tablename__ = "procedures"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    date: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(32))
    levels: Mapped[list[Any]] = mapped_column(default=list)
    approach: Mapped[str | None] = mapped_column(String(16))
    cement_ml: Mapped[dict[str, Any]] = mapped_column(default=dict)
    operator_npi: Mapped[str | None] = mapped_column(String(10))
    anaesthesia: Mapped[str | None] = mapped_column(String(16))
    complications: Mapped[list[Any]] = mapped_column(default=list)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[Case] = relationship(back_populates="procedures")


class Outcome(Base):
    """A questionnaire total (pain NRS, RDQ, ODI %), never the questionnaire's answers."""

    __tablename__ = "outcomes"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    date: Mapped[date] = mapped_column(Date)
    instrument: Mapped[str] = mapped_column(String(8))
    score: Mapped[float] = mapped_column(Float)
    timepoint: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[Case] = relationship(back_populates="outcomes")


class Assessment(Base):
    """A clinical tool's input and result saved to a case, as the core produced them."""

    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    input: Mapped[dict[str, Any]]
    result: Mapped[dict[str, Any]]
    spinefx_version: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[Case] = relationship(back_populates="assessments")


class AuditEntry(Base):
    """One read or write of a case (or of the registry's users): who, when, what, which case.

    No foreign keys on purpose: the log outlives whatever it names.
    """

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_case_id", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None]
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int | None]
    case_id: Mapped[int | None]
    site_id: Mapped[int | None]
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class LetterTemplate(Base):
    """An admin's wording of one kind of letter; a kind with no row uses the shipped text."""

    __tablename__ = "letter_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), unique=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(254))


class Letter(Base):
    """A letter made for a case, as worded when it was made (the record that it was sent)."""

    __tablename__ = "letters"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[Case] = relationship(back_populates="letters")


class CalendarFeed(Base):
    """A user's private iCalendar feed of events due; the URL holds the token, the table its
    SHA-256."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Invitation(Base):
    """An admin's invitation of an e-mail address to their sites with one role.

    The link sent to the address holds the token, the table its SHA-256. The invitation does not
    say whether the address already has a login (it may have one at a site the admin cannot
    see); the person who opens the link learns that, and accepts with their password.
    """

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    role: Mapped[str] = mapped_column(String(16))
    site_ids: Mapped[list[Any]]
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]
