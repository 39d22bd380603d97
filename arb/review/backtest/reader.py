"""The replay's recording reader: the same books as :meth:`Recording.records`, built only when read.

:meth:`arb.review.record.Recording.records` rebuilds every book in full from its change record: it
sorts both sides by ``Decimal`` and converts every level to floats again. Most books a replay feeds
are never read past the top — the engine's detector needs only best bid and ask, and nothing else
runs unless a pair crosses — so here each (venue, symbol) keeps a *view*: price string → (price,
amount) floats, updated by the levels a record names (parsed by orjson, each price string converted
once). A record carries its view and top of book; the replay's market points its one
:class:`LazyBook` per book at the view, and the ``bids``/``asks`` lists are built (sorted, in ccxt
shape) only if something reads them before the next record of that book.

Ordering is by price float, which equals the reference's ``Decimal`` order whenever distinct price
strings are distinct floats (always, for a recording arb wrote: prices are ``str`` of ccxt's floats);
should two distinct strings of a hand-made file collide as floats, books are sorted by ``Decimal``
as the reference does. Errors (corrupt lines, cut-short files, prices that are not numbers) are the
reference reader's; an amount that is not a number is a :class:`RecordingError` when its book is built.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import orjson

from arb.review.record import Recording, RecordingError
from arb.review.record.format import EventRecord


class _Side:
    """One side of a book's top-N view, as the reference keeps it: price string → amount string."""

    __slots__ = ("by_price", "descending", "floats")

    def __init__(self, descending: bool, floats: _Floats) -> None:
        self.descending, self.floats = descending, floats
        self.by_price: dict[str, str] = {}

    def reset(self, pairs: list[list[str]]) -> None:
        self.by_price = dict(pairs)

    def apply(self, changes: list[list[str]]) -> None:
        by = self.by_price
        by.update(changes)  # type: ignore[arg-type]  # [price, amount] pairs
        if "0" in by.values():  # levels that left the top N
            for p in [p for p, a in changes if a == "0"]:
                if by.get(p) == "0":  # (a level re-entering later in the same record stays)
                    del by[p]

    def best(self) -> float:
        """The best price (0.0 for an empty side): what ``float(book[side][0][0])`` reads."""
        by = self.by_price
        if not by:
            return 0.0
        prices = map(self.floats.__getitem__, by)
        return max(prices) if self.descending else min(prices)

    def levels(self) -> list[list[float]]:
        """The side in ccxt shape, best first (the reference reader's order, exactly)."""
        floats, by = self.floats, self.by_price
        if floats.collided:  # distinct strings, one float: the reference order by exact price
            items = sorted(by.items(), key=lambda pa: Decimal(pa[0]), reverse=self.descending)
            return [[float(p), float(a)] for p, a in items]
        amounts = floats.amounts
        out = [[floats[p], amounts[a]] for p, a in by.items()]
        out.sort(reverse=self.descending)  # by price: distinct floats, so the amounts never decide
        return out


class LazyBook(dict[str, Any]):
    """A ccxt-shaped book whose ``bids``/``asks`` lists are built from the view when first read.

    The replay's market keeps one per (venue, symbol) and points it at that book's view on every
    record, as ccxt updates its book objects in place; most books are never read past the top
    (the engine gets that from the reader), so most are never built.
    """

    __slots__ = ("view",)

    def __init__(self, symbol: str) -> None:
        super().__init__(symbol=symbol, timestamp=None, nonce=None)
        self.view: tuple[_Side, _Side] | None = None

    def point(self, view: tuple[_Side, _Side], timestamp: Any, nonce: int) -> None:
        self.pop("bids", None)
        self.pop("asks", None)
        self.view = view
        self["timestamp"] = timestamp
        self["nonce"] = nonce

    def __missing__(self, key: str) -> Any:
        if key in ("bids", "asks") and self.view is not None:
            try:
                levels = self[key] = self.view[0 if key == "bids" else 1].levels()
            except ValueError as e:  # amounts are parsed here, when a book is first built
                raise RecordingError(f"recording: a {self['symbol']} {key} level is not a number ({e})") from None
            return levels
        raise KeyError(key)

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    # Everything else that looks at the whole dict sees both sides built.
    def _built(self) -> LazyBook:
        self["bids"], self["asks"]
        return self

    def __contains__(self, key: object) -> bool:
        return (key in ("bids", "asks") and self.view is not None) or dict.__contains__(self, key)

    def __iter__(self) -> Any:
        return dict.__iter__(self._built())

    def __len__(self) -> int:
        return dict.__len__(self._built())

    def keys(self) -> Any:
        return dict.keys(self._built())

    def values(self) -> Any:
        return dict.values(self._built())

    def items(self) -> Any:
        return dict.items(self._built())

    def copy(self) -> dict[str, Any]:
        return dict(self._built())


