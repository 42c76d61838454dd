"""Pure matching layer: version keys, ranges, vers, free-text ranges, CPE, purl and names.

Nothing here imports Django or the ORM, so it can be unit-tested in isolation and
reused by importers, the SQL layer and management commands alike.
"""
