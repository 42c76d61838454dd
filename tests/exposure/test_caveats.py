"""Caveats through publish: a target with a condition flags only *possible* matches, and each
flag says why it is possible (the caveat, "version unknown", or both)."""

from __future__ import annotations

from typing import Any

import pytest

from advisories.models import Advisory, AffectedTarget
from advisories.services import advisory_update, target_compile
from exposure.choices import VERSION_UNKNOWN
from exposure.models import Flag
from exposure.selectors import advisory_impact
from tests.exposure.conftest import target_fields
from tests.factories import AdvisoryFactory, UserFactory

pytestmark = pytest.mark.django_db

CONDITION = "installed on FortiGate 100F appliances"
GLUED = {
    "kind": "product_range",
    "product": "fortios",
    "version_range": "<V7.2.5_installed_on_FortiGate_100F_appliances",
}


def flags(advisory: Advisory) -> dict[int, tuple[str, str]]:
    """``{item id: (confidence, possible reason)}`` of the advisory's open flags."""
    return {
        item_id: (confidence, reason)
        for item_id, confidence, reason in Flag.objects.filter(
            advisory=advisory, status="open"
        ).values_list("item_id", "confidence", "possible_reason")
    }


def test_a_condition_in_the_range_text_flags_possible_with_the_condition_as_reason(
    make_item, publish
):
    inside = make_item({"p": "fortios", "v": "7.2.4"})
    fixed = make_item({"p": "fortios", "v": "7.2.5"})
    unknown = make_item({"p": "fortios"})

    advisory = publish(GLUED)

    assert flags(advisory) == {
        inside.pk: ("possible", CONDITION),
        unknown.pk: ("possible", f"{VERSION_UNKNOWN}; {CONDITION}"),
    }
    assert fixed.pk not in flags(advisory)


def test_a_range_without_a_condition_still_flags_confirmed(make_item, publish):
    inside = make_item({"p": "fortios", "v": "7.2.4"})
    unknown = make_item({"p": "fortios"})

    advisory = publish({**GLUED, "version_range": "< V7.2.5"})

    assert flags(advisory) == {
        inside.pk: ("confirmed", ""),
        unknown.pk: ("possible", VERSION_UNKNOWN),
    }


@pytest.mark.parametrize(
    "target",
    [
        {"kind": "product", "product": "endpoint_security"},
        {"kind": "vendor", "vendor": "kaspersky"},
        {"kind": "vendor", "vendor": "kaspersky", "include_subsidiaries": True},
        {"kind": "jurisdiction", "country": "RU"},
        {"kind": "cpe", "cpe": "cpe:2.3:a:kaspersky:endpoint_security:*:*:*:*:*:*:*:*"},
    ],
    ids=["product", "vendor", "vendor_and_subsidiaries", "jurisdiction", "cpe"],
)
def test_a_caveat_typed_by_hand_makes_every_kind_of_target_possible(
    make_item, publish, target: dict[str, Any]
):
    item = make_item({"p": "endpoint_security", "v": "11.0"})

    advisory = publish({**target, "caveat": "only with the web console enabled"})

    assert flags(advisory) == {item.pk: ("possible", "only with the web console enabled")}


def test_a_cpe_target_decided_attribute_by_attribute_keeps_its_caveat(make_item, publish):
    item = make_item(
        {"cpe": "cpe:2.3:a:kaspersky:endpoint_security:11.0:*:*:*:*:windows:*:*", "v": "11.0"}
    )

    advisory = publish(
        {
            "kind": "cpe",
            "cpe": "cpe:2.3:a:kaspersky:endpoint_security:*:*:*:*:*:windows:*:*",
            "version_end_excluding": "12.0",
            "caveat": "only on domain controllers",
        }
    )

    assert flags(advisory) == {item.pk: ("possible", "only on domain controllers")}


def test_a_caveat_in_the_text_and_one_by_hand_are_both_the_reason(make_item, publish):
    item = make_item({"p": "fortios", "v": "7.0"})

    advisory = publish({**GLUED, "caveat": "with SSL-VPN enabled"})

    assert flags(advisory) == {item.pk: ("possible", f"{CONDITION}; with SSL-VPN enabled")}
    target = advisory.targets.get()
    assert target.read_as == f"< 7.2.5 — condition: {CONDITION}; with SSL-VPN enabled"


def test_a_target_without_caveat_confirms_what_a_caveat_target_left_possible(make_item, publish):
    item = make_item({"p": "fortios", "v": "7.0"})

    advisory = publish(GLUED, {"kind": "product", "product": "fortios"})

    assert flags(advisory) == {item.pk: ("confirmed", "")}


def test_an_exclusion_with_a_caveat_cannot_exclude_it_leaves_the_match_possible(make_item, publish):
    patched = make_item({"p": "fortios", "v": "7.4.1"})
    old = make_item({"p": "fortios", "v": "7.0"})

    advisory = publish(
        {"kind": "product", "product": "fortios"},
        {
            "kind": "product_range",
            "product": "fortios",
            "version_range": ">= 7.4 when the hotfix package is applied",
            "is_exclusion": True,
        },
    )

    assert flags(advisory) == {
        patched.pk: ("possible", "when the hotfix package is applied"),
        old.pk: ("confirmed", ""),
    }


def test_removing_the_caveat_confirms_the_flag_at_the_next_match(
    make_item, publish, run_on_commit, catalogue
):
    item = make_item({"p": "fortios", "v": "7.0"})
    advisory = publish({"kind": "product", "product": "fortios", "caveat": "only on 100F"})
    [flag] = Flag.objects.filter(advisory=advisory)
    assert (flag.confidence, flag.possible_reason) == ("possible", "only on 100F")

    run_on_commit(
        advisory_update,
        advisory=advisory,
        data={},
        targets=[target_fields(catalogue, {"kind": "product", "product": "fortios"})],
    )

    assert flags(advisory) == {item.pk: ("confirmed", "")}
    flag.refresh_from_db()
    assert flag.pk == Flag.objects.get(advisory=advisory).pk


def test_the_impact_preview_shows_why_an_item_is_only_possible(make_item, catalogue, org):
    item = make_item({"p": "fortios", "v": "7.0"})
    draft = AdvisoryFactory()
    target_compile(
        target=AffectedTarget.objects.create(advisory=draft, **target_fields(catalogue, GLUED))
    )
    editor = UserFactory(is_superuser=True, is_staff=True)

    impact = advisory_impact(advisory=draft, user=editor)

    [organization] = impact.organizations
    [sample] = organization.sample_items
    assert (sample.id, sample.confidence, sample.possible_reason) == (
        item.pk,
        "possible",
        CONDITION,
    )
    assert organization.possible_count == 1
