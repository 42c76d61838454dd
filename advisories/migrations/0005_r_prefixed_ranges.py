"""Version ranges that name "R" releases (CISA's "< R1.30.0") are now understood.

Until now such a range marked its target ``needs_review`` and it matched nothing. Each
product-range target still waiting for review is parsed again; one that parses now gets its
intervals, and its advisory, if published, is marked for matching, so that the next sweep of
pending work matches it.
"""

from django.db import migrations
from django.utils import timezone

from vendors.matching.reading import Reading, read_range


def _parsed(text):
    parsed = read_range(text)
    return parsed.range if isinstance(parsed, Reading) else None


def reparse_r_prefixed_ranges(apps, schema_editor):
    AffectedTarget = apps.get_model("advisories", "AffectedTarget")
    TargetInterval = apps.get_model("advisories", "TargetInterval")
    Advisory = apps.get_model("advisories", "Advisory")
    now = timezone.now()
    advisory_ids = set()
    waiting = AffectedTarget.objects.filter(
        needs_review=True,
        kind="product_range",
        # An "R" release anywhere in the text (PostgreSQL and SQLite read this pattern alike).
        version_range__iregex=r"(^|[^a-z0-9])r(el\.?|elease)?\s*[0-9]",
    ).select_related("advisory")
    for target in waiting:
        parsed = _parsed(target.version_range)
        if parsed is None:
            continue
        target.needs_review = False
        target.review_reason = ""
        target.save(update_fields=["needs_review", "review_reason"])
        TargetInterval.objects.filter(target=target).delete()
        TargetInterval.objects.bulk_create(
            TargetInterval(
                target=target,
                lower=interval.lower,
                lower_inclusive=interval.lower_inclusive,
                upper=interval.upper,
                upper_inclusive=interval.upper_inclusive,
            )
            for interval in parsed.intervals
        )
        if target.advisory.status == "published":
            advisory_ids.add(target.advisory_id)
    Advisory.objects.filter(pk__in=advisory_ids).update(match_requested_at=now)


class Migration(migrations.Migration):
    dependencies = [("advisories", "0004_feed_runs")]

    operations = [
        migrations.RunPython(reparse_r_prefixed_ranges, migrations.RunPython.noop, elidable=True)
    ]
