"""How an inventory item is told apart from the organization's other items of the same product:
its reference, hostname, site, environment, criticality and quantity, on one line."""

from typing import Any

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from orgs.choices import BusinessCriticality, Environment

register = template.Library()


@register.simple_tag
def asset_line(item: Any) -> SafeString:
    """The asset fields of ``item`` (an InventoryItem, or any object or dict with its
    ``ASSET_FIELDS``), the empty ones left out; nothing when there is no item."""
    if item is None:
        return SafeString("")
    return format_html(
        '<span class="asset">{}</span>',
        format_html_join(" · ", '<span class="{}">{}</span>', _asset_parts(item)),
    )


@register.filter
def asset_text(item: Any) -> str:
    """``asset_line`` as plain text, for an attribute such as a row checkbox's label, which
    otherwise reads alike for every install of one product."""
    return "" if item is None else ", ".join(text for _css, text in _asset_parts(item))


def _asset_parts(item: Any) -> list[tuple[str, str]]:
    """(CSS class, text) of each non-empty asset field of ``item``, in the line's order."""

    def value(name: str) -> Any:
        return item.get(name) if isinstance(item, dict) else getattr(item, name, None)

    parts: list[tuple[str, str]] = []
    if value("external_ref"):
        parts.append(("asset-ref mono", value("external_ref")))
    if value("hostname"):
        parts.append(("asset-host mono", value("hostname")))
    if value("site"):
        parts.append(("asset-site", value("site")))
    if value("environment"):
        parts.append(("asset-env", Environment(value("environment")).label))
    if value("criticality"):
        label = BusinessCriticality(value("criticality")).label
        parts.append(("asset-crit", f"{label.lower()} criticality"))
    quantity = value("quantity")
    if quantity and quantity > 1:
        parts.append(("asset-qty", f"× {quantity:,}"))
    return parts
