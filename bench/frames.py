"""Pre-built OKX `books` frames for feeding a ccxt.pro client offline.

A book of ``levels`` per side around ``mid`` on a 0.1 tick; each update changes ``changes``
levels (half bids, half asks, sizes redrawn). ``cross_every`` makes one update in N lift this
venue's best bid ``cross_bps`` above mid (and the next update removes it), which crosses other
venues' asks before fees — the "realistic mix" knob.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass


def inst_id(symbol: str) -> str:
    return symbol.replace("/", "-")


@dataclass
class OkxBookGen:
    symbol: str
    mid: float = 65000.0
    levels: int = 25
    seed: int = 1
    tick: float = 0.1

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.seq = 1000
        self.ts = 1_790_000_000_000
        self.bids = {round(self.mid - self.tick * (i + 1), 1): self._size() for i in range(self.levels)}
        self.asks = {round(self.mid + self.tick * (i + 1), 1): self._size() for i in range(self.levels)}
        self.spike: float | None = None

    def _size(self) -> str:
        return f"{self.rng.uniform(0.01, 2.0):.8f}"

    def _frame(self, action: str, bids: list[list[str]], asks: list[list[str]], prev: int) -> str:
        self.ts += 1
        data = {"asks": asks, "bids": bids, "ts": str(self.ts), "checksum": 0, "prevSeqId": prev, "seqId": self.seq}
        return json.dumps(
            {"arg": {"channel": "books", "instId": inst_id(self.symbol)}, "action": action, "data": [data]},
            separators=(",", ":"),
        )

    def snapshot(self) -> str:
        bids = [[f"{p:.1f}", s, "0", "1"] for p, s in sorted(self.bids.items(), reverse=True)]
        asks = [[f"{p:.1f}", s, "0", "1"] for p, s in sorted(self.asks.items())]
        return self._frame("snapshot", bids, asks, -1)

    def update(self, changes: int = 2, cross: bool = False, cross_bps: float = 35.0) -> str:
        """One update frame. ``cross`` shifts this venue's whole book down by ``cross_bps`` (its asks
        then sit below other venues' bids); the next update shifts it back."""
        prev = self.seq
        self.seq += 1
        bids: list[list[str]] = []
        asks: list[list[str]] = []
        if cross or self.spike is not None:
            factor = (1 - cross_bps / 10_000) if cross else 1 / (1 - self.spike)  # type: ignore[operator]
            for book, side in ((self.bids, bids), (self.asks, asks)):
                moved = {round(p * factor, 1): sz for p, sz in book.items()}
                side.extend([f"{p:.1f}", "0", "0", "0"] for p in book if p not in moved)
                side.extend([f"{p:.1f}", sz, "0", "1"] for p, sz in moved.items())
                book.clear()
                book.update(moved)
            self.spike = cross_bps / 10_000 if cross else None
            return self._frame("update", bids, asks, prev)
        for i in range(changes):
            side, book = (bids, self.bids) if i % 2 == 0 else (asks, self.asks)
            price = self.rng.choice(list(book))
            book[price] = self._size()
            side.append([f"{price:.1f}", book[price], "0", "1"])
        return self._frame("update", bids, asks, prev)


def okx_instruments(symbols: list[str]) -> list[dict]:
    """The /api/v5/public/instruments rows ccxt needs to build markets (for set_markets offline)."""
    out = []
    for s in symbols:
        base, quote = s.split("/")
        out.append(
            {
                "instType": "SPOT",
                "instId": inst_id(s),
                "baseCcy": base,
                "quoteCcy": quote,
                "tickSz": "0.1",
                "lotSz": "0.00000001",
                "minSz": "0.00001",
                "state": "live",
                "ctVal": "",
                "ctMult": "",
                "ctValCcy": "",
                "settleCcy": "",
                "listTime": "1611916800000",
                "maxLmtSz": "9999999999",
                "maxMktSz": "1000000",
                "uly": "",
                "instFamily": "",
                "category": "1",
                "lever": "10",
                "alias": "",
                "optType": "",
                "stk": "",
                "ruleType": "normal",
                "expTime": "",
                "maxLmtAmt": "20000000",
                "maxMktAmt": "1000000",
            }
        )
    return out
