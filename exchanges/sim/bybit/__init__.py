"""Bybit v5 spot dialect of the loopback simulator (REST ``/v5/...``; WS ``/v5/public/spot``, ``/v5/private``)."""

from exchanges.sim.bybit.app import BybitServer, make_app

__all__ = ["BybitServer", "make_app"]
