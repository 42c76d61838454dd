"""Advisory feeds: CSAF 2.0 documents and provider feeds, and the CISA KEV catalog.

Module map:

* :mod:`~advisories.feeds.errors` - ``FeedError`` and its kinds, ``Problem`` (JSON path + why);
* :mod:`~advisories.feeds.http` - bounded, timed downloads (and local files) for every feed;
* :mod:`~advisories.feeds.validation` - JSON parsing and CSAF 2.0 validation (schema + the
  mandatory tests), sorted into refusals and violations an advisory is imported with;
* :mod:`~advisories.feeds.csaf` - a CSAF document mapped onto our advisory model, pure;
* :mod:`~advisories.feeds.kev` - the KEV catalog read into entries, pure;
* :mod:`~advisories.feeds.catalogue` - vendors and products found by name or alias, or created;
* :mod:`~advisories.feeds.services` - applying CSAF documents in batches (each document whole
  or not at all) and the KEV catalog;
* :mod:`~advisories.feeds.integrity` - published SHA-256/SHA-512 hashes and OpenPGP signatures;
* :mod:`~advisories.feeds.provider` - walking a CSAF provider (ROLIE feeds or directory layout);
* :mod:`~advisories.feeds.runs` - one recorded run of a source's feed (``FeedRun``).
"""
