"""The REST API of the catalogue: vendors, products and sources of advisories."""
