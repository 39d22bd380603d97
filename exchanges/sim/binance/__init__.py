"""Binance spot dialect of the loopback simulator (REST ``/api/v3``, ``/sapi/v1``; WS ``/ws``, ``/ws-api/v3``)."""

from exchanges.sim.binance.app import BinanceServer, make_app

__all__ = ["BinanceServer", "make_app"]
