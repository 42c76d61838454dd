"""Every target is read again through the range front door, and says how it was read.

The reader now keeps the condition a range text carries as the target's caveat, restores the
'|' a vers string left out, reads wildcards, one fix per branch and the two names of one
release, and refuses prose inside a version. Each target's intervals, caveat and review state
are recomputed from what it names (as ``advisories.services.target_compile`` does, copied here
as it stands), ``read_as`` is filled in, and a KEV target gets the caveat that the catalog
names no versions. A published advisory with a target whose reading changed is marked for
matching, so that the next sweep of pending work re-matches it.
"""

from django.db import migrations
from django.utils import timezone

from vendors.matching.cpe import CpeError, nvd_version_range, parse_cpe23
from vendors.matching.freetext import join_caveats
from vendors.matching.purls import PurlError, parse_purl
from vendors.matching.ranges import Interval, VersionRange
from vendors.matching.reading import Reading, Unparseable, describe_reading, read_range
from vendors.matching.versions import version_key

KEV_CAVEAT = (
    "the CISA KEV catalog names no affected versions: check the vendor's advisory for yours"
)


def _point(key):
    return Reading(VersionRange((Interval.point(key),)))


def _reading(target):
    """How the target's versions read; None for kinds that cover every version."""
    if target.kind in ("vendor", "product", "jurisdiction"):
        return None
    if target.kind == "product_range":
        return read_range(target.version_range)
    if target.kind == "purl":
        try:
            purl = parse_purl(target.purl)
        except PurlError as error:
            return Unparseable(f"Package URL: {error}")
        if purl.version:
            if target.version_range.strip():
                return Unparseable(
                    "Give the version either in the package URL or as a range, not both."
                )
            key = version_key(purl.version, scheme=purl.type)
            if key is None:
                return Unparseable(f"The purl version '{purl.version}' is not a version.")
            return _point(key)
        return (
            read_range(target.version_range)
            if target.version_range.strip()
            else Reading(VersionRange.ALL)
        )
    try:
        cpe = parse_cpe23(target.cpe)
    except CpeError as error:
        return Unparseable(f"CPE: {error}")
    bounds = {
        name: getattr(target, name).strip() or None
        for name in (
            "version_start_including",
            "version_start_excluding",
            "version_end_including",
            "version_end_excluding",
        )
    }
    if cpe.version.is_any:
        try:
            return Reading(nvd_version_range(**bounds))
        except CpeError as error:
            return Unparseable(f"CPE version bounds: {error}")
    if any(bounds.values()):
        return Unparseable("Start/end bounds need the CPE's version to be '*'.")
    if cpe.version.is_na or not cpe.version.is_plain:
        return Unparseable("The CPE's version must be '*' or one exact version.")
    key = version_key(cpe.version.literal)
    if key is None:
        return Unparseable(f"The CPE version '{cpe.version.literal}' is not a version.")
    return _point(key)


def _read_as(target, reading):
    if isinstance(reading, Unparseable):
        return ""
    caveats = join_caveats(target.range_caveat, target.caveat)
    if reading is not None:
        return describe_reading(Reading(reading.range, caveats))
    covered = "all versions" if target.kind == "product" else "all products"
    return f"{covered} — condition: {caveats}" if caveats else covered


def _state(target, intervals):
    """What matching reads of a target: its review state, caveats and intervals."""
    return (
        target.needs_review,
        target.review_reason,
        target.range_caveat,
        target.caveat,
        sorted(
            (i.lower or "", i.lower_inclusive, i.upper or "", i.upper_inclusive) for i in intervals
        ),
    )


FIELDS = ["needs_review", "review_reason", "range_caveat", "caveat", "read_as"]


def reread_targets(apps, schema_editor):
    AffectedTarget = apps.get_model("advisories", "AffectedTarget")
    TargetInterval = apps.get_model("advisories", "TargetInterval")
    Advisory = apps.get_model("advisories", "Advisory")
    changed_advisories = set()
    read = []
    targets = AffectedTarget.objects.select_related("advisory").prefetch_related("intervals")
    for target in targets.iterator(chunk_size=1000):
        before = _state(target, target.intervals.all())
        if target.advisory.raw_format == "cisa-kev" and target.kind == "product":
            target.caveat = target.caveat or KEV_CAVEAT
        reading = _reading(target)
        target.needs_review = isinstance(reading, Unparseable)
        target.review_reason = reading.reason[:500] if isinstance(reading, Unparseable) else ""
        target.range_caveat = reading.caveat[:500] if isinstance(reading, Reading) else ""
        target.read_as = _read_as(target, reading)
        read.append(target)
        intervals = reading.range.intervals if isinstance(reading, Reading) else ()
        if _state(target, intervals) == before:
            continue
        TargetInterval.objects.filter(target=target).delete()
        TargetInterval.objects.bulk_create(
            TargetInterval(
                target=target,
                lower=interval.lower,
                lower_inclusive=interval.lower_inclusive,
                upper=interval.upper,
                upper_inclusive=interval.upper_inclusive,
            )
            for interval in intervals
        )
        if target.advisory.status == "published":
            changed_advisories.add(target.advisory_id)
    AffectedTarget.objects.bulk_update(read, FIELDS, batch_size=1000)
    Advisory.objects.filter(pk__in=changed_advisories).update(match_requested_at=timezone.now())


class Migration(migrations.Migration):
    dependencies = [("advisories", "0007_target_caveat_read_as")]

    operations = [migrations.RunPython(reread_targets, migrations.RunPython.noop, elidable=True)]
