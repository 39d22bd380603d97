"""OKX v5 wire formats: envelopes, instruments, orders, fills, balances, book frames, crc32 checksum.

Pure functions of simulator state. Field names and key sets follow OKX responses recorded in ccxt's
test data (see tests/fixtures/okx/). Every number goes out as a string, as OKX sends them.
"""

from __future__ import annotations

import zlib
from decimal import Decimal
from typing import Any

from exchanges.sim.dialect_util import dec
from exchanges.sim.market import Grid, SymbolSpec, VenueBook
from exchanges.sim.matching import Account, Fill, Order

UID = "448734566453412345"


def inst_id(symbol: str) -> str:
    return symbol.replace("/", "-")


def ok(data: list[Any], **extra: Any) -> dict[str, Any]:
    return {"code": "0", "data": data, "msg": "", **extra}


# ---------------------------------------------------------------------- public data
def inst_id_code(symbol: str) -> int:
    """The instrument's ``instIdCode`` (OKX's numeric id, which the WS trading ops may send instead of instId)."""
    return 1_000_000 + zlib.crc32(inst_id(symbol).encode()) % 9_000_000


def instrument(spec: SymbolSpec, state: str = "live") -> dict[str, Any]:
    return {
        "alias": "",
        "baseCcy": spec.base,
        "category": "1",
        "ctMult": "",
        "ctType": "",
        "ctVal": "",
        "ctValCcy": "",
        "expTime": "",
        "instFamily": "",
        "instId": inst_id(spec.symbol),
        "instIdCode": inst_id_code(spec.symbol),
        "instType": "SPOT",
        "lever": "10",
        "listTime": "1548133413000",
        "lotSz": dec(spec.lot),
        "maxIcebergSz": f"{dec(spec.max_size)}.0000000000000000",
        "maxLmtAmt": dec(spec.max_notional),
        "maxLmtSz": dec(spec.max_size),
        "maxMktAmt": dec(spec.max_market_notional),
        "maxMktSz": dec(spec.max_market_size),
        "maxStopSz": dec(spec.max_market_size),
        "maxTriggerSz": f"{dec(spec.max_size)}.0000000000000000",
        "maxTwapSz": f"{dec(spec.max_size)}.0000000000000000",
        "minSz": dec(spec.min_size),
        "optType": "",
        "quoteCcy": spec.quote,
        "ruleType": "normal",
        "settleCcy": "",
        "state": state,
        "stk": "",
        "tickSz": dec(spec.tick),
        "uly": "",
    }


# ---------------------------------------------------------------------- books
def level(grid: Grid, tick: int, lots: int) -> list[str]:
    if lots == 0:
        return [grid.price_str(tick), "0", "0", "0"]
    return [grid.price_str(tick), grid.size_str(lots), "0", str(1 + lots % 7)]


def checksum(bids: list[list[str]], asks: list[list[str]]) -> int:
    """OKX's book checksum: top 25 bids and asks interleaved as ``bid:size:ask:size:...``
    (the longer side continues alone), crc32 as a signed 32-bit integer."""
    parts: list[str] = []
    for i in range(25):
        if i < len(bids):
            parts.append(f"{bids[i][0]}:{bids[i][1]}")
        if i < len(asks):
            parts.append(f"{asks[i][0]}:{asks[i][1]}")
    value = zlib.crc32(":".join(parts).encode())
    return value - (1 << 32) if value >= 1 << 31 else value


def book_levels(book: VenueBook, depth: int | None = None) -> tuple[list[list[str]], list[list[str]]]:
    g = book.grid
    bids = [level(g, t, n) for t, n in book.sorted_levels("bid")[:depth]]
    asks = [level(g, t, n) for t, n in book.sorted_levels("ask")[:depth]]
    return bids, asks


def books_snapshot(book: VenueBook, ts_ms: int, channel: str = "books") -> dict[str, Any]:
    bids, asks = book_levels(book, 400)
    return {
        "arg": {"channel": channel, "instId": inst_id(book.symbol)},
        "action": "snapshot",
        "data": [
            {
                "asks": asks,
                "bids": bids,
                "ts": str(ts_ms),
                "checksum": checksum(bids[:25], asks[:25]),
                "prevSeqId": -1,
                "seqId": book.seq,
            }
        ],
    }


def books_update(
    book: VenueBook, bids: list[list[str]], asks: list[list[str]], prev_seq: int, ts_ms: int
) -> dict[str, Any]:
    top_bids, top_asks = book_levels(book, 25)
    return {
        "arg": {"channel": "books", "instId": inst_id(book.symbol)},
        "action": "update",
        "data": [
            {
                "asks": asks,
                "bids": bids,
                "ts": str(ts_ms),
                "checksum": checksum(top_bids, top_asks),
                "prevSeqId": prev_seq,
                "seqId": book.seq,
            }
        ],
    }


