"""The overview's and the reports page's figures agree with the flags counted one by one, by the
definitions their modules give, over a varied world: five organizations in three sectors,
every flag status, severity and advisory kind, flags opened over a year and closed before and
during the periods, with and without due dates and vendors, and AMBER and RED advisories that
a member of two organizations may not read."""

import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from advisories.choices import AdvisoryKind, Severity, Tlp
from advisories.models import Advisory
from exposure.choices import ACTIVE_FLAG_STATUSES, FlagStatus
from exposure.dashboard import TOP_ROWS, TREND_DAYS, dashboard_overview
from exposure.models import Flag
from exposure.reports import AGE_BUCKETS, CLOSED_STATUSES, REPORT_PERIODS, resolution_report
from orgs.choices import Role
from orgs.models import Organization, User
from tests.factories import (
    InventoryItemFactory,
    MembershipFactory,
    OrganizationFactory,
    ProductFactory,
    PublishedAdvisoryFactory,
    UserFactory,
    VendorFactory,
)

pytestmark = pytest.mark.django_db

SECTORS = ("energy", "health", "energy", "water", "health")


@dataclass
class Varied:
    organizations: list[Organization]
    amber: Advisory
    elsewhere: Advisory
    red: Advisory
    analyst: User
    member: User


@pytest.fixture
def varied(settings) -> Varied:
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    rng = random.Random(20)
    now = timezone.now()
    today = timezone.localdate(now)
    organizations = [
        OrganizationFactory(name=f"Org {index}", sector=sector)
        for index, sector in enumerate(SECTORS)
    ]
    products = [ProductFactory(vendor=VendorFactory()) for _ in range(4)]
    advisories = [
        PublishedAdvisoryFactory(severity=severity, kind=kind)
        for severity in Severity
        for kind in (AdvisoryKind.VULNERABILITY, AdvisoryKind.VENDOR_WARNING)
    ] + [PublishedAdvisoryFactory(kind=AdvisoryKind.PROHIBITION, severity=Severity.CRITICAL)]
    # Read by those who see the fourth organization, by those who see the first, and by the
    # analyst alone.
    amber = PublishedAdvisoryFactory(tlp=Tlp.AMBER, severity=Severity.CRITICAL)
    amber.audience_organizations.add(organizations[3])
    elsewhere = PublishedAdvisoryFactory(tlp=Tlp.AMBER, kind=AdvisoryKind.INFORMATIONAL)
    elsewhere.audience_organizations.add(organizations[0])
    red = PublishedAdvisoryFactory(tlp=Tlp.RED, severity=Severity.HIGH)
    advisories += [amber, elsewhere, red]
    items = []
    for organization in organizations:
        for _ in range(12):
            product = rng.choice([*products, None])
            # An item resolved to no catalogue product: its flags have no vendor.
            unresolved = {"raw_vendor": "Acme", "raw_product": "Gadget"} if product is None else {}
            items.append(
                InventoryItemFactory(organization=organization, product=product, **unresolved)
            )
    statuses = [*FlagStatus]
    flags, dates = [], []
    for advisory in advisories:
        for item in rng.sample(items, 30):
            status = rng.choice(statuses)
            opened = now - timedelta(days=rng.choice([0, 1, 5, 8, 20, 31, 60, 89, 95, 150, 200]))
            changed = opened + timedelta(days=rng.randint(0, 40), hours=rng.randint(0, 23))
            changed = min(changed, now)
            flags.append(
                Flag(
                    advisory=advisory,
                    item=item,
                    organization=item.organization,
                    product=item.product,
                    vendor=item.product.vendor if item.product else None,
                    item_label=str(item),
                    status=status,
                    due_date=rng.choice([None, today + timedelta(days=rng.randint(-60, 30))]),
                    risk_accepted_until=today + timedelta(days=30)
                    if status == FlagStatus.RISK_ACCEPTED
                    else None,
                    resolution_reason="item_removed" if status == FlagStatus.RESOLVED else "",
                )
            )
            dates.append((opened, changed, status == FlagStatus.RESOLVED))
    Flag.objects.bulk_create(flags)
    for flag, (opened, changed, resolved) in zip(flags, dates, strict=True):
        Flag.objects.filter(pk=flag.pk).update(
            first_seen_at=opened,
            status_changed_at=changed if flag.status != FlagStatus.OPEN else opened,
            resolved_at=changed if resolved else None,
        )
    analyst = UserFactory(is_global_analyst=True)
    red.audience_users.add(analyst)
    member = UserFactory()
    for organization in organizations[2:4]:
        MembershipFactory(user=member, organization=organization, role=Role.ANALYST)
    return Varied(organizations, amber, elsewhere, red, analyst, member)


def _closed_at(flag: Flag) -> datetime:
    return flag.resolved_at or flag.status_changed_at


def _visible(user: User) -> list[Flag]:
    return list(Flag.objects.visible_to(user).select_related("advisory"))


def test_the_world_is_varied_and_the_member_sees_part_of_it(varied):
    every = _visible(varied.analyst)
    seen = _visible(varied.member)
    assert {flag.status for flag in every} == set(FlagStatus)
    member_sees = {o.pk for o in varied.organizations[2:4]}
    assert {flag.organization_id for flag in seen} == member_sees
    # The member reads the AMBER advisory of its audience organization, not the other AMBER
    # one nor the RED one, which the analyst reads.
    member_reads = {flag.advisory_id for flag in seen}
    assert varied.amber.pk in member_reads
    assert varied.elsewhere.pk not in member_reads and varied.red.pk not in member_reads
    assert any(
        flag.advisory_id == varied.elsewhere.pk and flag.organization_id in member_sees
        for flag in every
    )
    assert {varied.amber.pk, varied.elsewhere.pk, varied.red.pk} <= {f.advisory_id for f in every}


