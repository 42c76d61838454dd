"""Shared fixtures. Like Healthchecks' BaseTestCase, ``tenants`` gives every test an owner and a
member of organization A and an outsider who belongs to organization B only, so that any test
can check that the outsider sees nothing of A."""

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg2
import pytest
from django.db import connection

from orgs.choices import Role
from orgs.models import Organization, User
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """Give this test run a database name of its own.

    Several runs may share one PostgreSQL server (parallel CI jobs, developers, xdist workers);
    with the default name they would drop each other's test database mid-run.
    """
    from django.conf import settings

    for db_settings in settings.DATABASES.values():
        if db_settings["ENGINE"] == "django.db.backends.sqlite3":
            continue
        test = db_settings.setdefault("TEST", {})
        test["NAME"] = f"{test.get('NAME') or 'test_' + db_settings['NAME']}_{os.getpid()}"


@dataclass
class Tenants:
    org_a: Organization
    org_b: Organization
    owner: User
    analyst: User
    viewer: User
    outsider: User


@pytest.fixture
def tenants(db: None) -> Tenants:
    org_a = OrganizationFactory(name="Stadtwerke Alpha", slug="stadtwerke-alpha")
    org_b = OrganizationFactory(name="Klinikum Beta", slug="klinikum-beta", sector="health")
    owner = UserFactory(username="owner-a")
    analyst = UserFactory(username="analyst-a")
    viewer = UserFactory(username="viewer-a")
    outsider = UserFactory(username="outsider-b")
    MembershipFactory(user=owner, organization=org_a, role=Role.OWNER)
    MembershipFactory(user=analyst, organization=org_a, role=Role.ANALYST)
    MembershipFactory(user=viewer, organization=org_a, role=Role.VIEWER)
    MembershipFactory(user=outsider, organization=org_b, role=Role.OWNER)
    return Tenants(org_a, org_b, owner, analyst, viewer, outsider)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings, request):
    """Argon2 is deliberately slow; tests that create many users use a fast hasher instead.
    ``tests/orgs/test_auth.py`` checks that the real setting is Argon2."""
    if "real_password_hashing" not in request.keywords:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _second_factor_policy(settings, request):
    """Most tests sign in staff, editors and analysts without a second factor; the policy
    (on in production) is tested in ``tests/orgs/test_second_factor.py``, marked to have it."""
    settings.SECOND_FACTOR_REQUIRED = "second_factor_policy" in request.keywords


@pytest.fixture(autouse=True)
def _reauthentication(settings, request):
    """Tests sign in with ``force_login``, which confirms no password; asking again for one
    before sensitive actions is tested in ``tests/orgs/test_reauthentication.py``."""
    settings.REAUTHENTICATE_SENSITIVE_ACTIONS = "reauthentication" in request.keywords


@pytest.fixture
def other_session() -> Iterator[Any]:
    """A second database session, as another worker would have."""
    settings = connection.settings_dict
    session = psycopg2.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
    )
    session.autocommit = True
    try:
        yield session.cursor()
    finally:
        session.close()
