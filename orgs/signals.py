"""Signals the inventory sends to the layers built on it.

The inventory sits below the matcher in the dependency graph and never imports it; where a
layer above must act inside an inventory write's own transaction, the inventory announces the
write and the layer above listens.
"""

from django.dispatch import Signal

inventory_items_deleting = Signal()
"""Sent by the inventory services with ``items`` (a queryset) just before they delete those
items, inside the deleting transaction: the matcher resolves the items' flags ("item
removed") in the same transaction, while the flags still point at them."""
