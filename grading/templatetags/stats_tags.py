"""Figures on screen: fractions as percent, intervals, heatmap shades, durations."""

from django import template
from django.utils.translation import gettext

register = template.Library()

DASH = "—"


@register.filter
def percent(value) -> str:
    """0.8512 -> "85.1%"; None (undefined) -> a dash."""
    return DASH if value is None else f"{value * 100:.1f}%"


@register.filter
def number(value) -> str:
    """A figure that is not a share (kappa, alpha, AC1) with 2 decimals; None -> a dash."""
    return DASH if value is None else f"{value:.2f}"


@register.filter
def duration(seconds) -> str:
    """Seconds as a person reads a time: "45 s", "7 min 24 s", "1 h 5 min"; None -> a dash."""
    if seconds is None:
        return DASH
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return gettext("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    if minutes:
        return gettext("%(minutes)d min %(seconds)d s") % {"minutes": minutes, "seconds": seconds}
    return gettext("%(seconds)d s") % {"seconds": seconds}


@register.simple_tag
def interval(row: dict, name: str, as_percent: bool = True) -> str:
    """The 95% interval of `row[name]` as "[low, high]", or "" when there is none."""
    low, high = row.get(f"{name}_low"), row.get(f"{name}_high")
    if low is None or high is None:
        return ""
    show = percent if as_percent else number
    return f"{show(low)}–{show(high)}"


@register.filter
def heat(value) -> str:
    """The class of a shade for a fraction, heat-0 (pale) to heat-10 (deep teal), heat-none when
    undefined (classes, not a style attribute: the Content-Security-Policy allows no inline style).
    """
    if value is None:
        return "heat-none"
    return f"heat-{round(max(0.0, min(1.0, value)) * 10)}"


@register.filter
def bar(value) -> str:
    """Width of a bar for a fraction (0..1), as a percentage for an SVG width attribute."""
    return f"{0 if value is None else max(0.0, min(1.0, value)) * 100:.1f}%"
