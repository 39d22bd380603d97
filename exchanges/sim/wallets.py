"""Currencies and their deposit/withdrawal networks on a simulated venue, with a runtime suspend switch.

Every venue lists each currency its markets trade on the networks below, with a withdrawal fee and
minimum, confirmations, and deposit/withdraw flags; the dialects serve them at the venues' real
endpoints (OKX ``/api/v5/asset/currencies``, Binance ``/sapi/v1/capital/config/getall``, Bybit
``/v5/asset/coin/query-info``). Fees, minimums and confirmations are typical published values of
these networks, not recorded responses. A currency without an entry gets one native network with no
fee.

Runtime switch (tests of transfer awareness)::

    sim.venue("okx").wallets.set_enabled("USDT", "TRC20", withdraw=False)   # suspend USDT-TRC20 withdrawals
    sim.venue("okx").wallets.set_enabled("USDT", deposit=False)             # every USDT network's deposits
    sim.venue("okx").wallets.set_enabled("USDT", "TRC20", withdraw=True)    # resume

or ``sim.set_transfers(venue, currency, network=None, deposit=None, withdraw=None)`` on the harness.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

D = Decimal

# unified network code -> (OKX chain suffix, Binance network, Bybit chain, Bybit chainType, full name)
NETWORK_IDS: dict[str, tuple[str, str, str, str, str]] = {
    "BTC": ("Bitcoin", "BTC", "BTC", "BTC", "Bitcoin"),
    "ERC20": ("ERC20", "ETH", "ETH", "ERC20", "Ethereum (ERC20)"),
    "TRC20": ("TRC20", "TRX", "TRX", "TRC20", "Tron (TRC20)"),
    "SOL": ("Solana", "SOL", "SOL", "SOL", "Solana"),
    "XRP": ("Ripple", "XRP", "XRP", "XRP", "Ripple"),
    "DOGE": ("Dogecoin", "DOGE", "DOGE", "DOGE", "Dogecoin"),
    "ADA": ("Cardano", "ADA", "ADA", "ADA", "Cardano"),
    "LTC": ("Litecoin", "LTC", "LTC", "LTC", "Litecoin"),
    "AVAXC": ("Avalanche C-Chain", "AVAXC", "CAVAX", "CAVAX", "AVAX C-Chain"),
}


@dataclass(slots=True)
class Network:
    """One currency on one network: what a withdrawal costs and needs, and whether transfers are open."""

    currency: str
    network: str  # unified code (a key of NETWORK_IDS, or the currency itself for an unknown one)
    withdraw_fee: Decimal
    withdraw_min: Decimal
    withdraw_max: Decimal
    withdraw_step: Decimal  # withdrawal amount precision
    deposit_confirmations: int
    withdraw_confirmations: int  # confirmations before a deposit can be withdrawn again
    deposit_enabled: bool = True
    withdraw_enabled: bool = True
    needs_tag: bool = False

    def ids(self) -> tuple[str, str, str, str, str]:
        n = self.network
        return NETWORK_IDS.get(n, (n, n, n, n, n))


def _n(ccy: str, net: str, fee: str, wmin: str, step: str, dep_conf: int, wd_conf: int, tag: bool = False) -> Network:
    return Network(ccy, net, D(fee), D(wmin), D("10000000"), D(step), dep_conf, wd_conf, needs_tag=tag)


def default_networks(currency: str) -> list[Network]:
    """The networks ``currency`` is listed on (the same on every simulated venue)."""
    table = {
        "BTC": [_n("BTC", "BTC", "0.0001", "0.001", "0.00000001", 1, 2)],
        "ETH": [_n("ETH", "ERC20", "0.0016", "0.01", "0.00000001", 64, 64)],
        "USDT": [
            _n("USDT", "ERC20", "4", "10", "0.000001", 64, 64),
            _n("USDT", "TRC20", "1", "10", "0.000001", 20, 20),
        ],
        "USDC": [_n("USDC", "ERC20", "4", "10", "0.000001", 64, 64)],
        "SOL": [_n("SOL", "SOL", "0.008", "0.1", "0.000001", 32, 32)],
        "XRP": [_n("XRP", "XRP", "0.2", "20", "0.000001", 1, 1, tag=True)],
        "DOGE": [_n("DOGE", "DOGE", "4", "20", "0.00000001", 40, 40)],
        "ADA": [_n("ADA", "ADA", "0.8", "10", "0.000001", 15, 15)],
        "LTC": [_n("LTC", "LTC", "0.001", "0.01", "0.00000001", 4, 4)],
        "TRX": [_n("TRX", "TRC20", "1", "10", "0.000001", 20, 20)],
        "LINK": [_n("LINK", "ERC20", "0.3", "1", "0.00000001", 64, 64)],
        "AVAX": [_n("AVAX", "AVAXC", "0.01", "0.1", "0.00000001", 12, 12)],
    }
    return table.get(currency) or [_n(currency, currency, "0", "0", "0.00000001", 1, 1)]


class Wallets:
    """The currencies of one venue (every base and quote of its markets) and their networks."""

    def __init__(self, currencies: list[str]) -> None:
        self.networks: dict[str, list[Network]] = {c: default_networks(c) for c in sorted(set(currencies))}

    def get(self, currency: str) -> list[Network]:
        try:
            return self.networks[currency]
        except KeyError:
            raise KeyError(f"currency {currency!r} is not listed; listed: {', '.join(self.networks)}") from None

    def set_enabled(
        self, currency: str, network: str | None = None, *, deposit: bool | None = None, withdraw: bool | None = None
    ) -> None:
        """Suspend (False) or resume (True) deposits and/or withdrawals of ``currency`` on ``network`` (all when
        None). Unknown currency or network: KeyError naming what is listed."""
        nets = [n for n in self.get(currency) if network is None or n.network == network]
        if not nets:
            known = ", ".join(n.network for n in self.get(currency))
            raise KeyError(f"{currency} has no network {network!r}; networks: {known}")
        for n in nets:
            if deposit is not None:
                n.deposit_enabled = deposit
            if withdraw is not None:
                n.withdraw_enabled = withdraw
