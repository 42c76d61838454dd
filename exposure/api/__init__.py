"""The REST API of flags, their history and match runs."""
