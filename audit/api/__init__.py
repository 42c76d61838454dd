"""The REST API of the audit trail."""
