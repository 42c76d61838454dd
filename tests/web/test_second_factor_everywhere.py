"""The second-factor policy over every page of the matrix: an advisory editor without a
second factor is sent to enrolment from each of them, except the enrolment pages themselves
(setting up a factor, confirming the password for it, signing out)."""

import pytest
from django.urls import resolve, reverse

from orgs.signin import ENROLMENT_PAGES
from tests.web.test_page_matrix import (  # noqa: F401 (the matrix's own autouse fixtures)
    CASES,
    _csaf_signing_key,
    _evidence_storage,
)

pytestmark = [pytest.mark.django_db, pytest.mark.second_factor_policy]


@pytest.mark.parametrize("name", sorted(CASES))
def test_an_editor_without_a_second_factor_reaches_only_enrolment(client, world, name):
    assert world.editor.is_advisory_editor
    client.force_login(world.editor)
    method, url = CASES[name](world)
    response = getattr(client, method)(url)
    held = response.status_code == 302 and response.url == reverse("mfa_activate_totp")
    if resolve(url.split("?")[0]).url_name in ENROLMENT_PAGES:
        assert not held
    else:
        assert held, f"{name} answered {response.status_code}"
