"""Create or change one of the provider's people: ``provider_user ana --email ana@bank.example
--groups bank-analysts cert-editors`` (the groups replace the ones they had)."""

from typing import Any

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", default="provider-password")
        parser.add_argument("--groups", nargs="*", default=[])

    def handle(self, *args: Any, **options: Any) -> None:
        user, _ = User.objects.update_or_create(
            username=options["username"],
            defaults={"email": options["email"], "first_name": options["username"].title()},
        )
        user.set_password(options["password"])
        user.save()
        user.groups.set(Group.objects.get_or_create(name=name)[0] for name in options["groups"])
