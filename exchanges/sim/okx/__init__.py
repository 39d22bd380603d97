"""OKX v5 dialect of the loopback simulator (REST ``/api/v5/...``, WS ``/ws/v5/{public,private,business}``)."""

from exchanges.sim.okx.app import OkxServer, make_app

__all__ = ["OkxServer", "make_app"]
