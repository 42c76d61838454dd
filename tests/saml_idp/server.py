"""A small SAML 2.0 identity provider for the tests, run in its own process on 127.0.0.1.

It takes an AuthnRequest by the HTTP-Redirect binding, asks for a user name and password,
and answers by the HTTP-POST binding with a Response whose assertion it signs (RSA-SHA256,
XML-DSig through xmlsec) with the key it was started with. Its people and their attributes
come from a JSON file. One knob is for the tests alone: the login form's ``lifetime``
(seconds, 300 by default) sets how long the assertion is valid, so a negative one issues an
assertion that has already expired.

    python -m tests.saml_idp.server --key idp.key --cert idp.crt --users users.json

prints ``listening on http://127.0.0.1:PORT`` once it serves. It signs with python3-saml's
helpers (the library the service provider side uses too) rather than pysaml2, whose pyOpenSSL
requirement holds cryptography below the version this project pins.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import html
import json
import secrets
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, make_server
from xml.sax.saxutils import escape, quoteattr

from lxml import etree
from onelogin.saml2.utils import OneLogin_Saml2_Utils

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
EMAIL_FORMAT = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"

Start = Callable[[str, list[tuple[str, str]]], Any]


def saml_time(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def read_authn_request(encoded: str) -> dict[str, str]:
    """The id, the service provider's entity id and where to send the answer."""
    xml = OneLogin_Saml2_Utils.decode_base64_and_inflate(encoded)
    root = etree.fromstring(xml)
    issuer = root.find(f"{{{SAML}}}Issuer")
    return {
        "id": root.get("ID", ""),
        "acs": root.get("AssertionConsumerServiceURL", ""),
        "audience": issuer.text if issuer is not None and issuer.text else "",
    }


def attribute_statement(attributes: dict[str, list[str]]) -> str:
    parts = []
    for name, values in attributes.items():
        items = "".join(
            f'<saml:AttributeValue xmlns:xs="http://www.w3.org/2001/XMLSchema" '
            f'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string">'
            f"{escape(value)}</saml:AttributeValue>"
            for value in values
        )
        parts.append(
            f"<saml:Attribute Name={quoteattr(name)} "
            f'NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri">{items}'
            "</saml:Attribute>"
        )
    return f"<saml:AttributeStatement>{''.join(parts)}</saml:AttributeStatement>"


def signed_response(
    *,
    issuer: str,
    request: dict[str, str],
    name_id: str,
    attributes: dict[str, list[str]],
    lifetime: int,
    key: str,
    cert: str,
) -> str:
    """A Response carrying one assertion signed with ``key``, base64-encoded for the POST."""
    now = datetime.datetime.now(datetime.UTC)
    issued = saml_time(now if lifetime > 0 else now + datetime.timedelta(seconds=lifetime * 2))
    not_before = saml_time(now - datetime.timedelta(seconds=abs(lifetime) * 3))
    not_after = saml_time(now + datetime.timedelta(seconds=lifetime))
    assertion_id = "_" + secrets.token_hex(16)
    in_response_to = quoteattr(request["id"])
    assertion = (
        f'<saml:Assertion xmlns:saml="{SAML}" ID="{assertion_id}" Version="2.0" '
        f'IssueInstant="{issued}">'
        f"<saml:Issuer>{escape(issuer)}</saml:Issuer>"
        "<saml:Subject>"
        f'<saml:NameID Format="{EMAIL_FORMAT}">{escape(name_id)}</saml:NameID>'
        '<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
        f'<saml:SubjectConfirmationData NotOnOrAfter="{not_after}" '
        f"Recipient={quoteattr(request['acs'])} InResponseTo={in_response_to}/>"
        "</saml:SubjectConfirmation></saml:Subject>"
        f'<saml:Conditions NotBefore="{not_before}" NotOnOrAfter="{not_after}">'
        f"<saml:AudienceRestriction><saml:Audience>{escape(request['audience'])}"
        "</saml:Audience></saml:AudienceRestriction></saml:Conditions>"
        f'<saml:AuthnStatement AuthnInstant="{issued}" SessionIndex="{assertion_id}">'
        "<saml:AuthnContext><saml:AuthnContextClassRef>"
        "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
        "</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>"
        f"{attribute_statement(attributes)}"
        "</saml:Assertion>"
    )
    signed = OneLogin_Saml2_Utils.add_sign(assertion, key, cert)
    signed_text = signed.decode() if isinstance(signed, bytes) else signed
    response = (
        f'<samlp:Response xmlns:samlp="{SAMLP}" xmlns:saml="{SAML}" '
        f'ID="_{secrets.token_hex(16)}" Version="2.0" IssueInstant="{issued}" '
        f"Destination={quoteattr(request['acs'])} InResponseTo={in_response_to}>"
        f"<saml:Issuer>{escape(issuer)}</saml:Issuer>"
        '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/>'
        f"</samlp:Status>{signed_text.split('?>', 1)[-1]}</samlp:Response>"
    )
    return base64.b64encode(response.encode()).decode()


