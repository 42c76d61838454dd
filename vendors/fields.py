"""Model fields shared by the apps."""

from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper


class VersionKeyField(models.CharField):  # type: ignore[type-arg]
    """A sortable version key (see ``vendors.matching.versions.version_key``).

    Keys are designed to order correctly under bytewise comparison. PostgreSQL columns get the
    "C" collation, because a locale collation (en_US, ICU) ignores punctuation and would order
    keys wrongly; SQLite compares bytewise already. The collation is chosen per connection, not
    stored in migrations, so the same migration serves both databases.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 255)
        super().__init__(*args, **kwargs)

    def db_parameters(self, connection: BaseDatabaseWrapper) -> dict[str, Any]:
        params = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            params["collation"] = "C"
        return params
