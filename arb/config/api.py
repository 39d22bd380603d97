"""``[api]``: the control API, dashboard and ``/metrics`` a running arb serves (:mod:`arb.api`).

The token never lives in the config: it comes from ``ARB_API_TOKEN`` or from ``token_file`` (created 0600
with a random token on first use). Binding a non-loopback ``host`` needs ``allow_remote = true``.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any, ClassVar

from arb.config._parse import _bool, _fail, _num
from arb.config.sections import _key, _Section
from arb.core.errors import ConfigError


def _host(path: str, v: Any) -> str:
    if not isinstance(v, str) or not v.strip() or any(c.isspace() or c in "/[]" for c in v):
        raise _fail(path, v, 'must be an IP address or host name to bind, e.g. "127.0.0.1"')
    return v


def _path_or_empty(path: str, v: Any) -> str:
    if not isinstance(v, str):
        raise _fail(path, v, 'must be a file path, or "" for the default ~/.config/arb/api-token')
    return v


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class ApiConfig(_Section):
    """``[api]``: the control API (status, stream, actions), the dashboard at ``/`` and ``/metrics``."""

    _section: ClassVar[str] = "api"

    enabled: bool = _key(
        False, "serve the control API, dashboard and /metrics from scan/run/demo (also: --api HOST:PORT)", _bool
    )
    host: str = _key("127.0.0.1", "address to bind; anything but loopback also needs allow_remote = true", _host)
    port: int = _key(8787, "TCP port to bind (0 = any free port, printed at start)", _num(ge=0, le=65535, integer=True))
    allow_remote: bool = _key(
        False, "allow binding a non-loopback host (the API can stop trading: put TLS and a firewall in front)", _bool
    )
    token_file: str = _key(
        "",
        "file with the bearer token(s) when ARB_API_TOKEN is not set, one per line, optionally 'NAME TOKEN'; "
        'created 0600 with a random token on first use; "" = ~/.config/arb/api-token',
        _path_or_empty,
    )
    auth_failures_per_min: int = _key(
        10, "failed authentications allowed per client address per minute before 429 (> 0)", _num(gt=0, integer=True)
    )
    stream_status_s: int = _key(1, "seconds between status messages on /api/stream (> 0)", _num(gt=0, integer=True))

    def __post_init__(self) -> None:
        _Section.__post_init__(self)
        if not self.allow_remote and not is_loopback(self.host):
            raise ConfigError(
                f'api.host = "{self.host}": binding a non-loopback address needs api.allow_remote = true '
                "(anyone who can reach it with the token can stop trading)"
            )
