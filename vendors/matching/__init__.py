"""Pure matching layer: no Django, no ORM, fully typed.

Import from the submodules (the module names are a contract):

* :mod:`~vendors.matching.versions` - ``version_key`` (bytewise-sortable key),
  ``compare_versions``, ``parse_version``, ``describe_key``;
* :mod:`~vendors.matching.ranges` - ``Interval`` and ``VersionRange``, the
  canonical range form whose bounds are version keys;
* :mod:`~vendors.matching.reading` - ``read_range``, the one front door for a
  range or version text (``vers:`` or advisory prose): a ``Reading`` (intervals
  and the caveat the text carries) or ``Unparseable`` with a reason, never a
  guess; ``describe_reading``;
* :mod:`~vendors.matching.vers` - ``parse_vers`` for ``vers:`` specifiers;
* :mod:`~vendors.matching.freetext` - the grammar of prose ranges behind
  ``read_range``;
* :mod:`~vendors.matching.cpe` - CPE 2.3 parsing, NISTIR 7696 matching, NVD
  version bounds, ``cpe_vendor_product`` for SQL pre-filtering, ``part_fit``
  (the part rule the engine's SQL writes out) and a product's whole CPE name;
* :mod:`~vendors.matching.purls` - ``parse_purl``, ``purl_identity`` (the SQL
  join key), ``purl_matches`` and a product's whole purl;
* :mod:`~vendors.matching.names` - ``normalize_name`` for vendor/product strings.
"""
