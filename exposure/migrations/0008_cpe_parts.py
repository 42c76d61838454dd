"""The engine compares the CPE part now: fill it in for what is stored, and re-match.

Items and CPE targets get the part their own CPE name gives. A catalogue product gets the part
that every CPE name naming its CPE vendor:product agrees on — its items' own names and
advisories' match strings. Without that, an item known only through its product would turn
from a confirmed into a *possible* match of every advisory naming the product's part; where
those names disagree, or none names the product, its part stays unknown until an editor gives
the product's whole CPE name. Published advisories with a CPE target that names a part are
marked for matching: their flags on items of another part resolve, and those on items whose
part is unknown become possible.

The migration lives here because it reads the catalogue, the inventories and the advisories,
and exposure is the app that builds on all three.
"""

from django.db import migrations
from django.utils import timezone

from vendors.matching.cpe import cpe_part

_BATCH = 2000
_NAMED_PARTS = ("a", "o", "h")


def _fill_own_parts(model, rows, named):
    """Give each row the part of its own CPE name; note the parts named per vendor:product."""
    changed = []
    fields = ("pk", "cpe", "cpe_part", "cpe_vendor", "cpe_product")
    for row in rows.only(*fields).iterator(chunk_size=_BATCH):
        part = cpe_part(row.cpe)
        if part in _NAMED_PARTS and row.cpe_vendor and row.cpe_product:
            named.setdefault((row.cpe_vendor, row.cpe_product), set()).add(part)
        if part != row.cpe_part:
            row.cpe_part = part
            changed.append(row)
        if len(changed) >= _BATCH:
            model.objects.bulk_update(changed, ["cpe_part"])
            changed = []
    model.objects.bulk_update(changed, ["cpe_part"])


def fill_cpe_parts(apps, schema_editor):
    InventoryItem = apps.get_model("orgs", "InventoryItem")
    AffectedTarget = apps.get_model("advisories", "AffectedTarget")
    Advisory = apps.get_model("advisories", "Advisory")
    Product = apps.get_model("vendors", "Product")
    named = {}
    _fill_own_parts(InventoryItem, InventoryItem.objects.exclude(cpe=""), named)
    _fill_own_parts(AffectedTarget, AffectedTarget.objects.filter(kind="cpe"), named)
    products = []
    for product in (
        Product.objects.filter(cpe_part="").exclude(cpe_vendor="").exclude(cpe_product="")
    ):
        parts = named.get((product.cpe_vendor, product.cpe_product), set())
        if len(parts) == 1:
            product.cpe_part = parts.pop()
            products.append(product)
    Product.objects.bulk_update(products, ["cpe_part"], batch_size=_BATCH)
    naming_a_part = (
        AffectedTarget.objects.filter(kind="cpe", needs_review=False)
        .exclude(cpe_part="")
        .values("advisory_id")
    )
    Advisory.objects.filter(status="published", pk__in=naming_a_part).update(
        match_requested_at=timezone.now()
    )


class Migration(migrations.Migration):
    dependencies = [
        ("exposure", "0007_flag_advisory_org_status_index"),
        ("advisories", "0006_cpe_part"),
        ("orgs", "0009_cpe_part"),
        ("vendors", "0003_cpe_part"),
    ]

    operations = [migrations.RunPython(fill_cpe_parts, migrations.RunPython.noop, elidable=True)]
