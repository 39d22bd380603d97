"""``[scale]``: where workers coordinate and how long a worker's lease lives (README "Scaling out").

``coordinator``: "" = in this process (the default: nothing to install); ``redis://…`` = shared by every worker
of every machine. The value checks live in :mod:`arb.config._scale_keys`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from arb.config._parse import _num
from arb.config._scale_keys import coordinator_url
from arb.config.sections import _key, _Section


@dataclass(frozen=True, slots=True)
class ScaleConfig(_Section):
    """``[scale]``: how workers share money and safety (README "Scaling out")."""

    _section: ClassVar[str] = "scale"

    coordinator: str = _key(
        "",
        '"" = one process coordinates itself (no Redis); "redis://HOST:PORT[/DB]" = every worker on every machine '
        "shares balances, limits, daily loss, halts and kill there (also: --coordinator)",
        coordinator_url,
    )
    lease_ms: int = _key(
        3000,
        "a worker's lease: without a heartbeat for this long its reservations are released and its partition "
        "may be taken over, milliseconds (500..60000)",
        _num(ge=500, le=60000, integer=True),
    )
    poll_ms: int = _key(
        100,
        "how often a worker reads the shared halts, kill and daily loss and shares its own, milliseconds "
        "(20..10000); a halt or kill any worker publishes wakes every worker at once, the poll is the fallback",
        _num(ge=20, le=10000, integer=True),
    )