def page(body: str) -> list[bytes]:
    return [f"<!doctype html><html><body>{body}</body></html>".encode()]


class IdentityProvider:
    """The WSGI application."""

    def __init__(self, *, key: str, cert: str, users: dict[str, Any]) -> None:
        self.key, self.cert, self.users = key, cert, users
        self.entity_id = ""

    def __call__(self, environ: dict[str, Any], start: Start) -> Iterable[bytes]:
        host = environ["HTTP_HOST"]
        self.entity_id = f"http://{host}/metadata"
        if environ["PATH_INFO"] == "/favicon.ico":
            start("204 No Content", [])
            return []
        if environ["PATH_INFO"] != "/sso":
            start("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not here"]
        if environ["REQUEST_METHOD"] == "GET":
            return self.login_form(parse_qs(environ.get("QUERY_STRING", "")), start)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        form = parse_qs(environ["wsgi.input"].read(length).decode())
        return self.sign_in(form, start)

    def login_form(self, query: dict[str, list[str]], start: Start) -> list[bytes]:
        start("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        hidden = "".join(
            f'<input type="hidden" name="{name}" value="{html.escape(query[name][0])}">'
            for name in ("SAMLRequest", "RelayState")
            if name in query
        )
        return page(
            '<h1>Test identity provider</h1><form method="post" action="/sso">'
            f"{hidden}"
            '<label>User <input name="username"></label>'
            '<label>Password <input name="password" type="password"></label>'
            '<input type="hidden" name="lifetime" value="300">'
            '<button type="submit">Sign in</button></form>'
        )

    def sign_in(self, form: dict[str, list[str]], start: Start) -> list[bytes]:
        username = form.get("username", [""])[0]
        user = self.users.get(username)
        if user is None or user["password"] != form.get("password", [""])[0]:
            start("200 OK", [("Content-Type", "text/html; charset=utf-8")])
            return page("<p>Wrong user name or password.</p>")
        request = read_authn_request(form["SAMLRequest"][0])
        response = signed_response(
            issuer=self.entity_id,
            request=request,
            name_id=user["name_id"],
            attributes=user["attributes"],
            lifetime=int(form.get("lifetime", ["300"])[0]),
            key=self.key,
            cert=self.cert,
        )
        relay = form.get("RelayState", [""])[0]
        start("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return page(
            f'<form method="post" action="{html.escape(request["acs"])}">'
            f'<input type="hidden" name="SAMLResponse" value="{response}">'
            f'<input type="hidden" name="RelayState" value="{html.escape(relay)}">'
            '<button type="submit">Continue</button></form>'
        )


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--key", type=Path, required=True)
    parser.add_argument("--cert", type=Path, required=True)
    parser.add_argument("--users", type=Path, required=True)
    args = parser.parse_args()
    app = IdentityProvider(
        key=args.key.read_text(),
        cert=args.cert.read_text(),
        users=json.loads(args.users.read_text()),
    )
    server = make_server("127.0.0.1", 0, app, handler_class=QuietHandler)
    print(f"listening on http://127.0.0.1:{server.server_port}", flush=True)
    sys.stdout.close()
    server.serve_forever()


if __name__ == "__main__":
    main()
