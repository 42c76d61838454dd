"""The REST API of organizations, memberships, inventory items and API tokens."""
