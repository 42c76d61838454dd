"""The REST API of advisories, their targets, CVEs, references and revisions."""
