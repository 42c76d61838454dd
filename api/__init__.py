"""The REST API's plumbing: what every app's endpoints share (base viewsets, permissions,
pagination, filters, rate limits, errors, the schema), and its root URLs."""
