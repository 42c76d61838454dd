"""The reports page: SLA compliance, ageing and mean time to resolve per organization and per
sector, their CSV and XLSX exports and an organization's PDF, each scoped by the tenant rule."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from exposure.models import Flag
from exposure.report_pdf import organization_report_html
from exposure.views_reports import organization_report_context
from tests.factories import (
    InventoryItemFactory,
    OrganizationFactory,
    PublishedAdvisoryFactory,
    UserFactory,
)
from tests.web.conftest import flag_for

pytestmark = pytest.mark.django_db

REPORTS = reverse("reports:reports")


def _export(name, extension):
    return reverse("reports:export", kwargs={"name": name, "extension": extension})


@pytest.fixture
def history(world):
    """Beside the world's two open flags (Alpha's overdue): in Alpha one flag mitigated late
    (15 days to resolve), one resolved in time (4 days) and one open for 100 days; in Beta a
    false positive without a due date (2 days)."""
    now = timezone.now()
    today = timezone.localdate()

    def closed(org_item, status, *, opened_days_ago, closed_days_ago, due_in_days):
        advisory = PublishedAdvisoryFactory()
        flag = flag_for(advisory, org_item)
        Flag.objects.filter(pk=flag.pk).update(
            status=status,
            first_seen_at=now - timedelta(days=opened_days_ago),
            status_changed_at=now - timedelta(days=closed_days_ago),
            resolved_at=now - timedelta(days=closed_days_ago) if status == "resolved" else None,
            resolution_reason="item_removed" if status == "resolved" else "",
            due_date=today + timedelta(days=due_in_days) if due_in_days is not None else None,
        )

    closed(world.item_a, "mitigated", opened_days_ago=20, closed_days_ago=5, due_in_days=-10)
    closed(world.item_a, "resolved", opened_days_ago=6, closed_days_ago=2, due_in_days=30)
    closed(world.item_b, "false_positive", opened_days_ago=3, closed_days_ago=1, due_in_days=None)
    # Closed before the period: in no figure of the last 90 days.
    closed(world.item_b, "mitigated", opened_days_ago=400, closed_days_ago=200, due_in_days=-300)
    old = flag_for(
        PublishedAdvisoryFactory(),
        InventoryItemFactory(organization=world.item_a.organization, product=world.product),
    )
    Flag.objects.filter(pk=old.pk).update(first_seen_at=now - timedelta(days=100))
    return world


def _rows(report):
    return {row.name: row for row in report.organizations}


def test_an_analyst_of_every_organization_gets_sla_ageing_and_time_to_resolve(client, history):
    client.force_login(UserFactory(is_global_analyst=True))
    response = client.get(REPORTS)
    assert response.status_code == 200
    report = response.context["report"]
    alpha, beta = _rows(report)["Stadtwerke Alpha"], _rows(report)["Klinikum Beta"]
    assert (alpha.active, alpha.overdue, alpha.closed) == (2, 1, 2)
    assert alpha.ages == [1, 0, 0, 1, 0]
    assert (alpha.within_sla, alpha.closed_with_due, alpha.sla_percent) == (1, 2, 50.0)
    assert alpha.mean_days_to_resolve == 9.5
    assert (beta.closed, beta.sla_percent, beta.mean_days_to_resolve) == (1, None, 2.0)
    assert report.total.closed == 3
    assert report.total.mean_days_to_resolve == 7.0
    sectors = {sector.name: sector for sector in report.sectors}
    assert sectors["Health"].closed == 1
    page = response.content.decode()
    assert 'data-testid="sla-percent">50.0 %<' in page
    assert "Open flags by age" in page and "<svg" in page


def test_the_period_counts_flags_closed_within_it(client, history):
    client.force_login(UserFactory(is_global_analyst=True))
    report = client.get(REPORTS, {"days": "365"}).context["report"]
    assert report.total.closed == 4
    assert client.get(REPORTS, {"days": "7000"}).context["days"] == 90


@pytest.mark.parametrize(
    ("who", "sees", "hidden"),
    [
        ("owner", "Stadtwerke Alpha", "Klinikum Beta"),
        ("outsider", "Klinikum Beta", "Stadtwerke Alpha"),
    ],
)
def test_members_see_only_their_own_organization(client, history, who, sees, hidden):
    client.force_login(getattr(history.tenants, who))
    response = client.get(REPORTS)
    assert [row.name for row in response.context["report"].organizations] == [sees]
    assert hidden not in response.content.decode()
    for extension in ("csv", "xlsx"):
        body = client.get(_export("organizations", extension)).getvalue()
        if extension == "csv":
            text = body.decode()
        else:
            sheet = load_workbook(io.BytesIO(body)).active
            text = " ".join(str(cell.value) for row in sheet.iter_rows() for cell in row)
        assert sees in text and hidden not in text


def test_every_list_exports_as_csv_and_xlsx(client, history):
    client.force_login(UserFactory(is_global_analyst=True))
    response = client.get(_export("organizations", "csv"))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.getvalue().decode())))
    alpha = next(row for row in rows if row["organization"] == "Stadtwerke Alpha")
    assert alpha["sla_compliance_percent"] == "50.0"
    assert alpha["mean_days_to_resolve"] == "9.5"
    assert alpha["open_aged_91-180_days"] == "1"
    for name, first_column in (("sectors", "sector"), ("ageing", "open_for")):
        for extension in ("csv", "xlsx"):
            response = client.get(_export(name, extension))
            assert response.status_code == 200, (name, extension)
            if extension == "csv":
                assert response.getvalue().decode().startswith(f"{first_column},")
            else:
                sheet = load_workbook(io.BytesIO(response.content)).active
                assert sheet["A1"].value == first_column
    sheet = load_workbook(io.BytesIO(client.get(_export("ageing", "xlsx")).content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0] == ["open_for", "open_flags"]
    assert values[1] == ["Up to 7 days", 2]  # one open flag in each organization
    assert values[4] == ["91 to 180 days", 1]
    assert client.get(_export("passwords", "csv")).status_code == 404
    assert client.get(_export("ageing", "exe")).status_code == 404


def test_xlsx_stores_text_that_looks_like_a_formula_as_text(client, history):
    history.tenants.org_a.name = '=HYPERLINK("http://evil.example","x")'
    history.tenants.org_a.save()
    client.force_login(history.tenants.owner)
    sheet = load_workbook(io.BytesIO(client.get(_export("organizations", "xlsx")).content)).active
    cell = sheet["A2"]
    assert cell.value == '=HYPERLINK("http://evil.example","x")'
    assert cell.data_type == "s"


def test_an_organizations_pdf_report_for_those_who_see_it(client, history):
    slug = history.tenants.org_a.slug
    url = reverse("reports:organization_pdf", kwargs={"slug": slug})
    client.force_login(history.tenants.owner)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    client.force_login(history.tenants.outsider)
    assert client.get(url).status_code == 404
    other = reverse("reports:organization_pdf", kwargs={"slug": "no-such-org"})
    assert client.get(other).status_code == 404


def test_the_pdf_says_exposure_overdue_trend_and_sla(rf, history):
    request = rf.get("/")
    request.user = history.tenants.owner
    context = organization_report_context(
        request=request,
        organization=history.tenants.org_a,
        today=timezone.localdate(),
        days=90,
    )
    html = organization_report_html(context=context)
    assert "Stadtwerke Alpha" in html
    assert "50.0 % (1 of 2 with a due date)" in html
    assert "Overdue flags" in html and "BSI-2022-0315" in html
    assert "Open flags per day" in html  # the trend's description
    assert "Klinikum Beta" not in html


def test_the_page_costs_the_same_queries_for_one_organization_or_many(client, history):
    client.force_login(UserFactory(is_global_analyst=True))
    with CaptureQueriesContext(connection) as few:
        assert client.get(REPORTS).status_code == 200
    for _ in range(6):
        organization = OrganizationFactory(sector="water")
        item = InventoryItemFactory(organization=organization, product=history.product)
        flag_for(PublishedAdvisoryFactory(), item)
    with CaptureQueriesContext(connection) as many:
        assert client.get(REPORTS).status_code == 200
    assert len(many) == len(few)
