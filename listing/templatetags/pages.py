"""Template tags shared by the list pages: sortable column headers and severity badges."""

import datetime
from typing import Any

from django import template

from listing.pages import Sort

register = template.Library()


@register.inclusion_tag("components/sort_header.html", takes_context=True)
def sort_header(context: dict[str, Any], sort: Sort, key: str, css: str = "") -> dict[str, Any]:
    """A ``<th>`` whose link sorts the list by ``key`` (and flips the direction when the list
    is already sorted by it), keeping every other query parameter but the page."""
    return {
        "request": context["request"],
        "label": sort.columns[key].label,
        "value": sort.toggle(key),
        "direction": sort.direction(key),
        "css": css,
    }


@register.inclusion_tag("components/pagination.html", takes_context=True)
def pagination(context: dict[str, Any], page: Any, param: str = "page") -> dict[str, Any]:
    """Previous/next links and the position in the list, keeping the other parameters; a
    page with several paginated tables gives each its own ``param``."""

    def link(number: int) -> str:
        query = context["request"].GET.copy()
        query[param] = str(number)
        return f"?{query.urlencode()}"

    return {
        "page": page,
        "previous": link(page.previous_page_number()) if page.has_previous() else "",
        "next": link(page.next_page_number()) if page.has_next() else "",
    }


@register.filter
def iso_date(value: Any) -> datetime.date | Any:
    """A date stored as ISO text (in a JSON record), as a date, so that ``|date`` writes it
    the way every page writes dates; anything else is returned unchanged."""
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        return value


@register.filter
def same_label_groups(items: Any) -> list[tuple[Any, int]]:
    """``(item, count)`` for each group of items that would read the same (same label, asset,
    confidence and reason), so that a list says "KICS 3.1 × 3" instead of repeating it."""
    groups: dict[tuple[Any, ...], list[Any]] = {}
    for item in items:
        asset = getattr(item, "asset", None)
        key = (
            getattr(item, "label", str(item)),
            repr(sorted(asset.items())) if isinstance(asset, dict) else repr(asset),
            getattr(item, "confidence", ""),
            getattr(item, "possible_reason", ""),
        )
        groups.setdefault(key, [item, 0])[1] += 1
    return [(item, count) for item, count in groups.values()]
