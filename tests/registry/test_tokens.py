"""`spinefx registry token create / list / revoke`: a revoked token is 401 at once; audited."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from tests.helpers.registry import add_test_user, audit_trail

from spinefx.cli import run
from spinefx.errors import NotFound, PermissionDenied
from spinefx.registry import auth
from spinefx.registry.db import Registry
from spinefx.registry.models import ApiToken
from spinefx.registry.permissions import Actor
from spinefx.registry.users import user_by_email
from spinefx.registry.vocab import Role
from spinefx.web import Settings, create_app

EMAIL = "nurse@example.org"
CASES = "/api/v1/registry/cases"


@pytest.fixture
def nurse(registry: Registry, cli_env: str) -> str:
    return add_test_user(registry, EMAIL)


@pytest.fixture
def api(cli_env: str, tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path / "app", database_url=cli_env)
    with TestClient(create_app(settings)) as client:
        yield client


def create(capsys: pytest.CaptureFixture[str], label: str = "") -> str:
    assert run(["registry", "token", "create", EMAIL, "--label", label]) == 0
    return capsys.readouterr().out.split()[-1]


def get_cases(api: TestClient, token: str) -> int:
    return api.get(CASES, headers={"Authorization": f"Bearer {token}"}).status_code


def audit_actions(registry: Registry) -> list[tuple[str, str, dict]]:
    return audit_trail(registry, "api-token")


def test_list_shows_each_token_by_number_and_prefix_never_the_token(
    nurse, registry, capsys
) -> None:
    first = create(capsys, "nightly export")
    second = create(capsys)
    assert run(["registry", "token", "list", EMAIL]) == 0
    out = capsys.readouterr().out
    assert first not in out and second not in out  # shown once, at creation
    lines = [line for line in out.splitlines() if line.startswith("  ")]
    assert len(lines) == 2
    assert second[: auth.PREFIX_LENGTH] in lines[0]  # newest first
    assert first[: auth.PREFIX_LENGTH] in lines[1] and "nightly export" in lines[1]
    assert all(" active " in line and "last used never" in line for line in lines)
    with registry.transaction() as session:
        stored = session.scalars(sa.select(ApiToken).order_by(ApiToken.id)).all()
        assert [r.prefix for r in stored] == [first[:12], second[:12]]
        assert all(str(r.id) in out for r in stored)
    actions = audit_actions(registry)
    assert [a for a, _, _ in actions] == ["create", "create", "read"]
    assert actions[-1][1] == "command-line:token-list"
    assert actions[-1][2] == {"email": EMAIL, "tokens": 2}


def test_a_user_without_tokens_and_an_unknown_user(nurse, capsys) -> None:
    assert run(["registry", "token", "list", EMAIL]) == 0
    assert f"{EMAIL} has no API tokens" in capsys.readouterr().out
    assert run(["registry", "token", "list", "nobody@example.org"]) == 1
    assert "no registry user nobody@example.org" in capsys.readouterr().err


@pytest.mark.parametrize("how", ["number", "prefix", "token"])
def test_a_revoked_token_is_refused_from_the_next_request_on(
    nurse, registry, api, capsys, how
) -> None:
    token = create(capsys, "scripts")
    kept = create(capsys)
    assert get_cases(api, token) == 200
    with registry.transaction() as session:
        number = session.scalar(
            sa.select(ApiToken.id).where(ApiToken.prefix == token[: auth.PREFIX_LENGTH])
        )
    which = {"number": str(number), "prefix": token[: auth.PREFIX_LENGTH], "token": token}[how]
    assert run(["registry", "token", "revoke", which]) == 0
    out = capsys.readouterr().out
    assert f"API token {number} ({token[:12]}) of {EMAIL} revoked" in out
    assert token not in out
    answer = api.get(CASES, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert get_cases(api, kept) == 200  # the user's other token still works
    action, actor, detail = audit_actions(registry)[-1]
    assert (action, actor) == ("revoke", "command-line:token-revoke")
    assert detail == {"email": EMAIL, "label": "scripts", "prefix": token[:12]}
    assert run(["registry", "token", "list", EMAIL]) == 0
    listed = capsys.readouterr().out
    assert re.search(rf"^\s+{number}\s+{re.escape(token[:12])}\s+revoked 20", listed, re.M)


def test_revoking_twice_or_something_that_is_no_token_says_why_and_changes_nothing(
    nurse, registry, capsys
) -> None:
    token = create(capsys)
    assert run(["registry", "token", "revoke", token[:12]]) == 0
    capsys.readouterr()
    before = audit_actions(registry)
    assert run(["registry", "token", "revoke", token[:12]]) == 2
    assert "a token not yet revoked (this one was at 20" in capsys.readouterr().err
    for which, status, message in [
        ("999999", 1, "no API token 999999"),
        ("sfx_00000000", 1, "no API token sfx_00000000"),
        (token[:12] + "x", 1, "give the prefix as `registry token list` shows it"),
        ("sfx_abc", 2, "its prefix (sfx_ and 8 characters)"),
        ("nurse@example.org", 2, "a token's number from `registry token list`"),
    ]:
        assert run(["registry", "token", "revoke", which]) == status, which
        assert message in capsys.readouterr().err, which
    assert audit_actions(registry) == before


def test_a_prefix_that_names_two_tokens_asks_for_the_number(nurse, registry, capsys) -> None:
    create(capsys)
    create(capsys)
    with registry.transaction() as session:
        session.execute(sa.update(ApiToken).values(prefix="sfx_SAMEsame"))
        numbers = session.scalars(sa.select(ApiToken.id).order_by(ApiToken.id)).all()
    assert run(["registry", "token", "revoke", "sfx_SAMEsame"]) == 2
    assert f"({numbers[0]}, {numbers[1]})" in capsys.readouterr().err
    assert run(["registry", "token", "revoke", str(numbers[1])]) == 0


def test_a_token_made_before_prefixes_were_kept_is_listed_and_revoked_by_number(
    nurse, registry, api, capsys
) -> None:
    token = create(capsys)
    with registry.transaction() as session:
        session.execute(sa.update(ApiToken).values(prefix=None))
        number = session.scalar(sa.select(ApiToken.id))
    assert run(["registry", "token", "list", EMAIL]) == 0
    assert "(no prefix)" in capsys.readouterr().out
    assert run(["registry", "token", "revoke", str(number)]) == 0
    assert get_cases(api, token) == 401


def test_only_an_admin_of_the_users_site_may_list_or_revoke(nurse, registry, capsys) -> None:
    token = create(capsys)
    with registry.transaction() as session:
        user = user_by_email(session, EMAIL)
        assert user is not None
        north = frozenset(s.id for s in user.sites)
        admin_north = Actor(None, "admin.north@example.org", Role.ADMIN, north)
        admin_south = Actor(None, "admin.south@example.org", Role.ADMIN, frozenset({-1}))
        clinician = Actor(None, "clinician.north@example.org", Role.CLINICIAN, north)
        with pytest.raises(PermissionDenied):
            auth.list_tokens(session, clinician, user)
        with pytest.raises(PermissionDenied):
            auth.revoke_token(session, clinician, token[:12])
        with pytest.raises(NotFound):
            auth.list_tokens(session, admin_south, user)
        with pytest.raises(NotFound):
            auth.revoke_token(session, admin_south, token[:12])
        assert len(auth.list_tokens(session, admin_north, user)) == 1
        assert auth.revoke_token(session, admin_north, token).revoked_at is not None


def test_token_help_shows_examples(capsys, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "400")
    for command, example in [
        ("list", "spinefx registry token list nurse@example.org"),
        ("revoke", "spinefx registry token revoke 12"),
    ]:
        assert run(["registry", "token", command, "--help"]) == 0
        out = " ".join(capsys.readouterr().out.split())
        assert "Example:" in out and example in out
