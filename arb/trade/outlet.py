"""Where a trading run's observations go: journal rows (decisions, events, balances; through the scanner's
batching writer, or straight to the journal when there is none), alerts (the notifier) and in-process
listeners (the live view, tests)."""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable
from typing import Any

from arb.core.kinds import EventKind, Verdict
from arb.core.model import Opportunity
from arb.notify import Notifier
from arb.store import Journal, JournalWriter

log = logging.getLogger(__name__)


class Outlet:
    def __init__(
        self,
        journal: Journal,
        run_id: str,
        clock: Callable[[], int],
        *,
        writer: JournalWriter | None = None,
        notifier: Notifier | None = None,
    ) -> None:
        self.journal, self.run_id, self.clock, self.writer, self.notifier = journal, run_id, clock, writer, notifier
        # ("ready", None), ("decision", dict), ("outcome", Outcome), ("halt", Halt), ("resume", Halt),
        # ("direction", ((symbol, buy venue, sell venue), "disabled" | "enabled")), ("restart_hedge", Outcome)
        self.listeners: list[Callable[[str, Any], None]] = []
        self._last_reason: dict[tuple[str, str, str], str] = {}

    def decision(self, opp: Opportunity, verdict: Verdict, info: dict[str, Any], stats: Counter[str]) -> None:
        """Journal the gate's verdict (event ``decision``): every accept, a refusal once per change of reason."""
        if verdict != Verdict.ACCEPT:
            if self._last_reason.get(opp.key) == verdict:
                return
            self._last_reason[opp.key] = verdict
            stats[f"refused_{verdict}"] += 1
        else:
            self._last_reason.pop(opp.key, None)
            stats["accepted"] += 1
        doc = {
            "verdict": str(verdict),
            "buy": opp.buy_venue,
            "sell": opp.sell_venue,
            "net_profit": str(opp.net_profit),
            "net_bps": str(round(opp.net_bps, 4)),
            **info,
        }
        self.event(EventKind.DECISION, None, opp.symbol, json.dumps(doc, separators=(",", ":")))
        self.emit("decision", doc)

    def submit(self, kind: str, row: dict[str, Any]) -> None:
        if self.writer is not None:
            self.writer.submit(kind, row)
        else:  # no batching writer (arb backtest): straight to the journal
            self.journal.write_batch([(kind, row)])

    def event(self, kind: str, venue: str | None, symbol: str | None, detail: str) -> None:
        row = {"run_id": self.run_id, "ts_ms": self.clock(), "venue": venue, "symbol": symbol}
        self.submit("event", row | {"kind": kind, "detail": detail})

    def emit(self, kind: str, payload: Any) -> None:
        for f in self.listeners:
            try:
                f(kind, payload)
            except Exception:  # a listener must not break trading
                log.exception("trader.listener_failed kind=%s", kind)

    def alert(self, title: str, body: str, kind: str = "info") -> None:
        if self.notifier is not None:
            self.notifier.send(title, body, kind=kind)
