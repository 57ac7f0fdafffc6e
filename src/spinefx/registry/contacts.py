"""A case's contacts: the patient's phone and address, and their primary care clinician (name,
practice, fax, e-mail), whom the letters (:mod:`spinefx.registry.letters`) are written to.

Changed like any part of a case: on the version the form was made from, by a user with the
right to write cases at its site, with one audit entry naming the fields changed (never their
values: the audit log holds no contact details).
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from sqlalchemy.orm import Session

from spinefx.errors import FieldProblem, InputError, ProblemKind
from spinefx.registry.editing import editing
from spinefx.registry.models import Case
from spinefx.registry.permissions import Action, Actor

__all__ = ["CONTACT_FIELDS", "ContactsIn", "update_contacts"]

Phone = Annotated[str, StringConstraints(max_length=40)]
Email = Annotated[str, StringConstraints(max_length=254)]
PHONE = re.compile(r"[0-9+() .\-x]{3,40}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class ContactsIn(BaseModel):
    """The contact fields of a case; each blank one is cleared."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    phone: Phone | None = Field(default=None, title="Patient's phone")
    address: Annotated[str, StringConstraints(max_length=500)] | None = Field(
        default=None, title="Patient's address"
    )
    pcp_name: Annotated[str, StringConstraints(max_length=200)] | None = Field(
        default=None, title="Primary care clinician"
    )
    pcp_practice: Annotated[str, StringConstraints(max_length=200)] | None = Field(
        default=None, title="Their practice"
    )
    pcp_fax: Phone | None = Field(default=None, title="Practice fax")
    pcp_email: Email | None = Field(default=None, title="Practice e-mail")

    @model_validator(mode="after")
    def _formats(self) -> ContactsIn:
        problems = [
            FieldProblem(name, value, allowed, ProblemKind.FORMAT, "text")
            for name, value, pattern, allowed in (
                ("phone", self.phone, PHONE, "a phone number (digits, spaces and + ( ) - .)"),
                ("pcp_fax", self.pcp_fax, PHONE, "a fax number (digits, spaces and + ( ) - .)"),
                ("pcp_email", self.pcp_email, EMAIL, "an e-mail address, name@example.org"),
            )
            if value is not None and not pattern.fullmatch(value)
        ]
        if problems:
            raise InputError.from_problems(problems)
        return self


CONTACT_FIELDS = tuple(ContactsIn.model_fields)


def update_contacts(
    session: Session, actor: Actor, case_id: int, version: int, data: ContactsIn
) -> Case:
    """Set the case's contacts to ``data`` (a field left blank is cleared), on ``version``."""
    with editing(session, actor, case_id, Action.WRITE_CASES) as edit:
        edit.bump(version)
        case = edit.case
        changed = sorted(f for f in CONTACT_FIELDS if getattr(case, f) != getattr(data, f))
        for field in CONTACT_FIELDS:
            setattr(case, field, getattr(data, field))
        edit.record("update", "contacts", entity_id=case_id, detail={"fields": changed})
    return edit.case
