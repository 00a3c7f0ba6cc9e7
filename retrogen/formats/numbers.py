"""How numbers read to people: one formatter for rates and one for quantities, used by every output.

Text tables, site pages, charts and the playbook show a value through these two functions, so a rate reads
the same on every page and in every terminal. CSV and JSON keep the raw machine values (0.681818), and
Excel gets real numbers with a number format of its own.
"""

from __future__ import annotations

import math
import operator
from typing import Any


def _finite(value: Any) -> float | None:
    """`value` as a float, or None when it is missing, not a number, NaN or infinite."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def percent(value: Any) -> str:
    """A ratio as a percentage with one decimal, the decimal dropped when it is zero:
    0.681818 -> '68.2%', 0.5 -> '50%', 1.0 -> '100%', 1.0833 -> '108.3%'; '' for a missing value.

    One decimal tells 68.2% from 67.6% (a 15-day target met in 22 days against one met in 22.2) without
    claiming more precision than the data has; dropping '.0' keeps whole rates short. A value that rounds
    to zero reads '0%', never '-0%'.
    """
    number = _finite(value)
    if number is None:
        return ""
    rounded = round(number * 100, 1) + 0.0  # + 0.0 turns -0.0 into 0.0
    text = f"{rounded:,.1f}"
    return f"{text.removesuffix('.0')}%"


def number(value: Any) -> str:
    """A quantity with thousands separators and at most two decimals, trailing zeros dropped:
    3000.0 -> '3,000', 3.2 -> '3.2', 0.125 -> '0.12', 12000 -> '12,000'; '' for a missing value."""
    if hasattr(value, "__index__") and not isinstance(value, bool):  # an integer, however large, stays exact
        return f"{operator.index(value):,}"
    numeric = _finite(value)
    if numeric is None:
        return ""
    text = f"{numeric:,.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def quantity(value: Any, unit: str) -> str:
    """A quantity with its unit as the rates beside it read: '29%' (a percent sign is written against the
    number, as `percent` writes it), '380 万元', '12 days'; '' for a missing value."""
    shown = number(value)
    if not shown or not unit:
        return shown
    return f"{shown}{unit}" if unit in ("%", "％") else f"{shown} {unit}"


def signed_change(value: Any, unit: str | None) -> str:
    """A change as people read it, signed: '+7 pp' for percentage points (unit 'pp'), '-9.5%' for a relative
    change (unit 'ratio'); '' for a missing value."""
    numeric = _finite(value)
    if numeric is None or unit not in ("pp", "ratio"):
        return ""
    shown = number(abs(numeric)) + " pp" if unit == "pp" else percent(abs(numeric))
    if shown in ("0 pp", "0%"):
        return shown
    return ("+" if numeric > 0 else "-") + shown