def books_top(book: VenueBook, ts_ms: int, channel: str, depth: int) -> dict[str, Any]:
    """``books5`` / ``bbo-tbt``: a full top-N snapshot without ``action``."""
    bids, asks = book_levels(book, depth)
    data: dict[str, Any] = {"asks": asks, "bids": bids, "ts": str(ts_ms), "seqId": book.seq}
    if channel == "books5":
        data["instId"] = inst_id(book.symbol)
    return {"arg": {"channel": channel, "instId": inst_id(book.symbol)}, "data": [data]}


# ---------------------------------------------------------------------- orders
def ord_type(order: Order) -> str:
    if order.type == "market":
        return "market"
    return {"GTC": "limit", "IOC": "ioc", "FOK": "fok", "PO": "post_only"}[order.tif]


def order_dict(order: Order, spec: SymbolSpec, fill: Fill | None = None) -> dict[str, Any]:
    last = fill or order.last_fill
    return {
        "accFillSz": dec(order.filled),
        "algoClOrdId": "",
        "algoId": "",
        "attachAlgoClOrdId": "",
        "attachAlgoOrds": [],
        "avgPx": dec(order.avg_price),
        "cTime": str(order.created_ms),
        "cancelSource": "",
        "cancelSourceReason": "",
        "category": "normal",
        "ccy": "",
        "clOrdId": order.client_id,
        "fee": dec(-order.fee),
        "feeCcy": order.fee_currency,
        "fillPx": dec(last.price) if last else "",
        "fillSz": dec(last.amount) if last else "0",
        "fillTime": str(last.ts_ms) if last else "",
        "instId": inst_id(order.symbol),
        "instType": "SPOT",
        "lever": "",
        "ordId": order.order_id,
        "ordType": ord_type(order),
        "pnl": "0",
        "posSide": "",
        "px": dec(order.price),
        "pxType": "",
        "pxUsd": "",
        "pxVol": "",
        "quickMgnType": "",
        "rebate": "0",
        "rebateCcy": spec.quote if order.side == "buy" else spec.base,
        "reduceOnly": "false",
        "side": order.side,
        "slOrdPx": "",
        "slTriggerPx": "",
        "slTriggerPxType": "",
        "source": "",
        "state": order.status,
        "stpId": "",
        "stpMode": "cancel_maker",
        "sz": dec(order.amount),
        "tag": order.tag,
        "tdMode": "cash",
        "tgtCcy": "quote_ccy" if order.quote_amount else "",
        "tpOrdPx": "",
        "tpTriggerPx": "",
        "tpTriggerPxType": "",
        "tradeId": last.trade_id if last else "",
        "uTime": str(order.updated_ms),
    }


def order_push(order: Order, spec: SymbolSpec, fill: Fill | None, mid: float) -> dict[str, Any]:
    """One entry of the WS ``orders`` channel (order fields plus the fill that caused the push)."""
    d = order_dict(order, spec, fill)
    d.update(
        {
            "amendResult": "",
            "amendSource": "",
            "code": "0",
            "execType": ("T" if not fill.maker else "M") if fill else "",
            "fillFee": dec(-fill.fee) if fill else "0",
            "fillFeeCcy": fill.fee_currency if fill else "",
            "fillNotionalUsd": dec(fill.amount * fill.price) if fill else "",
            "fillPnl": "0",
            "msg": "",
            "notionalUsd": f"{float(order.amount) * mid:.8f}",
            "reqId": "",
            "fillSz": dec(fill.amount) if fill else "0",
            "fillPx": dec(fill.price) if fill else "",
            "fillTime": str(fill.ts_ms) if fill else "",
            "tradeId": fill.trade_id if fill else "",
        }
    )
    return d


def fill_dict(order: Order, fill: Fill, maker_fee: Decimal, taker_fee: Decimal) -> dict[str, Any]:
    return {
        "side": order.side,
        "fillSz": dec(fill.amount),
        "fillPx": dec(fill.price),
        "fillPxVol": "",
        "fillFwdPx": "",
        "fee": dec(-fill.fee),
        "fillPnl": "0",
        "ordId": order.order_id,
        "feeRate": dec(-(maker_fee if fill.maker else taker_fee)),
        "instType": "SPOT",
        "fillPxUsd": "",
        "instId": inst_id(order.symbol),
        "clOrdId": order.client_id,
        "posSide": "net",
        "billId": str(int(fill.trade_id) * 10 + 1),
        "fillMarkVol": "",
        "tag": order.tag,
        "fillTime": str(fill.ts_ms),
        "execType": "M" if fill.maker else "T",
        "fillIdxPx": "",
        "tradeId": fill.trade_id,
        "fillMarkPx": "",
        "feeCcy": fill.fee_currency,
        "ts": str(fill.ts_ms),
    }


