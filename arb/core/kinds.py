"""The closed vocabularies that pass between stages: journal event kinds and the gate's verdicts.

Both are :class:`~enum.StrEnum`, so a member *is* its string: it compares equal to the text the
journal holds (``EventKind.TRADE == "trade"``), formats as that text and is stored as it. Readers
of old journals keep working; writers name a member instead of spelling a string.
"""

from __future__ import annotations

from enum import StrEnum


class EventKind(StrEnum):
    """Every ``kind`` the code writes to the journal's ``events`` table."""

    # feeds and book hygiene (arb.scan)
    DISCONNECT = "disconnect"  # a stream failed with a network/exchange error; it reconnects
    RESYNC = "resync"  # the venue's sequence broke (ccxt InvalidNonce); the book is rebuilt
    ERROR = "error"  # an unexpected failure (feed or executor)
    SYMBOLS = "symbols"  # the symbols a run scans (scanner.symbols = "auto": the discovered list)
    SYMBOL_SKIPPED = "symbol_skipped"  # not tradable here / rejected by the venue / on fewer than 2 venues
    VENUE_DOWN = "venue_down"  # load_markets failed
    VENUE_UP = "venue_up"  # streaming (again)
    VENUE_IDLE = "venue_idle"  # none of the configured symbols is tradable on the venue
    VENUE_STALE = "venue_stale"  # no book update from the venue for a while
    VENUE_RECOVERED = "venue_recovered"  # book updates again after venue_stale
    STALE = "stale"  # one book too old to use
    CROSSED = "crossed"  # one book crossed or empty on its own venue
    BAD_BOOK = "bad_book"  # malformed book data
    BOOK_OK = "book_ok"  # a fresh, sane book after stale/crossed/bad_book

    # trading (arb.trade)
    TRADING = "trading"  # the trader is ready (mode, on_partial)
    FEE = "fee"  # the taker fee in use for a venue and symbol, and where it came from
    DECISION = "decision"  # the gate's verdict on an opportunity (JSON detail)
    TRADE = "trade"  # an arbitrage's outcome (JSON detail)
    CANCEL = "cancel"  # an open order cancelled (kill)
    RECONCILE = "reconcile"  # a reconcile finding or a restart hedge
    HALT = "halt"  # trading halted
    RESUME = "resume"  # a halt lifted (operator or its time ran out)
    RISK_RESTORED = "risk_restored"  # on start: today's realised PnL and failures in a row, from the journal
    VENUE_PAUSED = "venue_paused"  # the error-rate breaker paused a venue
    DIRECTION_DISABLED = "direction_disabled"  # a venue lacks base or quote for one direction
    DIRECTION_ENABLED = "direction_enabled"  # ... and has it again
    DAILY_SUMMARY = "daily_summary"  # realised PnL at UTC midnight
    SHUTDOWN_EXPOSURE = "shutdown_exposure"  # open exposure left at shutdown
    COORDINATOR = "coordinator"  # a worker joined the shared state before trading (balances shared, halts adopted)

    # transfers between venues (arb.inventory)
    NETWORKS = "networks"  # every venue's deposit/withdraw networks, JSON (first load and after each change)
    NETWORK_SUSPENDED = "network_suspended"  # a venue suspended deposits or withdrawals of an asset on a network
    NETWORK_RESUMED = "network_resumed"  # ... and resumed them
    TRANSFERS_UNKNOWN = "transfers_unknown"  # a venue's networks cannot be loaded (no keys, or the call failed)

    # the control API (arb.api)
    CONTROL = "control"  # an operator's action: pause, resume, directions, kill, exposures (who, what)
    AUTH_FAILED = "auth_failed"  # a request to the control API without a valid token (peer, path)


#: feed kinds after which a venue's books cannot be trusted until a fresh snapshot arrives
FEED_DOWN_KINDS = frozenset({EventKind.DISCONNECT, EventKind.RESYNC, EventKind.ERROR, EventKind.VENUE_DOWN})


class Verdict(StrEnum):
    """The trade gate's answer on an opportunity: ``accept`` or why not (one word)."""

    ACCEPT = "accept"
    # the trader's own checks, before risk
    PAIR_IN_FLIGHT = "pair_in_flight"  # an arbitrage on this pair is still running
    COOLDOWN = "cooldown"  # waiting for both books to update after the last trade on the pair
    CONFIRMING = "confirming"  # the edge has not yet lasted ``confirm`` updates
    DEPTH = "depth"  # re-evaluated at full depth it no longer pays
    # the risk limits
    IN_FLIGHT = "in_flight"  # max_in_flight reached
    NOTIONAL = "notional"  # above max_notional_per_trade
    VENUE_PAUSED = "venue_paused"  # the error-rate breaker paused a venue
    DIRECTION_DISABLED = "direction_disabled"  # a venue lacks base or quote for this direction
    EXPOSURE_ASSET = "exposure_asset"
    EXPOSURE_VENUE = "exposure_venue"
    EXPOSURE_UNPRICED = "exposure_unpriced"  # an open exposure on its asset or venues has no price yet (no book/fills)
    MIN_BALANCE = "min_balance"
    COORDINATOR = "coordinator"  # the shared coordinator (Redis) refused or is unreachable: no shared reservation
    # an operator's controls (arb.trade.controls, set through the control API)
    PAUSED = "paused"  # trading paused: no new orders
    OPERATOR_DISABLED = "operator_disabled"  # an operator disabled this direction
    # a halt stops everything (one per halt reason)
    HALTED_KILL = "halted_kill"
    HALTED_DAILY_LOSS = "halted_daily_loss"
    HALTED_CONSECUTIVE_FAILURES = "halted_consecutive_failures"
    HALTED_BALANCE_DRIFT = "halted_balance_drift"

    @classmethod
    def halted(cls, reason: str) -> Verdict:
        """The verdict for a halt with ``reason`` (``kill``, ``daily_loss``, ...)."""
        return cls(f"halted_{reason}")

    @property
    def is_halt(self) -> bool:
        return self.value.startswith("halted_")
