"""How numbers and tables look to a person: one place for display rounding and for fitting tables.

Display only. Decisions, the journal and exports (CSV/JSON/Parquet) keep money exact; what a
person reads is rounded here, the same way in every table (`arb opportunities`, `arb report`, the
backtest sweep, the live views):

- :func:`money` — quote amounts (PnL, net profit, fees): 4 significant digits but at least 2 and
  at most 8 decimals (``1234.57``, ``12.35``, ``1.561``, ``0.002384``); trailing zeros trimmed to 2.
- :func:`bps` — basis points with 2 decimals.
- :func:`price` — 6 significant digits, at least 2 and at most 8 decimals.
- :func:`amount` — base sizes exact up to 8 decimals (lots are coarser than that), no exponent.
- :func:`export` — a value for CSV/JSON: Decimals as exact strings, except bps ratios, which are
  quantised to 0.0001 bps (:func:`arb.core.model.quantize_bps`, as the journal stores them since; older
  journals hold 60 digits).

:func:`fit_table` builds a rich table that fits the console width: key columns (time, symbol,
venues, net) are never cut or wrapped; less important columns are dropped, least important first,
and the caption names what was hidden.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from rich.cells import cell_len
from rich.table import Table
from rich.text import Text

from arb.core.model import quantize_bps

_MAX_DP = 8


def _dec(v: Any) -> Decimal | None:
    if v is None or isinstance(v, bool):
        return None
    if isinstance(v, float) and v != v:
        return None
    try:
        d = v if isinstance(v, Decimal) else Decimal(str(v))
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() else None


def _fixed(d: Decimal, dp: int) -> str:
    q = d.quantize(Decimal(1).scaleb(-dp), rounding=ROUND_HALF_EVEN)
    return f"{abs(q) if q == 0 else q:f}"  # no "-0.00"


def _sig(d: Decimal, sig: int, min_dp: int, max_dp: int) -> str:
    """``d`` with ``sig`` significant digits, clamped to [min_dp, max_dp] decimals, zeros trimmed to min_dp."""
    if d == 0:
        return _fixed(Decimal(0), min_dp)
    exp = d.adjusted()  # position of the first significant digit
    dp = max(min_dp, min(max_dp, sig - 1 - exp))
    text = _fixed(d, dp)
    if "." in text:
        whole, frac = text.split(".")
        frac = frac.rstrip("0").ljust(min_dp, "0")
        text = f"{whole}.{frac}" if frac else whole
    return text


def money(v: Any, *, na: str = "n/a") -> str:
    """A quote amount for reading: ``1234.57``, ``-709.10``, ``1.561``, ``0.002384``, ``0.50``."""
    d = _dec(v)
    if d is None:
        return na if v is None or not isinstance(v, str) else v
    return _sig(d, 4, 2, _MAX_DP)


def bps(v: Any, *, na: str = "n/a") -> str:
    """Basis points with 2 decimals: ``12.35``."""
    d = _dec(v)
    if d is None:
        return na if v is None or not isinstance(v, str) else v
    return _fixed(d, 2)


def price(v: Any, *, na: str = "n/a") -> str:
    """A price: 6 significant digits, 2 to 8 decimals (``64000.12``, ``0.123457``)."""
    d = _dec(v)
    if d is None:
        return na if v is None or not isinstance(v, str) else v
    return _sig(d, 6, 2, _MAX_DP)


def amount(v: Any, *, na: str = "n/a") -> str:
    """A base amount, exact up to 8 decimals, without exponent or trailing zeros (``0.0123``)."""
    d = _dec(v)
    if d is None:
        return na if v is None or not isinstance(v, str) else v
    text = _fixed(d, _MAX_DP)
    return text.rstrip("0").rstrip(".") if "." in text else text


def number(v: Any, digits: int = 4, *, na: str = "n/a") -> str:
    """A statistic (float or Decimal) with ``digits`` significant digits: ``10.77``, ``0.07``."""
    if v is None or (isinstance(v, float) and v != v):
        return na
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v)
    d = _dec(v)
    if d is None:
        return str(v)
    if abs(d) >= Decimal(10) ** digits:
        return _fixed(d, 0)
    return _sig(d, digits, 0, _MAX_DP)


def export(column: str, v: Any) -> Any:
    """A cell for CSV/JSON exports: money exact as a string, bps columns to 0.0001, others unchanged."""
    if isinstance(v, Decimal):
        return str(quantize_bps(v) if column.endswith("_bps") else v)
    return v


def when(ms: int | None, *, na: str = "n/a") -> str:
    """Epoch ms as ``2026-01-01 00:00:00`` UTC."""
    if ms is None:
        return na
    return dt.datetime.fromtimestamp(int(ms) / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


# ------------------------------------------------------------------------------------------ tables
@dataclass(frozen=True, slots=True)
class Col:
    """A table column: ``key`` columns are always shown whole; ``wrap`` columns (free text such as why a
    trade failed) are always shown and wrap into the width left; others go, highest ``drop`` first."""

    header: str
    key: bool = False
    justify: str = "left"
    drop: int = 0  # among the other columns: the higher, the sooner it is hidden when narrow
    wrap: bool = False


WRAP_MIN = 16  # a wrap column keeps at least this many cells of width (or its whole text, if shorter)


def table_width(widths: Sequence[int]) -> int:
    """Width of a rich table with the default box and padding: ``│ a │ b │``."""
    return sum(widths) + 3 * len(widths) + 1


def _width(cell: str) -> int:
    return max((cell_len(line) for line in cell.split("\n")), default=0)


def fit_table(
    cols: Sequence[Col], rows: Sequence[Sequence[str]], width: int, *, title: str | None = None, hint: str = ""
) -> Table:
    """A rich table of ``rows`` no wider than ``width``: key columns whole, other columns dropped as needed.

    Cells are plain text, never rich markup: a venue's error text such as ``[Errno 111]`` shows as written."""
    widths = [max([_width(c.header), *(_width(r[i]) for r in rows)]) for i, c in enumerate(cols)]
    widths = [min(w, max(WRAP_MIN, _width(c.header))) if c.wrap else w for w, c in zip(widths, cols, strict=True)]
    shown = list(range(len(cols)))
    droppable = sorted((i for i, c in enumerate(cols) if not (c.key or c.wrap)), key=lambda i: (cols[i].drop, i))
    while table_width([widths[i] for i in shown]) > width and droppable:
        shown.remove(droppable.pop())
    for i in (i for i in shown if cols[i].wrap):  # still too wide: wrap columns give up width, down to 6 cells
        excess = table_width([widths[j] for j in shown]) - width
        widths[i] -= max(0, min(excess, widths[i] - 6))
    hidden = [cols[i].header for i in range(len(cols)) if i not in shown]
    caption = None
    if hidden:
        caption = f"hidden at {width} columns: {', '.join(hidden)}" + (f" ({hint})" if hint else "")
    tight = table_width([widths[i] for i in shown]) > width  # key columns alone overflow: let them fold
    t = Table(title=title, caption=caption, caption_justify="left")
    for i in shown:
        c = cols[i]
        t.add_column(
            c.header,
            justify=c.justify,  # type: ignore[arg-type]  # a rich JustifyMethod literal, held as str
            no_wrap=not (c.wrap or tight),
            min_width=widths[i] if (c.key or c.wrap) and not tight else None,
            overflow="fold" if c.key or c.wrap else "ellipsis",
        )
    for r in rows:
        t.add_row(*(Text(r[i]) for i in shown))
    return t
