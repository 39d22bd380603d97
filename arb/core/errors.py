"""One error root for arb. Every message is one line saying what failed and how to fix it."""

from __future__ import annotations


class ArbError(Exception):
    """Root of every error arb raises on purpose."""


class ConfigError(ArbError):
    """The configuration is invalid. ``problems`` holds every one-line problem found."""

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


class BookError(ArbError):
    """An order book is malformed (non-numeric, negative, unsorted or crossed levels).

    ``venue`` and ``symbol`` name the book when the raiser knows them, so callers never parse the text.
    """

    def __init__(self, message: str, *, venue: str | None = None, symbol: str | None = None) -> None:
        super().__init__(message)
        self.venue = venue
        self.symbol = symbol


class MarketError(ArbError):
    """A market lacks what arb needs (precision, limits) or is not tradable."""


class VenueError(ArbError):
    """A venue call failed in a way arb cannot recover from by itself."""


class RiskRejected(ArbError):
    """The risk gate refused an action; the message says which limit."""


class LegRejected(ArbError):
    """A venue rejected one leg of an arbitrage; the message carries the venue's reason."""


class ReconcileError(ArbError):
    """The journal and a venue disagree in a way reconcile cannot settle by itself."""


class StoreError(ArbError):
    """The journal cannot be opened or written (locked, read-only, corrupt, newer schema)."""
