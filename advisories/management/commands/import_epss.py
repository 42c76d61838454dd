"""manage.py import_epss <file|url>: import FIRST's daily EPSS scores."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from advisories.feeds.errors import FeedError
from advisories.feeds.http import read_location
from advisories.feeds.services import epss_import


class Command(BaseCommand):
    help = (
        "Import FIRST's EPSS scores (epss_scores-current.csv.gz, gzip or plain CSV) from a "
        "file or URL: one score per CVE, carried by every advisory naming it; unchanged "
        "scores are left alone."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("location", help="the scores' CSV file (gzip or plain) or URL")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = epss_import(content=read_location(options["location"]))
        except FeedError as error:
            raise CommandError(error.describe()) from error
        for problem in result.problems:
            self.stderr.write(self.style.WARNING(f"skipped {problem}"))
        scored = result.scored_on.isoformat() if result.scored_on else "an unnamed day"
        self.stdout.write(
            f"EPSS scores of {scored}: {result.created} new, {result.updated} changed, "
            f"{result.unchanged} unchanged, {len(result.problems)} skipped."
        )
