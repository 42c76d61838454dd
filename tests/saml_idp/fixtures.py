"""Fixtures that start the test identity provider (``server.py``) with keys made for the run,
and a helper that walks a sign-in through it as a browser would, step by step."""

from __future__ import annotations

import datetime
import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

REPOSITORY = Path(__file__).resolve().parents[2]
PASSWORD = "idp-password-for-tests"
GROUPS = "http://schemas.xmlsoap.org/claims/Group"
EMAIL = "urn:oid:0.9.2342.19200300.100.1.3"
GIVEN_NAME = "urn:oid:2.5.4.42"
SURNAME = "urn:oid:2.5.4.4"
# The people of the test provider: a NameID and attributes each.
PEOPLE = {
    "alice": {
        "name_id": "alice@stadtwerke-alpha.example",
        "attributes": {
            EMAIL: ["alice@stadtwerke-alpha.example"],
            GIVEN_NAME: ["Alice"],
            SURNAME: ["Ahlers"],
            GROUPS: ["vw-analysts", "staff-all"],
        },
    },
    "bob": {
        "name_id": "bob@stadtwerke-alpha.example",
        "attributes": {
            EMAIL: ["bob@stadtwerke-alpha.example"],
            GIVEN_NAME: ["Bob"],
            SURNAME: ["Brandt"],
            GROUPS: ["staff-all"],
        },
    },
}
# How the service provider reads them (allauth's attribute mapping).
ATTRIBUTE_MAPPING = {
    "email": [EMAIL],
    "first_name": [GIVEN_NAME],
    "last_name": [SURNAME],
}


def key_and_certificate(common_name: str) -> tuple[str, str]:
    """A fresh RSA key and a self-signed certificate for it, in PEM."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return key_pem, certificate.public_bytes(serialization.Encoding.PEM).decode()


@dataclass
class TestIdentityProvider:
    url: str
    certificate: str

    @property
    def entity_id(self) -> str:
        return f"{self.url}/metadata"

    @property
    def sso_url(self) -> str:
        return f"{self.url}/sso"


@pytest.fixture(scope="session")
def saml_idp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestIdentityProvider]:
    folder = tmp_path_factory.mktemp("saml-idp")
    key, certificate = key_and_certificate("Test identity provider")
    (folder / "idp.key").write_text(key)
    (folder / "idp.crt").write_text(certificate)
    people = {name: {**person, "password": PASSWORD} for name, person in PEOPLE.items()}
    (folder / "users.json").write_text(json.dumps(people))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.saml_idp.server",
            "--key",
            str(folder / "idp.key"),
            "--cert",
            str(folder / "idp.crt"),
            "--users",
            str(folder / "users.json"),
        ],
        cwd=REPOSITORY,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("listening on "), f"the test identity provider said {line!r}"
        yield TestIdentityProvider(url=line.split()[-1], certificate=certificate)
    finally:
        process.terminate()
        process.wait(timeout=10)


def saml_app_settings(idp: TestIdentityProvider) -> dict[str, object]:
    """An organization's SAML connection to the test provider, as an admin enters it."""
    return {
        "idp": {
            "entity_id": idp.entity_id,
            "sso_url": idp.sso_url,
            "x509cert": idp.certificate,
        },
        "attribute_mapping": ATTRIBUTE_MAPPING,
        "advanced": {"want_assertion_signed": True},
    }


def form_fields(page: str) -> tuple[str, dict[str, str]]:
    """The action and the hidden fields of the first form on ``page``."""
    action = unescape(re.search(r'<form[^>]*action="([^"]*)"', page)[1])  # type: ignore[index]
    fields = {
        unescape(name): unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)
    }
    return action, fields


@dataclass
class SamlSignIn:
    """One browser's way through a SAML sign-in, so a test can meddle between the steps."""

    base_url: str
    browser: requests.Session

    def start(self, organization_slug: str) -> str:
        """Press the provider's button on the sign-in page; return the provider's page."""
        self.browser.get(f"{self.base_url}/accounts/login/")
        response = self.browser.post(
            f"{self.base_url}/accounts/saml/{organization_slug}/login/",
            data={"csrfmiddlewaretoken": self.browser.cookies["csrftoken"]},
            headers={"Referer": f"{self.base_url}/accounts/login/"},
        )
        response.raise_for_status()
        assert "Test identity provider" in response.text, response.text[:500]
        self._idp_page = response
        return response.text

    def sign_in_at_provider(self, username: str, *, lifetime: int = 300) -> dict[str, str]:
        """Sign in at the provider; return the fields it posts back (SAMLResponse...)."""
        _action, fields = form_fields(self._idp_page.text)
        answer = self.browser.post(
            self._idp_page.url.split("?")[0],
            data={**fields, "username": username, "password": PASSWORD, "lifetime": lifetime},
        )
        answer.raise_for_status()
        self.acs, posted = form_fields(answer.text)
        return posted

    def post_back(self, fields: dict[str, str]) -> requests.Response:
        """Post the provider's answer to Vendorwatch, following redirects."""
        return self.browser.post(self.acs, data=fields)


@pytest.fixture
def saml_sign_in(live_server) -> Callable[[], SamlSignIn]:  # type: ignore[no-untyped-def]
    return lambda: SamlSignIn(base_url=live_server.url, browser=requests.Session())
