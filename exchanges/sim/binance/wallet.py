"""Binance capital: ``GET /sapi/v1/capital/config/getall`` (USER_DATA), one coin per entry with its
``networkList`` as Binance sends it: ``depositEnable``/``withdrawEnable`` follow the venue's
:class:`~exchanges.sim.wallets.Wallets` switch, ``withdrawFee``/``withdrawMin``/``withdrawMax``,
``withdrawIntegerMultiple``, ``minConfirm``/``unLockConfirm``; the coin's free/locked balance of the key's account.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from exchanges.sim.binance.rest import KEY, SAPI, endpoint, reply, server_of
from exchanges.sim.dialect_util import dec
from exchanges.sim.orders import Account
from exchanges.sim.wallets import Network

routes = web.RouteTableDef()


def network(n: Network, default: bool) -> dict[str, Any]:
    _okx, binance_id, *_rest, name = n.ids()
    return {
        "network": binance_id,
        "coin": n.currency,
        "withdrawIntegerMultiple": dec(n.withdraw_step),
        "isDefault": default,
        "depositEnable": n.deposit_enabled,
        "withdrawEnable": n.withdraw_enabled,
        "depositDesc": "" if n.deposit_enabled else "Wallet Maintenance, Deposit Suspended",
        "withdrawDesc": "" if n.withdraw_enabled else "Wallet Maintenance, Withdrawal Suspended",
        "specialTips": "",
        "specialWithdrawTips": "",
        "name": name,
        "resetAddressStatus": False,
        "addressRegex": "",
        "memoRegex": "^[0-9A-Za-z\\-_]{1,120}$" if n.needs_tag else "",
        "withdrawFee": dec(n.withdraw_fee),
        "withdrawMin": dec(n.withdraw_min),
        "withdrawMax": dec(n.withdraw_max),
        "withdrawInternalMin": dec(n.withdraw_step),
        "depositDust": dec(n.withdraw_step),
        "minConfirm": n.deposit_confirmations,
        "unLockConfirm": n.withdraw_confirmations,
        "sameAddress": n.needs_tag,
        "estimatedArrivalTime": 5,
        "busy": False,
        "contractAddressUrl": "",
        "contractAddress": "",
        "denomination": 1,
    }


def coin(ccy: str, nets: list[Network], acct: Account) -> dict[str, Any]:
    free, locked = acct.free(ccy), acct.frozen.get(ccy)
    return {
        "coin": ccy,
        "depositAllEnable": any(n.deposit_enabled for n in nets),
        "withdrawAllEnable": any(n.withdraw_enabled for n in nets),
        "name": ccy,
        "free": dec(free),
        "locked": dec(locked) if locked else "0",
        "freeze": "0",
        "withdrawing": "0",
        "ipoing": "0",
        "ipoable": "0",
        "storage": "0",
        "isLegalMoney": False,
        "trading": True,
        "networkList": [network(n, i == 0) for i, n in enumerate(nets)],
    }


@routes.get(SAPI + "/capital/config/getall")
@endpoint(10, "USER_DATA")
async def capital_config_getall(request: web.Request) -> web.Response:
    server, key = server_of(request), request[KEY]
    acct = server.engine.account(key.account)
    return reply([coin(ccy, nets, acct) for ccy, nets in server.wallets.networks.items()])
