"""Load every venue's deposit/withdrawal networks through ccxt, refresh them, journal and alert on changes.

``NetworkWatch(clients, symbols, marks, refresh_s=...)``: ``clients`` maps each venue to a ccxt client
holding read-permission keys, or to None (no keys: that venue's transfer data is *unknown*, said once as a
``transfers_unknown`` event). :meth:`NetworkWatch.run` loads all venues at start and every ``refresh_s``
(``[rebalance] networks_refresh_s``), swaps the new table into ``marks`` (the scanner's
:class:`~arb.inventory.marks.TransferMarks`), and for every change journals an event
(``network_suspended`` / ``network_resumed``, naming venue, asset, network and the directions it affects)
and sends an alert through the run's notifier. Each load that changed anything is also journaled whole as a
``networks`` event (JSON), which ``arb rebalance`` and ``arb report`` read back from the journal.

A venue whose load fails keeps its last known table (a failure is an event, not a suspension); one that
never loaded stays unknown.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from arb.clock import wall_ms
from arb.core.kinds import EventKind
from arb.inventory.marks import TransferMarks, assets_of, mark
from arb.inventory.networks import Change, NetworkTable, changes, from_ccxt

log = logging.getLogger(__name__)
CALL_TIMEOUT_S = 30.0

EventFn = Callable[[str | None, str | None, str, str], None]
AlertFn = Callable[..., Any]


def _brief(e: BaseException) -> str:
    return f"{type(e).__name__}: {' '.join(str(e).split())[:200]}"


async def load_venue(venue: str, client: Any, assets: Iterable[str]) -> dict[str, Any]:
    """One venue's networks for ``assets`` through ccxt; raises LookupError when the venue returns nothing
    (ccxt returns no currencies without keys)."""
    async with asyncio.timeout(CALL_TIMEOUT_S):
        currencies = await client.fetch_currencies()
    if not currencies:
        raise LookupError(f"{venue} returned no currencies (the endpoint needs API keys with read permission)")
    assets = list(assets)
    table = from_ccxt(venue, currencies, assets)
    if any(n.withdraw_fee is None for nets in table.values() for n in nets.values()) and (
        getattr(client, "has", {}) or {}
    ).get("fetchDepositWithdrawFees"):
        with contextlib.suppress(Exception):
            async with asyncio.timeout(CALL_TIMEOUT_S):
                fees = await client.fetch_deposit_withdraw_fees(assets)
            table = from_ccxt(venue, currencies, assets, fees)
    return table


class NetworkWatch:
    """The periodic loader; see the module doc."""

    def __init__(
        self,
        clients: Mapping[str, Any | None],
        symbols: Iterable[str],
        marks: TransferMarks,
        *,
        refresh_s: float = 300.0,
        own_clients: bool = True,
    ) -> None:
        self.clients = dict(clients)
        self.symbols = list(symbols)
        self.assets = sorted({a for s in self.symbols for a in assets_of(s)})
        self.marks = marks
        self.refresh_s = refresh_s
        self.own_clients = own_clients
        self.event: EventFn = lambda venue, symbol, kind, detail: None
        self.alert: AlertFn | None = None
        self.loads = 0
        self.loaded = asyncio.Event()  # set after the first load of every venue (ok or not)
        self._failed: set[str] = set()

    def bind(self, event: EventFn, alert: AlertFn | None) -> None:
        """Where events (the run's journal and view) and alerts (the run's notifier ``send``) go."""
        self.event, self.alert = event, alert

    async def run(self, stop: asyncio.Event) -> None:
        """Load now and every ``refresh_s`` until ``stop``; closes owned clients at the end."""
        try:
            for venue, client in self.clients.items():
                if client is None:
                    self.event(
                        venue,
                        None,
                        EventKind.TRANSFERS_UNKNOWN,
                        f"{venue}: no API keys, so its deposit/withdraw networks are unknown: opportunities using it "
                        "are marked transferable=unknown"
                        + (" and skipped (scanner.require_transferable)" if self.marks.require else ""),
                    )
            while not stop.is_set():
                await self.refresh()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.refresh_s)
        finally:
            if self.own_clients:
                for client in self.clients.values():
                    if client is not None:
                        with contextlib.suppress(Exception):
                            await client.close()

    async def refresh(self) -> list[Change]:
        """Load every venue with keys once; apply, journal and alert what changed. Returns the changes."""
        live = {v: c for v, c in self.clients.items() if c is not None}
        results = await asyncio.gather(
            *(load_venue(v, c, self.assets) for v, c in live.items()), return_exceptions=True
        )
        old = self.marks.table
        new = old
        for venue, res in zip(live, results, strict=True):
            if isinstance(res, BaseException):
                if isinstance(res, asyncio.CancelledError):
                    raise res
                if venue not in self._failed:
                    self._failed.add(venue)
                    known = "keeps its last known networks" if old.known(venue) else "transfer data unknown"
                    self.event(
                        venue,
                        None,
                        EventKind.TRANSFERS_UNKNOWN,
                        f"{venue}: cannot load networks ({_brief(res)}); {known}",
                    )
                continue
            self._failed.discard(venue)
            new = new.with_venue(venue, res)
        found = changes(old, new)
        self.loads += 1
        if new != old:  # a first load, a suspension, a new fee or minimum: journaled whole for the planner
            self.marks.set_table(new)
            self.event(None, None, EventKind.NETWORKS, new.dumps())
        for c in found:
            self._report(c, old, new)
        self.loaded.set()
        return found

    def _affected(self, change: Change, old: NetworkTable, new: NetworkTable) -> list[str]:
        out = []
        venues = list(self.clients)
        for symbol in self.symbols:
            if change.asset not in assets_of(symbol):
                continue
            for buy in venues:
                for sell in venues:
                    if buy == sell or change.venue not in (buy, sell):
                        continue
                    was, now = mark(old, symbol, buy, sell).status, mark(new, symbol, buy, sell).status
                    if was != now:
                        out.append(f"{symbol} buy {buy} → sell {sell}: transferable {was} → {now}")
        return out

    def _report(self, change: Change, old: NetworkTable, new: NetworkTable) -> None:
        down = change.now in ("suspended", "delisted")
        kind = EventKind.NETWORK_SUSPENDED if down else EventKind.NETWORK_RESUMED
        affected = self._affected(change, old, new)
        detail = change.text + (f"; {'; '.join(affected)}" if affected else "")
        log.warning(
            "network.%s venue=%s asset=%s network=%s what=%s",
            change.now,
            change.venue,
            change.asset,
            change.network,
            change.what,
        )
        self.event(change.venue, None, kind, detail)
        if self.alert is not None:
            title = f"arb {change.asset} {change.what} {change.now} on {change.venue} ({change.network})"
            when = dt.datetime.fromtimestamp(wall_ms() / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
            body = "\n".join([f"{change.text} (seen {when})", *affected])
            self.alert(title, body, kind="warning" if down else "success", dedupe=False)  # transitions: all of them


def journaled_table(events: Iterable[Mapping[str, Any]]) -> NetworkTable | None:
    """The newest ``networks`` snapshot among journal ``events`` rows (oldest first), or None."""
    found: NetworkTable | None = None
    for e in events:
        if e.get("kind") == EventKind.NETWORKS and e.get("detail"):
            with contextlib.suppress(ValueError, KeyError, TypeError):
                found = NetworkTable.from_json(json.loads(e["detail"]))
    return found