# ---------------------------------------------------------------------- account
_DETAIL_BLANK = (
    "accAvgPx",
    "clSpotInUseAmt",
    "imr",
    "maxSpotInUse",
    "mgnRatio",
    "mmr",
    "notionalLever",
    "openAvgPx",
    "rewardBal",
    "spotBal",
    "spotInUseAmt",
    "spotUpl",
    "spotUplRatio",
    "totalPnl",
    "totalPnlRatio",
)
_DETAIL_ZERO = (
    "borrowFroz",
    "colBorrAutoConversion",
    "crossLiab",
    "disEq",
    "fixedBal",
    "interest",
    "isoEq",
    "isoLiab",
    "isoUpl",
    "liab",
    "maxLoan",
    "smtSyncEq",
    "spotCopyTradingEq",
    "spotIsoBal",
    "stgyEq",
    "twap",
    "upl",
    "uplLiab",
)


def balance(account: Account, usd_price: dict[str, float], ts_ms: int, ccys: set[str] | None) -> dict[str, Any]:
    details = []
    total_usd = 0.0
    for ccy in sorted(account.balances):
        if ccys and ccy not in ccys:
            continue
        total = account.balances[ccy]
        frozen = account.frozen.get(ccy, Decimal(0))
        eq_usd = float(total) * usd_price.get(ccy, 0.0)
        total_usd += eq_usd
        d: dict[str, Any] = dict.fromkeys(_DETAIL_BLANK, "")
        d.update(dict.fromkeys(_DETAIL_ZERO, "0"))
        d.update(
            {
                "availBal": dec(total - frozen),
                "availEq": dec(total - frozen),
                "cashBal": dec(total),
                "ccy": ccy,
                "collateralEnabled": False,
                "collateralRestrict": False,
                "eq": dec(total),
                "eqUsd": f"{eq_usd:.8f}",
                "frozenBal": dec(frozen),
                "ordFrozen": dec(frozen),
                "uTime": str(ts_ms),
            }
        )
        details.append(dict(sorted(d.items())))
    return {
        "adjEq": "",
        "availEq": "",
        "borrowFroz": "",
        "details": details,
        "imr": "",
        "isoEq": "0",
        "mgnRatio": "",
        "mmr": "",
        "notionalUsd": "",
        "notionalUsdForBorrow": "",
        "notionalUsdForFutures": "",
        "notionalUsdForOption": "",
        "notionalUsdForSwap": "",
        "ordFroz": "",
        "totalEq": f"{total_usd:.8f}",
        "uTime": str(ts_ms),
        "upl": "",
    }


def trade_fee(maker: Decimal, taker: Decimal, ts_ms: int) -> dict[str, Any]:
    return {
        "category": "1",
        "delivery": "",
        "exercise": "",
        "feeGroup": [{"elpMaker": dec(-maker), "groupId": "1", "maker": dec(-maker), "taker": dec(-taker)}],
        "fiat": [],
        "instType": "SPOT",
        "level": "Lv1",
        "maker": dec(-maker),
        "makerU": "",
        "makerUSDC": "",
        "ruleType": "normal",
        "settle": "",
        "taker": dec(-taker),
        "takerU": "",
        "takerUSDC": "",
        "ts": str(ts_ms),
    }


def account_config(permissions: frozenset[str], ip_whitelist: tuple[str, ...], label: str) -> dict[str, Any]:
    perm = ",".join(
        p
        for p in ("read_only", "withdraw", "trade")
        if (p == "read_only" and "read" in permissions) or p in permissions
    )
    return {
        "acctLv": "1",
        "autoLoan": False,
        "ctIsoMode": "automatic",
        "greeksType": "PA",
        "ip": ",".join(ip_whitelist),
        "kycLv": "2",
        "label": label,
        "level": "Lv1",
        "levelTmp": "",
        "liquidationGear": "-1",
        "mainUid": UID,
        "mgnIsoMode": "automatic",
        "opAuth": "0",
        "perm": perm,
        "posMode": "net_mode",
        "roleType": "0",
        "spotOffsetType": "",
        "spotRoleType": "0",
        "spotTraderInsts": [],
        "traderInsts": [],
        "uid": UID,
    }
