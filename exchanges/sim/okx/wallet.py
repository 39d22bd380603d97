"""OKX v5 funding: ``GET /api/v5/asset/currencies`` (one entry per currency and chain), as OKX sends it.

``canDep``/``canWd`` follow the venue's :class:`~exchanges.sim.wallets.Wallets` switch; ``fee`` is the
withdrawal fee, ``minWd`` the minimum, ``wdTickSz`` the withdrawal amount decimals,
``minDepArrivalConfirm``/``minWdUnlockConfirm`` the confirmations.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from exchanges.sim.dialect_util import dec
from exchanges.sim.okx.rest import P, private, reply, server_of
from exchanges.sim.wallets import Network

routes = web.RouteTableDef()


def currency_chain(n: Network) -> dict[str, Any]:
    okx_chain, *_rest, name = n.ids()
    decimals = max(0, -n.withdraw_step.normalize().as_tuple().exponent)  # type: ignore[operator]
    return {
        "burningFeeRate": "",
        "canDep": n.deposit_enabled,
        "canInternal": n.withdraw_enabled,
        "canWd": n.withdraw_enabled,
        "ccy": n.currency,
        "chain": f"{n.currency}-{okx_chain}",
        "ctAddr": "",
        "depEstOpenTime": "",
        "depQuotaFixed": "",
        "depQuoteDailyLayer2": "",
        "fee": dec(n.withdraw_fee),
        "logoLink": "",
        "mainNet": True,
        "maxFee": dec(n.withdraw_fee * 2),
        "maxFeeForCtAddr": "",
        "maxWd": dec(n.withdraw_max),
        "minDep": dec(n.withdraw_min / 2),
        "minDepArrivalConfirm": str(n.deposit_confirmations),
        "minFee": dec(n.withdraw_fee),
        "minFeeForCtAddr": "",
        "minInternal": dec(n.withdraw_step),
        "minWd": dec(n.withdraw_min),
        "minWdUnlockConfirm": str(n.withdraw_confirmations),
        "name": name if n.network == n.currency else n.currency,
        "needTag": n.needs_tag,
        "usedDepQuotaFixed": "",
        "usedWdQuota": "0",
        "wdEstOpenTime": "",
        "wdQuota": "10000000",
        "wdTickSz": str(decimals),
    }


@routes.get(P + "/asset/currencies")
@private("asset/currencies", "read")
async def asset_currencies(request: web.Request) -> web.Response:
    server = server_of(request)
    wanted = {c for c in request.query.get("ccy", "").split(",") if c}
    nets = [n for ccy, ns in server.wallets.networks.items() if not wanted or ccy in wanted for n in ns]
    return reply([currency_chain(n) for n in nets])
