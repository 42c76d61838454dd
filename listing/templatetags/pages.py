"""Template tags shared by the list pages: sortable column headers and severity badges."""

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
