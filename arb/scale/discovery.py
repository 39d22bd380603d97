"""``scanner.symbols = "auto"``: every active spot symbol listed on at least two configured venues.

:func:`select` is pure: from each venue's listed symbols and 24 h quote volumes it keeps the symbols
quoted in ``quotes`` that at least two venues list, ranks each by its **second-highest** venue volume
(two venues must each trade that much: an arbitrage needs liquidity on both legs), drops those below
``min_quote_volume`` and keeps the ``max_symbols`` highest (ties by symbol name, so the list is
deterministic). :func:`discover` asks the venues (``load_markets`` and ``fetch_tickers``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from arb.core.errors import ArbError
from arb.core.model import ZERO, dec


@dataclass(frozen=True, slots=True)
class Discovery:
    """What discovery found: the chosen symbols (best first) and why."""

    symbols: tuple[str, ...]
    listed: Mapping[str, int]  # venue → spot symbols it lists in the wanted quotes
    candidates: int  # symbols listed on two venues or more, before the volume floor and the cap
    volumes: Mapping[str, Decimal]  # chosen symbol → its ranking volume (second-highest venue)

    def line(self) -> str:
        per = ", ".join(f"{v} {n}" for v, n in self.listed.items())
        more = len(self.symbols) - 20
        shown = ", ".join(self.symbols[:20]) + (f", … ({more} more)" if more > 0 else "")
        return (
            f"symbols auto: {len(self.symbols)} of {self.candidates} listed on two venues or more "
            f"(listed: {per}): {shown or 'none'}"
        )


def spot_symbols(markets: Mapping[str, Any], quotes: Iterable[str]) -> set[str]:
    """Active spot markets quoted in ``quotes`` (ccxt unified markets)."""
    want = set(quotes)
    return {
        s
        for s, m in markets.items()
        if m.get("spot") and m.get("active") is not False and m.get("quote") in want and ":" not in s
    }


def select(
    listings: Mapping[str, Iterable[str]],
    volumes: Mapping[str, Mapping[str, Decimal]],
    *,
    min_quote_volume: Decimal,
    max_symbols: int,
) -> tuple[tuple[str, ...], dict[str, Decimal], int]:
    """(chosen symbols best first, their ranking volumes, candidates on two venues or more)."""
    venues_of: dict[str, list[str]] = {}
    for venue, symbols in listings.items():
        for s in symbols:
            venues_of.setdefault(s, []).append(venue)
    rank: dict[str, Decimal] = {}
    for s, vs in venues_of.items():
        if len(vs) < 2:
            continue
        per = sorted((volumes.get(v, {}).get(s, ZERO) for v in vs), reverse=True)
        rank[s] = per[1]
    kept = sorted((s for s, vol in rank.items() if vol >= min_quote_volume), key=lambda s: (-rank[s], s))
    chosen = tuple(kept[:max_symbols])
    return chosen, {s: rank[s] for s in chosen}, len(rank)


async def venue_listing(venue: str, client: Any, quotes: Iterable[str]) -> tuple[set[str], dict[str, Decimal]]:
    """One venue's listed spot symbols in ``quotes`` and their 24 h quote volumes (0 when it reports none)."""
    try:
        markets = await client.load_markets()
        listed = spot_symbols(markets, quotes)
        tickers: dict[str, Any] = {}
        if listed and client.has.get("fetchTickers"):
            tickers = await client.fetch_tickers()
    except Exception as e:  # every venue must answer: a list built without one would differ next time
        raise ArbError(f'scanner.symbols = "auto": {venue} did not list its markets: {type(e).__name__}: {e}') from e
    vols: dict[str, Decimal] = {}
    for s in listed:
        t = tickers.get(s) or {}
        q = t.get("quoteVolume")
        if q is None and t.get("baseVolume") is not None and t.get("last") is not None:
            q = dec(t["baseVolume"]) * dec(t["last"])
        vols[s] = dec(q) if q is not None else ZERO
    return listed, vols


async def discover(
    clients: Mapping[str, Any], *, quotes: Iterable[str], min_quote_volume: Decimal, max_symbols: int
) -> Discovery:
    """Ask every venue what it lists and trades; choose with :func:`select`."""
    names = list(clients)
    got = await asyncio.gather(*(venue_listing(v, clients[v], quotes) for v in names))
    listings = {v: g[0] for v, g in zip(names, got, strict=True)}
    volumes = {v: g[1] for v, g in zip(names, got, strict=True)}
    chosen, vols, candidates = select(listings, volumes, min_quote_volume=min_quote_volume, max_symbols=max_symbols)
    return Discovery(chosen, {v: len(s) for v, s in listings.items()}, candidates, vols)
