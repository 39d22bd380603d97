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
    """A venue refused or failed a call. ``venue`` names it and ``cause`` is a stable code for why
    (the ccxt exception class, e.g. ``InsufficientFunds``), so callers match the code, never the text."""

    def __init__(self, message: str, *, venue: str, cause: str) -> None:
        super().__init__(message)
        self.venue = venue
        self.cause = cause

    @classmethod
    def of(cls, venue: str, exc: BaseException) -> VenueError:
        """Wrap a client exception: its class name is the cause, its first line the message."""
        text = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
        cause = type(exc).__name__
        return cls(f"{venue}: {cause}: {text}" if text else f"{venue}: {cause}", venue=venue, cause=cause)


class StoreError(ArbError):
    """The journal cannot be opened or written (locked, read-only, corrupt, newer schema)."""
