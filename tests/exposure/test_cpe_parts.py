"""The CPE part through the real path: items of each part against CPE targets of each part.

Each test creates items with the inventory service and publishes one advisory per target part
(a, o, h, *), then compares every (target part, item part) pair with the grid the pure layer
is held to (``tests/vendors/matching/test_cpe.py``). Items reach targets two ways — by their
own CPE name, or through their catalogue product's — and targets are decided in SQL or, when
their name needs NISTIR matching attribute by attribute, in Python: all four are run.
"""

from __future__ import annotations

from typing import Any

import pytest

from exposure.engine import Scope
from exposure.engine.targets import plan_targets
from orgs.models import InventoryItem
from tests.exposure.conftest import open_flags
from tests.factories import VendorFactory
from tests.vendors.matching.test_cpe import PART_GRID, PARTS
from vendors.services import product_create

pytestmark = pytest.mark.django_db

CONFIDENCE = {"C": "confirmed", "P": "possible"}
ANY8 = ":*:*:*:*:*:*:*:*"
# A target decided in SQL names the product plainly; one with a wildcard in the product needs
# NISTIR matching, which the engine does in Python.
TARGET_PRODUCTS = {"sql": "widget", "python": "widg*"}


def expected_grid(items: dict[str, InventoryItem]) -> dict[str, dict[int, str]]:
    """``{target part: {item id: confidence}}`` as the pure layer's grid says."""
    return {
        source: {
            items[candidate].pk: CONFIDENCE[row[index]]
            for index, candidate in enumerate(PARTS)
            if candidate in items and row[index] in CONFIDENCE
        }
        for source, row in PART_GRID.items()
    }


def matched_grid(publish: Any, decided_in: str, **target: Any) -> dict[str, dict[int, str]]:
    """Publish one CPE advisory per target part; ``{target part: its open flags}``."""
    grid = {}
    for part in PART_GRID:
        advisory = publish(
            {"kind": "cpe", "cpe": f"cpe:2.3:{part}:acme:{TARGET_PRODUCTS[decided_in]}{ANY8}"},
            **target,
        )
        in_python = plan_targets(Scope(advisory_ids=(advisory.pk,))).python_target_ids
        assert bool(in_python) is (decided_in == "python")
        grid[part] = open_flags(advisory)
    return grid


@pytest.fixture
def acme(db: None) -> Any:
    return VendorFactory(name="Acme", slug="acme", cpe_vendor="acme")


def widget(acme: Any, name: str, cpe_part: str) -> None:
    """A catalogue product named ``name`` whose CPE name is acme:widget of part ``cpe_part``."""
    product_create(
        data={"vendor": acme, "name": name, "cpe": f"cpe:2.3:{cpe_part}:acme:widget{ANY8}"}
    )


@pytest.mark.parametrize("decided_in", ["sql", "python"])
def test_items_own_cpe_names_of_each_part_against_targets_of_each_part(
    decided_in, make_item, publish
):
    # Nothing in the catalogue names acme:widget: the items are known by their own names only,
    # and an item whose name leaves the part open ("*") has it unknown.
    items = {
        part: make_item({"cpe": f"cpe:2.3:{part}:acme:widget:2.1:*:*:*:*:*:*:*"})
        for part in ("a", "o", "h", "*")
    }
    assert {item.product_id for item in items.values()} == {None}

    assert matched_grid(publish, decided_in) == expected_grid(items)


@pytest.mark.parametrize("decided_in", ["sql", "python"])
def test_items_known_through_products_of_each_part_against_targets_of_each_part(
    decided_in, acme, make_item, publish
):
    names = {"a": "Widget Suite", "o": "Widget OS", "h": "Widget Box", "unknown": "Widget"}
    for part, name in names.items():
        widget(acme, name, "*" if part == "unknown" else part)
    items = {
        part: make_item({"vendor": "Acme", "product": name, "v": "2.1"})
        for part, name in names.items()
    }
    assert all(item.product is not None and not item.cpe for item in items.values())

    assert matched_grid(publish, decided_in) == expected_grid(items)


@pytest.mark.parametrize("decided_in", ["sql", "python"])
def test_an_items_own_part_wins_and_a_part_its_name_leaves_open_is_its_products(
    decided_in, acme, make_item, publish
):
    widget(acme, "Widget OS", "o")
    # Resolved to the operating system by its name, though its own CPE name says application.
    named_application = make_item(
        {
            "vendor": "Acme",
            "product": "Widget OS",
            "cpe": "cpe:2.3:a:acme:widget:2.1:*:*:*:*:*:*:*",
        }
    )
    # Its own name leaves the part open; its product says operating system.
    open_part = make_item(
        {"vendor": "Acme", "product": "Widget OS", "cpe": "cpe:2.3:*:acme:widget:2.1:*:*:*:*:*:*:*"}
    )
    assert named_application.product_id == open_part.product_id is not None

    grid = matched_grid(publish, decided_in)

    assert grid["a"] == {named_application.pk: "confirmed"}
    assert grid["o"] == {open_part.pk: "confirmed"}
    assert grid["h"] == {}
    assert grid["*"] == {named_application.pk: "confirmed", open_part.pk: "confirmed"}


@pytest.mark.parametrize("decided_in", ["sql", "python"])
def test_an_exclusion_of_another_part_excludes_nothing(decided_in, acme, make_item, publish):
    widget(acme, "Widget Suite", "a")
    widget(acme, "Widget OS", "o")
    widget(acme, "Widget", "*")
    suite = make_item({"vendor": "Acme", "product": "Widget Suite", "v": "2.1"})
    system = make_item({"vendor": "Acme", "product": "Widget OS", "v": "2.1"})
    unknown = make_item({"vendor": "Acme", "product": "Widget", "v": "2.1"})
    fixed_os = f"cpe:2.3:o:acme:{TARGET_PRODUCTS[decided_in]}{ANY8}"

    advisory = publish(
        {"kind": "vendor", "vendor_id": acme.pk},
        {"kind": "cpe", "cpe": fixed_os, "is_exclusion": True},
    )

    # The operating system is excluded; the application is not; an item whose part is not
    # known may be the excluded one, so it is only possibly affected.
    assert open_flags(advisory) == {suite.pk: "confirmed", unknown.pk: "possible"}
    assert system.pk not in open_flags(advisory)
