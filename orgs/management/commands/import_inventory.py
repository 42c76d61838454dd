"""``manage.py import_inventory <org-slug> <file>``: import an inventory file as an admin."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from orgs.choices import ImportFormat, ImportMode, ImportStatus
from orgs.importers.common import ImportFileError, format_detect
from orgs.importers.services import inventory_import_submit
from orgs.models import Organization


class Command(BaseCommand):
    help = (
        "Import a CSV file or CycloneDX JSON SBOM into an organization's inventory, all or "
        "nothing, applied at once whatever its size. Prints the counts, or every error."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("organization", help="The organization's slug.")
        parser.add_argument("file", type=Path, help="The CSV or CycloneDX JSON file.")
        parser.add_argument(
            "--format",
            choices=ImportFormat.values,
            help="The file's format; by default from its extension, else from its content.",
        )
        parser.add_argument(
            "--mode",
            choices=ImportMode.values,
            default=ImportMode.ADD,
            help="add (default) appends; replace first removes the organization's items that "
            "came from the same kind of file.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        organization = Organization.objects.filter(slug=options["organization"]).first()
        if organization is None:
            raise CommandError(f"No organization has the slug {options['organization']!r}.")
        path: Path = options["file"]
        try:
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from error
        file_format = options["format"] or format_detect(path.name, content)
        try:
            job = inventory_import_submit(
                organization=organization,
                user=None,
                file_format=file_format,
                mode=options["mode"],
                filename=path.name,
                content=content,
                via="command",
                synchronous=True,
            )
        except ImportFileError as error:
            errors = [row_error.as_dict() for row_error in error.errors]
            raise CommandError(self._errors_text(errors, len(errors))) from error
        if job.status != ImportStatus.SUCCEEDED:
            raise CommandError(self._errors_text(job.errors, job.error_count))
        imported = job.created_count + job.updated_count
        summary = f"Imported {imported} item{'s' if imported != 1 else ''} into {organization.name}"
        if job.mode == ImportMode.REPLACE:
            removed = job.removed_count
            summary += (
                f": {job.created_count} new, {job.updated_count} updated in place;"
                f" {removed} earlier item{'s' if removed != 1 else ''} removed"
            )
        self.stdout.write(self.style.SUCCESS(summary + "."))

    @staticmethod
    def _errors_text(errors: list[dict[str, str]], count: int) -> str:
        lines = [f"Nothing was imported: the file has {count} error{'s' if count != 1 else ''}."]
        for error in errors:
            location = f"{error['location']}: " if error["location"] else ""
            lines.append(f"  {location}{error['message']}")
        if count > len(errors):
            lines.append(f"  … and {count - len(errors)} more.")
        return "\n".join(lines)