@pytest.mark.parametrize("who", ["analyst", "member"])
def test_the_overview_counts_what_the_flags_say(varied, who):
    user = getattr(varied, who)
    today = timezone.localdate()
    flags = _visible(user)
    active = [flag for flag in flags if flag.status in ACTIVE_FLAG_STATUSES]
    overview = dashboard_overview(user=user)

    assert overview.active_total == len(active)
    assert overview.overdue_total == sum(1 for f in active if f.due_date and f.due_date < today)
    severities = Counter(flag.advisory.severity for flag in active)
    kinds = Counter(flag.advisory.kind for flag in active)
    assert {row.key: row.count for row in overview.by_severity} == {
        severity.value: severities[severity.value] for severity in Severity
    }
    assert {row.key: row.count for row in overview.by_kind} == {
        kind.value: kinds[kind.value] for kind in AdvisoryKind
    }

    per_org: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for flag in active:
        figures = per_org[flag.organization_id]
        figures[0] += 1
        figures[1] += flag.advisory.severity == Severity.CRITICAL
        figures[2] += bool(flag.due_date and flag.due_date < today)
    top = sorted(per_org, key=lambda pk: (-per_org[pk][0], pk))[:TOP_ROWS]
    assert [(o.pk, o.active, o.critical, o.overdue) for o in overview.organizations] == [
        (pk, *per_org[pk]) for pk in top
    ]

    by_vendor: dict[int, list[Flag]] = defaultdict(list)
    for flag in active:
        if flag.vendor_id is not None:
            by_vendor[flag.vendor_id].append(flag)
    vendors = sorted(by_vendor, key=lambda pk: (-len(by_vendor[pk]), pk))[:TOP_ROWS]
    assert len(by_vendor) > 1
    assert [(v.pk, v.active, v.organizations) for v in overview.vendors] == [
        (pk, len(by_vendor[pk]), len({f.organization_id for f in by_vendor[pk]})) for pk in vendors
    ]

    def active_at_end_of(day: date) -> int:
        return sum(
            1
            for flag in flags
            if timezone.localdate(flag.first_seen_at) <= day
            and (flag.status in ACTIVE_FLAG_STATUSES or timezone.localdate(_closed_at(flag)) > day)
        )

    days = [today - timedelta(days=offset) for offset in reversed(range(TREND_DAYS))]
    assert [(point.day, point.count) for point in overview.trend] == [
        (day, active_at_end_of(day)) for day in days
    ]
    assert len({point.count for point in overview.trend}) > 5


@pytest.mark.parametrize("who", ["analyst", "member"])
@pytest.mark.parametrize("days", REPORT_PERIODS)
def test_the_reports_page_counts_what_the_flags_say(varied, who, days):
    user = getattr(varied, who)
    now = timezone.now()
    today = timezone.localdate(now)
    start = timezone.make_aware(datetime.combine(today - timedelta(days=days), datetime.min.time()))
    expected: dict[int, dict[str, object]] = defaultdict(
        lambda: {
            "active": 0,
            "overdue": 0,
            "ages": [0] * len(AGE_BUCKETS),
            "closed": 0,
            "closed_with_due": 0,
            "within_sla": 0,
            "resolve_time": timedelta(0),
        }
    )
    for flag in _visible(user):
        figures = expected[flag.organization_id]
        if flag.status in ACTIVE_FLAG_STATUSES:
            figures["active"] += 1
            figures["overdue"] += bool(flag.due_date and flag.due_date < today)
            age = (now - flag.first_seen_at).days
            for index, bucket in enumerate(AGE_BUCKETS):
                if bucket.min_days <= age and (bucket.max_days is None or age <= bucket.max_days):
                    figures["ages"][index] += 1
        elif flag.status in CLOSED_STATUSES and _closed_at(flag) >= start:
            figures["closed"] += 1
            if flag.due_date is not None:
                figures["closed_with_due"] += 1
                figures["within_sla"] += timezone.localdate(_closed_at(flag)) <= flag.due_date
            figures["resolve_time"] += _closed_at(flag) - flag.first_seen_at

    report = resolution_report(user=user, today=today, days=days)

    visible = Organization.objects.visible_to(user).order_by("name")
    assert [row.name for row in report.organizations] == [o.name for o in visible]
    for organization, row in zip(visible, report.organizations, strict=True):
        figures = expected[organization.pk]
        assert (
            row.active,
            row.overdue,
            row.ages,
            row.closed,
            row.closed_with_due,
            row.within_sla,
            row.resolve_time,
        ) == tuple(figures.values()), organization.name
    assert report.total.closed == sum(f["closed"] for f in expected.values()) > 0
    assert report.total.within_sla > 0
    assert sum(report.total.ages) == report.total.active
    for sector in report.sectors:
        rows = [row for row in report.organizations if row.sector == sector.key]
        assert sector.active == sum(row.active for row in rows)
        assert sector.resolve_time == sum((row.resolve_time for row in rows), timedelta(0))
