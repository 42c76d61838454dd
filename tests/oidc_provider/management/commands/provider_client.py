"""Register the relying party: ``provider_client vendorwatch s3cret <redirect URI>``. The
provider approves it without asking (as a company's own provider does for its own apps)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from oauth2_provider.models import Application


class Command(BaseCommand):
    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("client_id")
        parser.add_argument("secret")
        parser.add_argument("redirect_uri")

    def handle(self, *args: Any, **options: Any) -> None:
        Application.objects.filter(client_id=options["client_id"]).delete()
        Application.objects.create(
            name="Vendorwatch",
            client_id=options["client_id"],
            client_secret=options["secret"],
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            redirect_uris=options["redirect_uri"],
            algorithm=Application.RS256_ALGORITHM,
            skip_authorization=True,
        )
