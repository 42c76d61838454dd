"""``manage.py load_demo``: load the demo world, or fill in what is missing of it."""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo.builder import COUNTED, demo_load
from demo.organizations import LOGINS


class Command(BaseCommand):
    help = (
        "Load demo vendors, products, advisories, organizations with inventories, and one "
        "login per role. Safe to repeat: a second run changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even when DJANGO_ENV is production (it creates users with known passwords).",
        )

    def handle(self, *args: Any, force: bool = False, **options: Any) -> None:
        # Demo users have passwords printed in the README; they must never appear in a real
        # deployment by accident.
        if settings.DJANGO_ENV == "production" and not force:
            raise CommandError(
                "Refusing to load demo data with DJANGO_ENV=production: it creates users with "
                "published passwords. Pass --force if this really is a throwaway installation."
            )
        started = time.monotonic()
        # Without a broker the matching and notification tasks run in this process, each
        # logging a line or two at INFO; a few hundred of them would bury the summary and the
        # logins below. Warnings and errors still show.
        logging.disable(logging.INFO)
        try:
            result = demo_load()
        finally:
            logging.disable(logging.NOTSET)
        elapsed = time.monotonic() - started
        if result.nothing_created:
            self.stdout.write("Demo data is already loaded: nothing to do.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Demo data loaded in {elapsed:.1f} s. Created:"))
            for name in COUNTED:
                if result.created[name]:
                    self.stdout.write(f"  {result.created[name]:>5}  {name}")
        self._logins_print()

    def _logins_print(self) -> None:
        rows = [("username", "password", "can")] + [
            (login.username, login.password, login.can) for login in LOGINS
        ]
        user_width = max(len(row[0]) for row in rows)
        password_width = max(len(row[1]) for row in rows)
        self.stdout.write("")
        self.stdout.write("Demo logins (set when the users were first created):")
        for username, password, can in rows:
            self.stdout.write(f"  {username:<{user_width}}  {password:<{password_width}}  {can}")
