"""The engine's sink during a replay: journal rows stamped with recorded time, written in batches."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from arb.core.model import Episode
from arb.review.backtest.clock import ReplayClock
from arb.scan.engine import BookSlot, Sighting
from arb.store import Journal

FLUSH_ROWS = 500


class BacktestSink:
    """The engine's sink for a replay: journal rows stamped with recorded time, written in batches."""

    def __init__(self, journal: Journal, run_id: str, clock: ReplayClock) -> None:
        self.journal, self.run_id, self.clock = journal, run_id, clock
        self.rows: list[tuple[str, dict[str, Any]]] = []
        self.on_opportunity: Callable[[Sighting], None] | None = None
        self.on_book_opened: Callable[[str, str, BookSlot], None] | None = None
        self.episodes = 0

    def submit(self, kind: str, row: dict[str, Any]) -> None:
        self.rows.append((kind, row))
        if len(self.rows) >= FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        rows, self.rows = self.rows, []
        if rows:
            self.journal.write_batch(rows)

    def _snap(self, ep: Episode, kind: str, inputs: dict[str, Any]) -> None:
        self.submit(
            "snapshot",
            {
                "episode_id": ep.id,
                "kind": kind,
                "ts_ms": self.clock.wall(),
                "inputs_json": json.dumps(inputs, separators=(",", ":")),
                "net_profit": Decimal(inputs["result"]["net_profit"]),
                "net_bps": Decimal(inputs["result"]["net_bps"]),
            },
        )

    def episode_started(self, ep: Episode, inputs: dict[str, Any]) -> None:
        self.episodes += 1
        self.submit("episode", Journal.episode_row(ep, self.run_id))
        self._snap(ep, "start", inputs)

    def episode_ended(self, ep: Episode, peak_inputs: dict[str, Any], end_inputs: dict[str, Any]) -> None:
        self.submit("episode", Journal.episode_row(ep, self.run_id))
        self._snap(ep, "peak", peak_inputs)
        self._snap(ep, "end", end_inputs)

    def opportunity(self, sighting: Sighting) -> None:
        if self.on_opportunity is not None:
            self.on_opportunity(sighting)

    def book_opened(self, venue: str, symbol: str, slot: BookSlot) -> None:
        if self.on_book_opened is not None:
            self.on_book_opened(venue, symbol, slot)

    def event(self, venue: str | None, symbol: str | None, kind: str, detail: str) -> None:
        self.submit(
            "event",
            {
                "run_id": self.run_id,
                "ts_ms": self.clock.wall(),
                "venue": venue,
                "symbol": symbol,
                "kind": kind,
                "detail": detail,
            },
        )
