"""manage.py import_csaf <file|url>...: import CSAF 2.0 documents, one transaction each."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from advisories.feeds.errors import FeedError
from advisories.feeds.http import read_location
from advisories.feeds.services import csaf_import
from advisories.models import Source


class Command(BaseCommand):
    help = (
        "Import CSAF 2.0 documents from files or http(s) URLs. Each is validated and applied "
        "on its own; a refused document is reported and the others still import."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("locations", nargs="+", help="CSAF JSON files or URLs")
        parser.add_argument(
            "--source",
            help="slug of the source to file them under (default: found from the publisher)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        source = None
        if options["source"]:
            source = Source.objects.filter(slug=options["source"]).first()
            if source is None:
                raise CommandError(f"No source has the slug {options['source']!r}.")
        failed = 0
        for location in options["locations"]:
            try:
                result = csaf_import(content=read_location(location), name=location, source=source)
            except FeedError as error:
                failed += 1
                self.stderr.write(self.style.ERROR(error.describe()))
                continue
            self.stdout.write(f"{location}: {result.outcome}. {result.message}")
            for warning in result.warnings:
                self.stdout.write(self.style.WARNING(f"  {warning}"))
        if failed:
            raise CommandError(f"{failed} of {len(options['locations'])} document(s) refused.")
