"""What a running arb exposes to the API: its scanner, its trader (paper/live runs), the journal reader,
where actions are journaled, and the stream hub. Built once by the command that starts the server."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from arb.api.reader import Reader
from arb.api.stream import Hub
from arb.clock import wall_ms
from arb.core.kinds import EventKind

log = logging.getLogger(__name__)


@dataclass(slots=True)
class ApiContext:
    """``scanner``: an :class:`arb.scan.scanner.Scanner`; ``trader``: an :class:`arb.trade.trader.Trader` or None
    (alert-only scan); ``kill_file``: what `arb kill` writes for this run (None: no kill switch)."""

    scanner: Any
    trader: Any | None = None
    kill_file: Path | None = None
    risk: Any | None = None  # the [risk] section, for /api/limits (None: an alert-only run without a config)
    reader: Reader | None = None
    hub: Hub = field(default_factory=Hub)
    started_ms: int = field(default_factory=wall_ms)
    auth_failures: int = 0
    halts_seen: int = 0

    @property
    def mode(self) -> str:
        return str(self.trader.mode) if self.trader is not None else str(self.scanner.mode)

    @property
    def run_id(self) -> str:
        return str(self.scanner.run_id)

    @property
    def writer(self) -> Any:
        return self.scanner.writer

    def journal_event(self, kind: str, detail: str, venue: str | None = None, symbol: str | None = None) -> None:
        """One event row for this run through the run's journal writer (never blocks)."""
        if self.trader is not None:
            self.trader.out.event(kind, venue, symbol, detail)
        elif self.writer is not None:
            row = {"run_id": self.run_id, "ts_ms": wall_ms(), "venue": venue, "symbol": symbol}
            self.writer.submit("event", row | {"kind": kind, "detail": detail})

    def control(self, action: str, who: str, detail: str) -> dict[str, Any]:
        """Journal an operator's action (event ``control``: who did what, when), tell the stream; the reply."""
        now = wall_ms()
        line = f"{action} by {who}: {detail}"
        log.warning("api.control action=%s who=%s detail=%s", action, who, detail)
        self.journal_event(EventKind.CONTROL, line)
        doc = {"ok": True, "action": action, "who": who, "ts_ms": now, "detail": detail}
        self.hub.publish("control", {k: doc[k] for k in ("action", "who", "ts_ms", "detail")})
        return doc
