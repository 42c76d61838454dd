"""Fixtures of the API tests: clients that speak as a user, through a session or a token."""

from __future__ import annotations

import uuid

import pytest
from rest_framework.test import APIClient

from orgs.choices import TokenAccess
from orgs.models import Organization, User
from orgs.tokens import token_create


class Clients:
    """Builds API clients that act as someone."""

    def anonymous(self) -> APIClient:
        return APIClient()

    def session(self, user: User) -> APIClient:
        """A browser: signed in with a session cookie."""
        client = APIClient()
        client.force_login(user)
        return client

    def token(
        self,
        user: User,
        *,
        organization: Organization | None = None,
        access: str = TokenAccess.READ_WRITE,
    ) -> APIClient:
        """A script: a fresh token of ``user`` in the Authorization header."""
        text = self.token_text(user, organization=organization, access=access)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {text}")
        return client

    @staticmethod
    def token_text(
        user: User,
        *,
        organization: Organization | None = None,
        access: str = TokenAccess.READ_WRITE,
    ) -> str:
        _token, text = token_create(
            user=user, name="test", access=access, organization=organization
        )
        return text


@pytest.fixture
def api(db: None) -> Clients:
    return Clients()


@pytest.fixture(autouse=True)
def _private_throttle_counts(settings: pytest.FixtureRequest) -> None:
    """Each test counts requests under a prefix of its own, so that no test is throttled by the
    requests of another (counts outlive a test in Redis and in the process)."""
    settings.API_RATE_LIMIT_PREFIX = f"api-test-{uuid.uuid4()}"
