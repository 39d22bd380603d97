"""One decision through the real executor, SIGKILLed at its first send: after the intents' commit, before any order.

``python crash_after_intents.py CONFIG BUY_PRICE SELL_PRICE``: the venues, keys and journal come from CONFIG
(keys from the environment, as ``arb run`` reads them); buys 0.001 BTC on okx and sells it on okx2. The
``may_send`` hook — the executor's last step before each send, where the trader checks the kill switch —
kills the process, so a crash "between the commit and the send" happens exactly there.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from decimal import Decimal

from arb.cli.common import make_exchanges
from arb.config.load import load_config
from arb.core.model import Fee, Leg, MarketSpec, Opportunity
from arb.store import Journal
from arb.trade.executor import SEND_CLIENT_OPTIONS, Executor

SYM = "BTC/USDT"


def die() -> str | None:
    os.kill(os.getpid(), signal.SIGKILL)
    return None


async def main(config: str, buy_px: Decimal, sell_px: Decimal) -> None:
    cfg = load_config(config)
    clients = make_exchanges(cfg, credentials=True)
    send = make_exchanges(cfg, credentials=True, extra=SEND_CLIENT_OPTIONS)
    for c in clients.values():
        await c.load_markets()
    journal = Journal.open(cfg.store.path)
    ex = Executor(
        clients,
        journal,
        run_id="crash",
        markets={(v, SYM): MarketSpec.from_ccxt(c.markets[SYM]) for v, c in clients.items()},
        fees={(v, SYM): Fee(Decimal("0.001")) for v in clients},
        order_expiry_ms=cfg.execution.order_expiry_ms,
        send_venues=send,
        may_send=die,
    )

    def leg(venue: str, side: str, price: Decimal) -> Leg:
        return Leg(venue, side, Decimal("0.001"), price, price, price, Decimal(0), 1)  # type: ignore[arg-type]

    z = Decimal(0)
    await ex.execute(
        "crash-opp", Opportunity(SYM, leg("okx", "buy", buy_px), leg("okx2", "sell", sell_px), z, z, z, z, z, z)
    )
    raise SystemExit("the executor sent without asking may_send")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Decimal(sys.argv[2]), Decimal(sys.argv[3])))
