"""Request rates of the REST API: per token, per user, and per address for anonymous callers.

A token's own limit keeps one runaway script from using its owner's whole allowance; the
user's limit caps everything a person does, however many tokens they hold. Rates are read at
request time from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``, so settings can change them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from config.net import client_ip
from orgs.models import ApiToken

if TYPE_CHECKING:
    # Importing DRF's views here would import this module again through DRF's settings.
    from rest_framework.views import APIView


class _RateFromSettings(SimpleRateThrottle):
    def get_rate(self) -> str | None:
        # DRF binds the rates when its module is imported; reading them here instead follows
        # the settings as they are now (and as tests override them).
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope or "")
        return None if rate is None else str(rate)


class TokenRateThrottle(_RateFromSettings):
    """Counts the requests of one API token, keyed on its public prefix."""

    scope = "token"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        token = request.auth
        if not isinstance(token, ApiToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": token.prefix}


class UserRateThrottle(_RateFromSettings):
    """Counts the requests of one user, by session or by any of their tokens."""

    scope = "user"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if not (request.user and request.user.is_authenticated):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class AnonRateThrottle(_RateFromSettings):
    """Counts anonymous requests per client address (as far as proxies can be trusted)."""

    scope = "anon"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request)}
