"""manage.py sync_feeds [slug ...]: run the enabled feeds now, as the schedule would."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from advisories.feeds.runs import FeedRunBusy, feed_run
from advisories.models import Source


class Command(BaseCommand):
    help = "Run the feeds of the given sources (by slug), or of every source with one enabled."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slugs", nargs="*", help="sources to run (default: all enabled)")

    def handle(self, *args: Any, **options: Any) -> None:
        sources = Source.objects.exclude(feed_kind="").exclude(feed_url="")
        if options["slugs"]:
            sources = sources.filter(slug__in=options["slugs"])
            missing = set(options["slugs"]) - set(sources.values_list("slug", flat=True))
            if missing:
                raise CommandError(f"No source with a feed has the slug(s): {sorted(missing)}")
        else:
            sources = sources.filter(feed_enabled=True)
        for source in sources:
            try:
                run = feed_run(source=source, trigger="command")
            except FeedRunBusy as busy:
                self.stderr.write(self.style.WARNING(str(busy)))
                continue
            self.stdout.write(
                f"{source}: {run.get_status_display()} in {run.duration_seconds:.1f} s - "
                f"{run.fetched} fetched, {run.imported} imported, {run.updated} updated, "
                f"{run.unchanged} unchanged, {run.failed} failed"
            )
            for failure in run.failures:
                self.stderr.write(f"  {failure['document']}: {failure['reason']}")
            if run.message:
                self.stderr.write(self.style.ERROR(f"  {run.message}"))
