from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    if mapping is None:
        return ""
    if isinstance(mapping, list | tuple):
        return mapping[key] if isinstance(key, int) and 0 <= key < len(mapping) else ""
    try:
        return mapping.get(key, "")
    except AttributeError:
        return ""


@register.filter
def heat(value, peak):
    """Background alpha 0..0.85 for a heatmap cell."""
    try:
        return round(0.85 * float(value) / float(peak), 2) if peak else 0
    except (TypeError, ValueError, ZeroDivisionError):
        return 0


@register.filter
def grid_max(grid):
    return max((max(row) for row in grid), default=0) if grid else 0
