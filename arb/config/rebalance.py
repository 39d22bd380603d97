"""``[rebalance]``: the inventory target, the networks refresh and when a transfer is not worth its fee.

Read by :mod:`arb.inventory` (the networks watcher, the planner behind ``arb rebalance``, the report's
"net after rebalancing" and the alert suggestion when a direction is disabled for lack of balance).
"""

# RUF009 cannot see that _key and _table return dataclasses.field(...), not a shared default value.
# ruff: noqa: RUF009

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

from arb.config._parse import _balances, _num, _suggest
from arb.config.sections import _key, _Section, _table


@dataclass(frozen=True, slots=True)
class RebalanceConfig(_Section):
    """``[rebalance]``: what inventory to restore and how the transfer plan is judged (arb never withdraws)."""

    _section: ClassVar[str] = "rebalance"

    targets: dict[str, dict[str, Decimal]] = _table(
        "inventory to restore, venue → asset → amount (>= 0); only the split per asset counts (today's total is "
        "divided in these proportions); empty = the starting inventory of the run",
        _balances,
    )
    max_fee_share: Decimal = _key(
        Decimal("0.5"),
        "flag a transfer whose network fee is more than this share of the PnL it enables (>= 0; 0.5 = half)",
        _num(ge=0),
    )
    networks_refresh_s: int = _key(
        300,
        "reload every venue's deposit/withdraw networks (needs read-only API keys) this often, seconds (>= 1)",
        _num(ge=1, integer=True),
    )

    def venue_problems(self, venues: Mapping[str, Any]) -> list[str]:
        """One line per target venue that is not configured."""
        known = list(venues)
        listed = " (venues: " + ", ".join(known) + ")"
        return [
            f"rebalance.targets.{n}: not a configured venue{_suggest(n, known) or listed}"
            for n in self.targets
            if n not in venues
        ]