@dataclass(frozen=True, slots=True)
class ViewRecord:
    """A book record of the fast reader: the (venue, symbol) view and its top, the book built on demand."""

    t_ms: int
    m_ms: int
    venue: str
    symbol: str
    view: tuple[_Side, _Side]
    timestamp: Any
    bid: float
    ask: float
    delivered: bool = True


class _Floats(dict[str, float]):
    """Price strings as floats, each converted once; notes when two distinct strings give one float."""

    def __init__(self) -> None:
        super().__init__()
        self.by_float: dict[float, str] = {}
        self.collided = False
        self.amounts = _Amounts()

    def __missing__(self, text: str) -> float:
        x = self[text] = float(text)
        if self.by_float.setdefault(x, text) != text:
            self.collided = True
        return x


class _Amounts(dict[str, float]):
    """Amount strings as floats, each converted once while it recurs (forgotten past a million)."""

    def __missing__(self, text: str) -> float:
        if len(self) >= 1_000_000:
            self.clear()
        x = self[text] = float(text)
        return x


def _loads(raw: bytes) -> Any:
    """A recording's line parsed by orjson; what orjson refuses and json reads (huge ints, NaN) by json, else
    json's error."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)


def records(rec: Recording) -> Iterator[ViewRecord | EventRecord]:
    """Every record of ``rec`` in file order; a book record's book (:meth:`ViewRecord.book`) is exactly
    what ``rec.records()`` yields for it."""
    views: dict[tuple[int, int], tuple[_Side, _Side]] = {}
    venues, symbols = rec.venues, rec.symbols
    floats = _Floats()
    for n, r in rec.lines(_loads):
        try:
            kind = r[0]
            if kind in ("B", "D", "K", "S"):
                _, t, m, v, s, ts, bids, asks = r
                view = views.get((v, s))
                if kind in ("B", "K") or view is None:
                    if kind in ("D", "S"):
                        raise ValueError("a change record before any keyframe")
                    if view is None:
                        view = views[(v, s)] = (_Side(True, floats), _Side(False, floats))
                    view[0].reset(bids)
                    view[1].reset(asks)
                else:
                    view[0].apply(bids)
                    view[1].apply(asks)
                yield ViewRecord(t, m, venues[v], symbols[s], view, ts, view[0].best(), view[1].best(), kind in "BD")
            elif kind == "E":
                _, t, m, v, s, ev, detail = r
                yield EventRecord(t, m, None if v is None else venues[v], None if s is None else symbols[s], ev, detail)
            elif kind == "Z":
                rec.trailer = r[3]
                return
            else:
                raise ValueError(f"unknown record kind {kind!r}")
        except (ValueError, TypeError, IndexError, KeyError) as e:
            raise RecordingError(f"recording {rec.path} is corrupt at line {n} ({e})") from None
    if rec.trailer is None and not rec.allow_truncated:
        raise RecordingError(
            f"recording {rec.path} has no end marker (recorder killed?); pass --allow-truncated to replay what is there"
        )
    rec.truncated = rec.trailer is None
