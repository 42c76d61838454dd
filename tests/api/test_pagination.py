"""Paging: keyset cursors walk big lists exactly, through ties and empty dates, both ways;
malformed paging parameters are refused rather than ignored."""

import base64
import datetime
import json

import pytest
from django.db.models import F
from django.utils import timezone

from exposure.models import Flag
from tests.api.factories import FlagFactory
from tests.factories import InventoryItemFactory, VendorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def flags(tenants):
    """Twenty-five flags with heavily tied priorities and some without a due date."""
    today = timezone.localdate()
    created = []
    for n in range(25):
        created.append(
            FlagFactory(
                item=InventoryItemFactory(organization=tenants.org_a),
                priority=(n % 3) * 10,
                due_date=None if n % 4 == 0 else today + datetime.timedelta(days=n % 5),
            )
        )
    return created


def _walk(client, url, params, link="next"):
    pages = []
    response = client.get(url, params)
    while True:
        assert response.status_code == 200, response.json()
        body = response.json()
        pages.append([row["id"] for row in body["results"]])
        if not body[link]:
            return pages, body
        response = client.get(body[link])


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        (None, ["-priority", "due_date", "pk"]),
        ("due_date,-priority", ["due_date", "-priority", "pk"]),
        ("-due_date", ["-due_date", "pk"]),
    ],
)
def test_following_next_visits_every_flag_once_in_order(tenants, api, flags, ordering, expected):
    params = {"page_size": 4}
    if ordering:
        params["ordering"] = ordering
    pages, _last = _walk(api.session(tenants.viewer), "/api/v1/flags/", params)
    seen = [pk for page in pages for pk in page]
    # The cursor pages put empty due dates last in both directions of sorting.
    order = [
        (
            F(term.lstrip("-")).desc(nulls_last=True)
            if term.startswith("-")
            else F(term).asc(nulls_last=True)
        )
        for term in expected
    ]
    assert seen == list(Flag.objects.order_by(*order).values_list("pk", flat=True))
    assert all(len(page) == 4 for page in pages[:-1])


def test_following_previous_from_the_end_walks_back_the_same_pages(tenants, api, flags):
    client = api.session(tenants.viewer)
    forward, last = _walk(client, "/api/v1/flags/", {"page_size": 4})
    backward = [forward[-1]]
    response = client.get(last["previous"])
    while True:
        body = response.json()
        backward.append([row["id"] for row in body["results"]])
        if not body["previous"]:
            break
        response = client.get(body["previous"])
    assert backward == list(reversed(forward))


def test_the_first_page_has_no_previous_link(tenants, api, flags):
    body = api.session(tenants.viewer).get("/api/v1/flags/", {"page_size": 4}).json()
    assert body["previous"] is None
    assert body["next"]


@pytest.mark.parametrize(
    "params",
    [
        {"cursor": "not-a-cursor"},
        {"cursor": "eyJ2IjpbMSwyXSwiciI6ZmFsc2V9"},  # a cursor for another ordering
        {"page_size": "0"},
        {"page_size": "201"},
        {"page_size": "many"},
        {"ordering": "item_label"},
    ],
)
def test_malformed_paging_is_refused_with_400(tenants, api, flags, params):
    response = api.session(tenants.viewer).get("/api/v1/flags/", params)
    assert response.status_code == 400
    assert set(response.json()) == set(params)


def test_a_forged_cursor_out_of_the_columns_range_is_refused(tenants, api, flags):
    payload = json.dumps({"v": [10**30, None, 10**30], "r": False}).encode()
    cursor = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    response = api.session(tenants.viewer).get("/api/v1/flags/", {"cursor": cursor})
    assert response.status_code == 400


def test_page_numbers_past_the_end_are_404(tenants, api):
    VendorFactory()
    response = api.session(tenants.viewer).get("/api/v1/vendors/", {"page": 9})
    assert response.status_code == 404


def test_page_size_is_honoured_up_to_the_cap(tenants, api):
    for _ in range(3):
        VendorFactory()
    body = api.session(tenants.viewer).get("/api/v1/vendors/", {"page_size": 2}).json()
    assert (len(body["results"]), body["count"]) == (2, 3)
