"""Users in the data layer: each refusal names the field it is about, with its kind."""

from __future__ import annotations

import pytest

from spinefx.errors import InputError, ProblemKind
from spinefx.registry.permissions import Actor
from spinefx.registry.users import add_user
from spinefx.registry.vocab import Role

CLI = Actor.command_line("test")
GOOD = {"email": "nurse@example.org", "role": "coordinator", "sites": ["north"]}


@pytest.mark.parametrize(
    ("change", "field", "kind"),
    [
        ({"email": "not-an-address"}, "email", ProblemKind.FORMAT),
        ({"role": "king"}, "role", ProblemKind.CHOICE),
        ({"sites": []}, "sites", ProblemKind.MISSING),
        ({"password": "short"}, "password", ProblemKind.LENGTH),
    ],
)
def test_a_bad_new_user_names_the_field_and_the_kind_of_problem(registry, change, field, kind):
    given = {**GOOD, "password": "a long enough secret", **change}
    with pytest.raises(InputError) as caught, registry.transaction() as session:
        add_user(session, CLI, given.pop("email"), **given)
    assert (caught.value.field, caught.value.kind) == (field, kind)


def test_an_unknown_role_carries_the_roles_there_are(registry):
    with pytest.raises(InputError) as caught, registry.transaction() as session:
        add_user(session, CLI, "a@example.org", role="king", sites=["north"], password="x" * 20)
    assert caught.value.problems[0].choices == tuple(r.value for r in Role)
