"""What workers share: the :class:`Coordinator` interface and the in-process one (the default).

A trading run asks its coordinator, at the moment the risk gate accepts an opportunity (sync, before any
order of it is sent), to **reserve** what both legs can consume on their venues plus a slot of the
in-flight limit and the notional against the exposure limits; each leg's final state **settles** its
hold (the hold is replaced by the leg's actual flows) and the end of the opportunity **releases** what
is left (holds of legs whose state is unknown stay until the worker's lease ends). A hedge or retry order
**extends** its opportunity's claim with what it can spend before it is sent.

:class:`LocalCoordinator` is today's single process: the in-process :class:`arb.trade.risk.RiskGate`
already holds all of it, so every call is a no-op. :class:`arb.scale.redis_coord.RedisCoordinator`
shares it between workers and machines.

Amounts cross the coordinator as integer **atoms** of ``1e-8`` (exact integers; Redis adds them with
``INCRBY``): holds round up, flows round down (never believe in money the venue may not have).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Protocol

from arb.core.ledger import LegFill

ATOM = Decimal("1e-8")


def atoms_up(x: Decimal) -> int:
    return int((x / ATOM).to_integral_value(rounding=ROUND_CEILING))


def atoms_down(x: Decimal) -> int:
    return int((x / ATOM).to_integral_value(rounding=ROUND_FLOOR))


def from_atoms(n: int) -> Decimal:
    return Decimal(n) * ATOM


@dataclass(frozen=True, slots=True)
class Request:
    """One opportunity's claim: holds (venue, asset, amount, limited) and its notional against the limits."""

    holds: Sequence[tuple[str, str, Decimal, bool]]  # limited: this worker tracks that venue's balance
    asset: str  # the base asset (exposure per asset)
    venues: tuple[str, str]
    notional: Decimal
    max_in_flight: int
    max_exposure_per_asset: Decimal
    max_exposure_per_venue: Decimal


class Coordinator(Protocol):
    """What a worker asks of the shared state (sync: called from the gate's synchronous decision)."""

    worker: str
    shared: bool

    def reserve(self, token: str, req: Request) -> str | None: ...

    def extend(self, token: str, holds: Sequence[tuple[str, str, Decimal, bool]]) -> str | None: ...

    def settle(self, token: str, leg: LegFill) -> None: ...

    def release(self, token: str, keep: Sequence[str] = ()) -> None: ...

    def close(self) -> None: ...


@dataclass(slots=True)
class LocalCoordinator:
    """One process: the in-process gate holds balances, limits and halts; nothing is shared."""

    worker: str = "local"
    shared: bool = False
    reserved: dict[str, Request] = field(default_factory=dict)

    def reserve(self, token: str, req: Request) -> str | None:
        """None when reserved, else why not (a :class:`arb.core.kinds.Verdict` word)."""
        self.reserved[token] = req
        return None

    def extend(self, token: str, holds: Sequence[tuple[str, str, Decimal, bool]]) -> str | None:
        """More holds under ``token`` (a hedge or retry order): None when held, else why not."""
        return None

    def settle(self, token: str, leg: LegFill) -> None:
        """A leg reached its final state: its venue's hold becomes its flows."""

    def release(self, token: str, keep: Sequence[str] = ()) -> None:
        """The opportunity ended: free what it still holds except the holds on ``keep`` venues (unknown legs)."""
        self.reserved.pop(token, None)

    def close(self) -> None:
        """Release everything this worker holds (a clean stop)."""
        self.reserved.clear()
