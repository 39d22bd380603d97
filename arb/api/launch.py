"""How commands start the API beside their run: ``--api HOST:PORT`` / ``--api-token-file`` / ``[api]``.

:func:`resolve` turns the options and the ``[api]`` section into a :class:`Launch` (or None: no API) before
anything runs, so a bad address or token file is a one-line configuration error (exit 2).
:func:`serving` runs the server for the duration of a block and prints where it listens (stderr).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from arb.api.tokens import Tokens, load_tokens
from arb.config.api import ApiConfig, is_loopback
from arb.core.errors import ConfigError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Launch:
    host: str
    port: int
    tokens: Tokens
    failures_per_min: int = 10
    status_s: float = 1.0


def api_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``--api HOST:PORT``, ``--api-token-file PATH`` and ``--api-allow-remote`` for scan, run and demo."""
    fn = click.option(
        "--api-allow-remote",
        "api_allow_remote",
        is_flag=True,
        help="Allow --api on a non-loopback address (prints a warning; prefer a tunnel).",
    )(fn)
    fn = click.option(
        "--api-token-file",
        "api_token_file",
        default=None,
        help="Bearer token file for the API when ARB_API_TOKEN is unset (created 0600 on first use; "
        "default api.token_file or ~/.config/arb/api-token).",
    )(fn)
    return click.option(
        "--api",
        "api_addr",
        default=None,
        metavar="HOST:PORT",
        help="Serve the control API, dashboard and /metrics here (e.g. 127.0.0.1:8787; port 0 = any free port).",
    )(fn)


def _address(text: str) -> tuple[str, int]:
    host, sep, port = text.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise click.BadParameter(
            f"{text!r}: write HOST:PORT, e.g. 127.0.0.1:8787 (port 0 = any free port)", param_hint="--api"
        )
    return host, int(port)


def resolve(
    cfg: ApiConfig | None, api_addr: str | None, token_file: str | None, allow_remote: bool = False
) -> Launch | None:
    """The server to start, or None when neither ``--api`` nor ``api.enabled`` asks for one."""
    cfg = cfg or ApiConfig()
    if api_addr is None and not cfg.enabled:
        return None
    host, port = _address(api_addr) if api_addr is not None else (cfg.host, cfg.port)
    if not is_loopback(host):
        if not (allow_remote or cfg.allow_remote):
            raise ConfigError(
                f"--api {host}:{port}: binding a non-loopback address needs --api-allow-remote or "
                "api.allow_remote = true (anyone who reaches it with the token can stop trading)"
            )
        click.echo(
            f"WARNING: the control API listens on {host}:{port}, not loopback: anyone who can reach it and "
            "holds the token can pause or kill trading; put it behind a firewall and TLS",
            err=True,
        )
    tokens = load_tokens(token_file or cfg.token_file or None)
    return Launch(host, port, tokens, cfg.auth_failures_per_min, float(cfg.stream_status_s))


@contextlib.asynccontextmanager
async def serving(
    launch: Launch | None,
    scanner: Any,
    *,
    trader: Any | None = None,
    journal_path: str | None = None,
    kill_file: str | Path | None = None,
    risk: Any | None = None,
) -> AsyncIterator[Any]:
    """Serve the API while the block runs (nothing when ``launch`` is None); yields the server or None."""
    if launch is None:
        yield None
        return
    from arb.api.context import ApiContext
    from arb.api.reader import Reader
    from arb.api.server import ApiServer

    ctx = ApiContext(
        scanner,
        trader,
        kill_file=None if kill_file is None else Path(kill_file),
        risk=risk,
        reader=_reader(Reader, scanner, journal_path),
    )
    server = ApiServer(
        ctx,
        launch.tokens,
        host=launch.host,
        port=launch.port,
        failures_per_min=launch.failures_per_min,
        status_s=launch.status_s,
    )
    try:
        url = await server.start()
    except OSError as e:
        await server.stop()
        raise ConfigError(f"--api {launch.host}:{launch.port}: cannot listen there ({e.strerror or e})") from None
    click.echo(f"api: listening on {url} (token from {launch.tokens.source})", err=True)
    try:
        yield server
    finally:
        await server.stop()


def _reader(reader: Any, scanner: Any, journal_path: str | None) -> Any:
    """The history's reader: a session of its own on a PostgreSQL journal, the SQLite file otherwise; without
    a journal (none journaled) the endpoints serve what the run holds."""
    journal = getattr(scanner, "journal", None)
    if journal is not None and journal.backend == "postgres":
        return reader(backend=journal.reader_session())
    return reader(journal_path) if journal_path and Path(journal_path).is_file() else None
