"""Order-book recordings: the file format, its writer and reader, and the recorder behind ``arb record``.

Format (version 1)
------------------
A gzip-compressed UTF-8 file of JSON lines (``*.arbrec.gz`` by convention). Line 1 is the
**header**, a JSON object; every further line is a **record**, a JSON array. Prices and amounts
are exact decimal strings (``str`` of what ccxt delivered), timestamps integer milliseconds.

Header::

    {"format": "arb-recording", "version": 1, "created_ms": 1767225600000, "arb_version": "0.1.0",
     "source": "loopback" | "venues", "depth": 20,
     "venues": ["okx", "bybit"], "ccxt_ids": {"okx": "okx", "bybit": "bybit"},
     "symbols": ["BTC/USDT", "ETH/USDT"],
     "markets": {venue: {symbol: {"symbol", "base", "quote", "amount_step", "price_step",
                                  "min_amount", "max_amount", "min_cost", "max_cost"}}},
     "fees": {venue: {symbol: {"taker": "0.001", "currency": "received", "source": "market"}}},
     "config": {...}}          # the scanner settings the recording was made with (informational)

``markets`` and ``fees`` are what the engine used (precision, limits, taker fee and its
currency), so a replay needs nothing but the file. Records (``v``/``s`` index ``venues`` and
``symbols``; ``t`` = wall-clock receive time, ms since the epoch; ``m`` = monotonic receive time, ms;
``ts`` = the venue's own book timestamp or null)::

    ["B", t, m, v, s, ts, bids, asks]    a delivered book, full top N (keyframe); levels [[price, amount], ...]
                                         best first
    ["D", t, m, v, s, ts, bids, asks]    a delivered book as changes to the previous top-N view of (v, s): a
                                         level whose amount changed or that entered the top N, amount "0" =
                                         it left the top N
    ["K", ...] / ["S", ...]              the same for a book's state *without* a delivery: what the engine
                                         read of (v, s) when another venue's book of s was delivered (ccxt
                                         had applied messages its watch loop had not delivered yet)
    ["E", t, m, v, s|null, kind, detail] a feed event (disconnect, resync, stale, venue_down, ...)
    ["Z", t, m, {"books": n, "states": n, "events": n}]  trailer, written on a clean close

Every (v, s) starts with a keyframe; a keyframe is repeated every :data:`KEYFRAME_EVERY` updates
and after any event on that venue. The writer sync-flushes at least every second, so a killed
recorder loses at most the last second. A file without the trailer was cut short (the recorder was
killed); the reader refuses it unless ``allow_truncated`` (then it stops at the last whole line).
Only the top ``depth`` levels are kept, so a replay cannot walk deeper than that.
"""

from __future__ import annotations

import gzip
import json
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from arb import __version__
from arb.core.codec import fee_from_json, fee_to_json, market_from_json, market_to_json
from arb.core.errors import ArbError
from arb.core.model import Fee, MarketSpec

FORMAT = "arb-recording"
VERSION = 1
KEYFRAME_EVERY = 500
FLUSH_EVERY = 2000  # records between gzip sync flushes ...
FLUSH_S = 1.0  # ... or seconds, whichever comes first (a killed recorder loses at most that much)


class RecordingError(ArbError):
    """A recording cannot be read or written (missing, corrupt, truncated, newer format)."""


def make_header(
    *,
    venues: list[str],
    symbols: list[str],
    markets: dict[tuple[str, str], MarketSpec],
    fees: dict[tuple[str, str], Fee],
    depth: int,
    source: str,
    created_ms: int,
    ccxt_ids: dict[str, str] | None = None,
    config: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "created_ms": created_ms,
        "arb_version": __version__,
        "source": source,
        "depth": depth,
        "venues": list(venues),
        "ccxt_ids": ccxt_ids or {v: v for v in venues},
        "symbols": list(symbols),
        "markets": {v: {s: market_to_json(m) for (v2, s), m in markets.items() if v2 == v} for v in venues},
        "fees": {v: {s: fee_to_json(f) for (v2, s), f in fees.items() if v2 == v} for v in venues},
        "config": config or {},
    }


