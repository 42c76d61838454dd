"""The REST API of notifications: channels and their delivery log."""
