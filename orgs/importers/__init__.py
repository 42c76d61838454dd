"""Inventory import from files.

* :mod:`~orgs.importers.common` — limits, errors, decoding, and the row validation that every
  format shares;
* :mod:`~orgs.importers.csv` — CSV files (``csv_read``);
* :mod:`~orgs.importers.cyclonedx` — CycloneDX JSON SBOMs (``cyclonedx_read``);
* :mod:`~orgs.importers.services` — an upload from receipt to stored items: applied at once
  when small, as an :class:`~orgs.models.ImportJob` for a Celery worker when large.

Readers and validation never touch the database; the items are written by the inventory
services in ``orgs/services.py``, all or nothing.
"""
