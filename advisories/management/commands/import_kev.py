"""manage.py import_kev <file|url>: import the CISA Known Exploited Vulnerabilities catalog."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from advisories.feeds.errors import FeedError
from advisories.feeds.http import read_location
from advisories.feeds.services import kev_import


class Command(BaseCommand):
    help = (
        "Import the CISA KEV catalog (known_exploited_vulnerabilities.json) from a file or "
        "URL: one published advisory per CVE; unchanged entries are left alone."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("location", help="the catalog's JSON file or URL")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = kev_import(content=read_location(options["location"]))
        except FeedError as error:
            raise CommandError(error.describe()) from error
        for problem in result.problems:
            self.stderr.write(self.style.WARNING(f"skipped {problem}"))
        self.stdout.write(
            f"KEV catalog {result.catalog_version}: {result.created} created, "
            f"{result.updated} updated, {result.unchanged} unchanged, "
            f"{len(result.problems)} skipped."
        )