def _levels(side: Any, depth: int) -> list[list[str]]:
    return [[str(level[0]), str(level[1])] for level in side[:depth]]


def _diff(old: list[list[str]], new: list[list[str]]) -> list[list[str]]:
    before = {p: a for p, a in old}
    after = {p: a for p, a in new}
    out = [[p, a] for p, a in new if before.get(p) != a]
    out += [[p, "0"] for p in before if p not in after]
    return out


class RecordingWriter:
    """Append books and events to a new recording; :meth:`close` writes the trailer.

    Without ``header`` nothing is written until :meth:`start` (markets not loaded yet): records
    are encoded and held in memory meanwhile, so the file holds everything from the first book.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        venues: list[str],
        symbols: list[str],
        depth: int,
        header: dict[str, Any] | None = None,
    ) -> None:
        self.path, self.depth = Path(path), depth
        self._v = {v: i for i, v in enumerate(venues)}
        self._s = {s: i for i, s in enumerate(symbols)}
        self._last: dict[tuple[int, int], tuple[list[list[str]], list[list[str]]]] = {}
        self._since_key: dict[tuple[int, int], int] = {}
        self.books = self.states = self.events = self._unflushed = 0
        self.last_t = self.last_m = 0
        self._fh: IO[bytes] | gzip.GzipFile | None = None
        self._held: list[bytes] = []
        self._flushed_at = time.monotonic()
        if header is not None:
            self.start(header)

    @property
    def started(self) -> bool:
        return self._fh is not None

    def start(self, header: dict[str, Any]) -> None:
        """Create the file, write the header and everything held so far."""
        try:
            self._fh = gzip.open(self.path, "wb", compresslevel=6)  # noqa: SIM115 - closed by close()
        except OSError as e:
            raise RecordingError(
                f"recording {self.path}: cannot create it ({e.strerror}); choose a writable path"
            ) from None
        self._write(json.dumps(header, separators=(",", ":")).encode() + b"\n")
        for line in self._held:
            self._write(line)
        self._held.clear()
        self.flush()

    def _write(self, data: bytes) -> None:
        assert self._fh is not None
        try:
            self._fh.write(data)
            self._unflushed += 1
            if self._unflushed >= FLUSH_EVERY or time.monotonic() - self._flushed_at >= FLUSH_S:
                self.flush()
        except OSError as e:
            raise RecordingError(
                f"recording {self.path}: write failed ({e.strerror}); free space or choose another path"
            ) from None

    def _line(self, obj: Any) -> None:
        data = json.dumps(obj, separators=(",", ":")).encode() + b"\n"
        if self._fh is None:
            self._held.append(data)
        else:
            self._write(data)

    def flush(self) -> None:
        """Make everything so far readable by a reader even if the recorder dies."""
        if self._fh is not None:
            self._fh.flush()
        self._unflushed = 0
        self._flushed_at = time.monotonic()

    def book(self, venue: str, symbol: str, book: Any, t_ms: int, m_ms: int, *, delivered: bool = True) -> bool:
        """One book (ccxt shape) as its top ``depth`` levels in exact strings; False if nothing was written.

        ``delivered=False`` records a book's current state without a delivery (written only if it
        changed since the last record of that book).
        """
        key = (self._v[venue], self._s[symbol])
        bids, asks = _levels(book["bids"], self.depth), _levels(book["asks"], self.depth)
        ts = book.get("timestamp") if isinstance(book, dict) else None
        prev = self._last.get(key)
        if not delivered and prev is not None and prev == (bids, asks):
            return False
        n = self._since_key.get(key, 0)
        if prev is None or n >= KEYFRAME_EVERY:
            self._line(["B" if delivered else "K", t_ms, m_ms, key[0], key[1], ts, bids, asks])
            self._since_key[key] = 0
        else:
            self._line(
                ["D" if delivered else "S", t_ms, m_ms, key[0], key[1], ts, _diff(prev[0], bids), _diff(prev[1], asks)]
            )
            self._since_key[key] = n + 1
        self._last[key] = (bids, asks)
        if delivered:
            self.books += 1
        else:
            self.states += 1
        self.last_t, self.last_m = t_ms, m_ms
        return True

    def event(self, venue: str | None, symbol: str | None, kind: str, detail: str, t_ms: int, m_ms: int) -> None:
        v = self._v.get(venue) if venue is not None else None
        s = self._s.get(symbol) if symbol is not None else None
        self._line(["E", t_ms, m_ms, v, s, kind, detail])
        for key in [k for k in self._last if venue is None or k[0] == v]:
            del self._last[key]  # the next book of this venue is a keyframe
        self.events += 1

    def close(self, t_ms: int | None = None, m_ms: int | None = None) -> None:
        if self._fh is None or self._fh.closed:
            return
        self._line(
            [
                "Z",
                t_ms if t_ms is not None else self.last_t,
                m_ms if m_ms is not None else self.last_m,
                {"books": self.books, "states": self.states, "events": self.events},
            ]
        )
        self._fh.close()


@dataclass(frozen=True, slots=True)
class BookRecord:
    t_ms: int
    m_ms: int
    venue: str
    symbol: str
    book: dict[str, Any]  # ccxt shape: bids/asks as [float, float] best first, timestamp, symbol
    delivered: bool = True  # False: the book's state when another book was delivered (no delivery)


@dataclass(frozen=True, slots=True)
class EventRecord:
    t_ms: int
    m_ms: int
    venue: str | None
    symbol: str | None
    kind: str
    detail: str


def _sorted(levels: dict[str, str], descending: bool) -> list[list[str]]:
    return sorted(([p, a] for p, a in levels.items()), key=lambda pa: Decimal(pa[0]), reverse=descending)


class Recording:
    """A recording opened for replay: :attr:`header`, :meth:`markets`, :meth:`fees`, :meth:`records`."""

    def __init__(self, path: Path, header: dict[str, Any], allow_truncated: bool) -> None:
        self.path, self.header, self.allow_truncated = path, header, allow_truncated
        self.venues: list[str] = list(header["venues"])
        self.symbols: list[str] = list(header["symbols"])
        self.truncated = False
        self.trailer: dict[str, Any] | None = None
        self.size = path.stat().st_size if path.exists() else 0
        self.position = 0  # compressed bytes read so far by records()

    @property
    def fraction(self) -> float:
        """Share of the file :meth:`records` has read."""
        return min(1.0, self.position / self.size) if self.size else 1.0

    @classmethod
    def open(cls, path: str | Path, *, allow_truncated: bool = False) -> Recording:
        """Read and check the header; one-line :class:`RecordingError` if it is not a usable recording."""
        path = Path(path)
        if not path.is_file():
            raise RecordingError(f"recording {path} does not exist; make one with `arb record --out {path}`")
        try:
            with gzip.open(path, "rb") as fh:
                first = fh.readline()
            header = json.loads(first)
        except (OSError, EOFError, zlib.error, ValueError, UnicodeDecodeError) as e:
            raise RecordingError(
                f"recording {path} is corrupt or not an arb recording ({type(e).__name__}); record it again"
            ) from None
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise RecordingError(f"recording {path} is not an arb recording (no '{FORMAT}' header)")
        version = header.get("version")
        if not isinstance(version, int) or version > VERSION:
            raise RecordingError(
                f"recording {path} has format version {version}, this arb reads up to {VERSION}; upgrade arb"
            )
        try:
            rec = cls(path, header, allow_truncated)
            rec.markets()
            rec.fees()
        except (KeyError, TypeError, ValueError, ArithmeticError, ArbError) as e:
            raise RecordingError(f"recording {path} has a malformed header ({type(e).__name__}: {e})") from None
        return rec

    def has_books(self) -> bool:
        """True if the recording holds at least one delivered book (reads only up to the first one)."""
        return any(isinstance(r, BookRecord) and r.delivered for r in self.records())

    def markets(self) -> dict[tuple[str, str], MarketSpec]:
        return {(v, s): market_from_json(m) for v, ms in self.header["markets"].items() for s, m in ms.items()}

    def fees(self) -> dict[tuple[str, str], Fee]:
        return {(v, s): fee_from_json(f) for v, fs in self.header["fees"].items() for s, f in fs.items()}

    def lines(self, loads: Callable[[bytes], Any] = json.loads) -> Iterator[tuple[int, Any]]:
        """(line number, parsed line) after the header, read by ``loads``; a cut-short or corrupt file is a
        :class:`RecordingError` (or, with ``allow_truncated``, the end, marked ``truncated``)."""
        n = 1
        try:
            with open(self.path, "rb") as raw_fh, gzip.GzipFile(fileobj=raw_fh, mode="rb") as fh:
                fh.readline()
                for raw in fh:
                    n += 1
                    if n % 256 == 0:
                        self.position = raw_fh.tell()
                    if not raw.endswith(b"\n"):
                        raise EOFError
                    yield n, loads(raw)
        except (EOFError, zlib.error, OSError):
            if self.allow_truncated:
                self.truncated = True
                return
            raise RecordingError(
                f"recording {self.path} is cut short or corrupt after line {n} "
                "(recorder killed?); pass --allow-truncated to replay what is there"
            ) from None
        except ValueError:
            raise RecordingError(f"recording {self.path} is corrupt at line {n + 1} (not JSON)") from None

    def records(self) -> Iterator[BookRecord | EventRecord]:
        """Every record in file order; books rebuilt to their full top-N view."""
        views: dict[tuple[int, int], tuple[dict[str, str], dict[str, str]]] = {}
        for n, r in self.lines():
            try:
                kind = r[0]
                if kind in ("B", "D", "K", "S"):
                    _, t, m, v, s, ts, bids, asks = r
                    if kind in ("B", "K") or (v, s) not in views:
                        if kind in ("D", "S"):
                            raise ValueError("a change record before any keyframe")
                        views[(v, s)] = ({p: a for p, a in bids}, {p: a for p, a in asks})
                    else:
                        for side, changes in zip(views[(v, s)], (bids, asks), strict=True):
                            for p, a in changes:
                                if a == "0":
                                    side.pop(p, None)
                                else:
                                    side[p] = a
                    b, a_ = views[(v, s)]
                    symbol = self.symbols[s]
                    book = {
                        "symbol": symbol,
                        "timestamp": ts,
                        "nonce": None,
                        "bids": [[float(p), float(x)] for p, x in _sorted(b, True)],
                        "asks": [[float(p), float(x)] for p, x in _sorted(a_, False)],
                    }
                    yield BookRecord(t, m, self.venues[v], symbol, book, kind in ("B", "D"))
                elif kind == "E":
                    _, t, m, v, s, ev, detail = r
                    yield EventRecord(
                        t, m, None if v is None else self.venues[v], None if s is None else self.symbols[s], ev, detail
                    )
                elif kind == "Z":
                    self.trailer = r[3]
                    return
                else:
                    raise ValueError(f"unknown record kind {kind!r}")
            except (ValueError, TypeError, IndexError, KeyError) as e:
                raise RecordingError(f"recording {self.path} is corrupt at line {n} ({e})") from None
        if self.trailer is None and not self.allow_truncated:
            raise RecordingError(
                f"recording {self.path} has no end marker (recorder killed?); "
                "pass --allow-truncated to replay what is there"
            )
        self.truncated = self.trailer is None
