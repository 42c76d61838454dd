"""Our CSAF provider: the metadata, a folder per TLP label with its ROLIE feed, index.txt and
changes.csv, each document's hash and signature verified with the standard tools, CLEAR
public and the rest only for a token whose user may read them."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pysequoia
import pytest
from rest_framework.test import APIClient

from advisories.choices import SourceKind, Tlp
from advisories.models import Advisory
from advisories.publishing import provider
from advisories.publishing.documents import csaf_filename
from advisories.services import advisory_create, advisory_publish
from orgs.choices import Role
from orgs.tokens import token_create
from tests.factories import ProductFactory, SourceFactory, VendorFactory

pytestmark = pytest.mark.django_db

BASE = "/.well-known/csaf/"


@pytest.fixture
def signing_key(settings) -> Any:
    key = pysequoia.Tsk.generate("Vendorwatch test <csaf@example.org>")
    settings.CSAF_OPENPGP_SECRET_KEY = str(key)
    provider.key_changed()
    yield key
    provider.key_changed()


@pytest.fixture
def published(tenants) -> dict[str, Advisory]:
    source = SourceFactory(name="Our CERT", slug="our-cert", kind=SourceKind.INTERNAL)
    product = ProductFactory(vendor=VendorFactory(name="Fortinet"), name="FortiOS")
    advisories = {}
    for number, tlp in enumerate((Tlp.CLEAR, Tlp.AMBER, Tlp.RED), start=1):
        advisory = advisory_create(
            source=source,
            identifier=f"OUR-2026-{number:04d}",
            title=f"FortiOS {tlp}",
            kind="vulnerability",
            tlp=tlp,
            audience_organizations=[tenants.org_a],
            audience_users=[tenants.owner],
            targets=[{"kind": "product", "product": product}],
        )
        advisories[tlp] = advisory_publish(advisory=advisory)
    return advisories


def bearer(user: Any, organization: Any = None) -> APIClient:
    _token, text = token_create(user=user, name="csaf", organization=organization)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {text}")
    return client


def test_metadata_lists_a_feed_per_label_and_the_public_key(client, published, signing_key):
    metadata = client.get(f"{BASE}provider-metadata.json").json()
    assert metadata["role"] == "csaf_provider"
    feeds = metadata["distributions"][0]["rolie"]["feeds"]
    assert [feed["tlp_label"] for feed in feeds] == ["WHITE", "GREEN", "AMBER", "RED"]
    [key] = metadata["public_openpgp_keys"]
    fingerprint = signing_key.extract_certificate().fingerprint.upper()
    assert key["fingerprint"] == fingerprint
    armored = client.get(key["url"].removeprefix("http://testserver")).content.decode()
    assert pysequoia.Cert.from_bytes(armored.encode()).fingerprint.upper() == fingerprint


def test_clear_is_public_and_verifies_with_sha512sum_and_gpg(
    client, published, signing_key, tmp_path
):
    feed = client.get(f"{BASE}white/csaf-feed-tlp-white.json").json()["feed"]
    [entry] = feed["entry"]
    assert entry["id"] == "OUR-2026-0001"
    links = {link["rel"]: link["href"].removeprefix("http://testserver") for link in entry["link"]}
    assert client.get(f"{BASE}white/index.txt").content == b"2026/our-2026-0001.json\n"
    [[path, updated]] = list(csv.reader(io.StringIO(client.get(f"{BASE}white/changes.csv").text)))
    assert (path, updated) == ("2026/our-2026-0001.json", entry["updated"])

    document = client.get(links["self"]).content
    assert json.loads(document)["document"]["distribution"]["tlp"]["label"] == "WHITE"
    (tmp_path / "our-2026-0001.json").write_bytes(document)
    (tmp_path / "our-2026-0001.json.sha512").write_bytes(client.get(links["hash"]).content)
    (tmp_path / "our-2026-0001.json.asc").write_bytes(client.get(links["signature"]).content)
    checked = subprocess.run(
        ["sha512sum", "-c", "our-2026-0001.json.sha512"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    if shutil.which("gpg") is None:
        pytest.skip("gpg is not installed; the signature was checked by hash only")
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    key = tmp_path / "key.asc"
    key.write_text(str(signing_key.extract_certificate()))
    gpg = ["gpg", "--homedir", str(home), "--batch", "--no-autostart"]
    subprocess.run([*gpg, "--import", str(key)], check=True, capture_output=True)
    verified = _gpg_verify(gpg, tmp_path / "our-2026-0001.json")
    assert verified.returncode == 0, verified.stderr
    (tmp_path / "our-2026-0001.json").write_bytes(document.replace(b"FortiOS", b"FortiOZ"))
    assert _gpg_verify(gpg, tmp_path / "our-2026-0001.json").returncode != 0


def _gpg_verify(gpg: list[str], document: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*gpg, "--verify", f"{document}.asc", str(document)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_other_labels_need_a_token_whose_user_may_read_them(client, tenants, published):
    assert client.get(f"{BASE}amber/index.txt").status_code == 401
    assert client.get(f"{BASE}amber/2026/our-2026-0002.json").status_code == 401
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Bearer vw_nothing_wrong")
    assert bad.get(f"{BASE}white/index.txt").status_code == 401

    member = bearer(tenants.viewer)
    assert member.get(f"{BASE}amber/index.txt").content == b"2026/our-2026-0002.json\n"
    assert member.get(f"{BASE}amber/2026/our-2026-0002.json").status_code == 200
    assert member.get(f"{BASE}red/index.txt").content == b""
    assert member.get(f"{BASE}red/2026/our-2026-0003.json").status_code == 404

    outsider = bearer(tenants.outsider)
    assert outsider.get(f"{BASE}amber/csaf-feed-tlp-amber.json").json()["feed"]["entry"] == []
    assert outsider.get(f"{BASE}amber/2026/our-2026-0002.json").status_code == 404
    assert outsider.get(f"{BASE}amber/2026/our-2026-0002.json.sha512").status_code == 404

    named = bearer(tenants.owner)
    assert named.get(f"{BASE}red/2026/our-2026-0003.json").status_code == 200
    # An organization's token does not carry RED, even the named user's.
    assert tenants.owner.memberships.get().role == Role.OWNER
    organization_token = bearer(tenants.owner, organization=tenants.org_a)
    assert organization_token.get(f"{BASE}red/2026/our-2026-0003.json").status_code == 404
    assert organization_token.get(f"{BASE}amber/2026/our-2026-0002.json").status_code == 200


def test_a_document_that_fails_the_checks_is_not_served(client, published):
    advisory = published[Tlp.CLEAR]
    # A vendor warning without an external reference fails CSAF test 6.1.27.2.
    Advisory.objects.filter(pk=advisory.pk).update(kind="vendor_warning")
    response = client.get(f"{BASE}white/2026/our-2026-0001.json")
    assert response.status_code == 422
    assert b"6.1.27" in response.content


def test_a_document_is_found_at_its_listed_path_whatever_its_identifier(client, tenants, published):
    source = published[Tlp.CLEAR].source
    product = published[Tlp.CLEAR].targets.get().product
    for identifier in ("OUR/2026:0004 b", "Our+2026-0005", "OUR_2026.0006"):
        advisory = advisory_create(
            source=source,
            identifier=identifier,
            title=identifier,
            kind="vulnerability",
            tlp=Tlp.CLEAR,
            targets=[{"kind": "product", "product": product}],
        )
        advisory_publish(advisory=advisory)
    paths = client.get(f"{BASE}white/index.txt").text.split()
    assert sorted(paths) == [
        "2026/our+2026-0005.json",
        "2026/our-2026-0001.json",
        "2026/our_2026_0004_b.json",
        "2026/our_2026_0006.json",
    ]
    for path in paths:
        document = json.loads(client.get(f"{BASE}white/{path}").content)
        assert csaf_filename(document["document"]["tracking"]["id"]) == path.split("/")[1]
    # A name that only a looser reading would match, another year, another folder: none.
    assert client.get(f"{BASE}white/2026/our_2026_0004_bb.json").status_code == 404
    assert client.get(f"{BASE}white/2026/our-2026-0005.json").status_code == 404
    assert client.get(f"{BASE}white/2025/our-2026-0001.json").status_code == 404
    assert bearer(tenants.viewer).get(f"{BASE}green/2026/our-2026-0001.json").status_code == 404
