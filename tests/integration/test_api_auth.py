"""Control API security: every endpoint (enumerated from the app's router) refuses a request without or with a
wrong token; failed authentications are rate-limited per client and journaled; the token is never in a
response or a log line; the token file is created 0600 on first use; tokens in URLs are refused."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import stat
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from arb.api.auth import is_public
from arb.api.context import ApiContext
from arb.api.reader import Reader
from arb.api.server import ApiServer, dashboard_routes
from arb.api.tokens import Tokens, load_tokens
from arb.core.errors import ConfigError
from arb.scan.scanner import Scanner
from arb.store import Journal

TOKEN = "s3cret-token-for-tests-0123456789"


def concrete(path: str) -> str:
    """A request path for a route: every ``{name}`` placeholder filled in."""
    return re.sub(r"\{[^}]+\}", "1", path)


def endpoints(app: Any) -> list[tuple[str, str]]:
    out = []
    for resource in app.router.resources():
        info = resource.get_info()
        path = info.get("path") or info.get("formatter") or info.get("prefix")
        for route in resource:
            if route.method != "HEAD":
                out.append((route.method, concrete(path)))
    return sorted(set(out))


@contextlib.asynccontextmanager
async def serve(tmp_path: Path, failures_per_min: int) -> AsyncIterator[tuple[ApiServer, Journal, Scanner]]:
    """An alert-only scanner's API on a real socket, with a real journal and its writer running."""
    journal = Journal.open(tmp_path / "arb.db")
    scanner = Scanner({}, ["BTC/USDT"], journal=journal, flush_ms=10)
    assert scanner.writer is not None
    writer = asyncio.create_task(scanner.writer.run())
    ctx = ApiContext(scanner, kill_file=tmp_path / "arb.kill", reader=Reader(tmp_path / "arb.db"))
    srv = ApiServer(ctx, Tokens({"ops": TOKEN}, "test"), failures_per_min=failures_per_min, status_s=0.05)
    await srv.start()
    try:
        yield srv, journal, scanner
    finally:
        await srv.stop()
        await scanner.writer.close()
        writer.cancel()
        journal.close()


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[tuple[ApiServer, Journal, Scanner]]:
    async with serve(tmp_path, failures_per_min=5) as s:
        yield s


async def test_every_endpoint_refuses_a_missing_or_wrong_token(tmp_path: Path) -> None:
    async with serve(tmp_path, failures_per_min=10_000) as (srv, _journal, _scanner):
        await every_endpoint_refuses(srv)


async def every_endpoint_refuses(srv: ApiServer) -> None:
    eps = endpoints(srv.app)
    page = {(r.method, concrete(r.path)) for r in dashboard_routes()}  # the dashboard: page and assets only
    assert all(is_public(p) for _m, p in page)
    protected = [(m, p) for m, p in eps if (m, p) not in page]
    assert ("GET", "/api/status") in protected and ("GET", "/metrics") in protected
    assert ("POST", "/api/kill") in protected and ("GET", "/api/stream") in protected
    assert len(protected) >= 18
    bad_headers: list[dict[str, str]] = [{}, {"Authorization": "Bearer wrong-token-0123456789abcdef"}]
    bad_headers += [{"Authorization": f"Basic {TOKEN}"}, {"Authorization": TOKEN}, {"Authorization": "Bearer "}]
    async with aiohttp.ClientSession() as http:
        for method, path in protected:
            for headers in bad_headers:
                async with http.request(method, srv.url + path, headers=headers, json={}) as r:
                    body = await r.text()
                    assert r.status == 401, (method, path, headers, r.status, body)
                    assert r.headers["WWW-Authenticate"].startswith("Bearer")
                    assert TOKEN not in body
        # public paths (the dashboard's page and assets) carry no run data
        for method, path in sorted(page):
            async with http.request(method, srv.url + path) as r:
                assert "run_id" not in await r.text()
        # with the token every endpoint answers (no 401), and never echoes the token
        auth = {"Authorization": f"Bearer {TOKEN}"}
        for method, path in protected:
            if path == "/api/stream":
                continue
            async with http.request(method, srv.url + path, headers=auth, json={}) as r:
                assert r.status not in (401, 429), (method, path)
                assert TOKEN not in await r.text()
                assert r.headers.get("Cache-Control") == "no-store"


async def test_unknown_paths_need_the_token_too(server: Any) -> None:
    srv, *_ = server
    async with aiohttp.ClientSession() as http:
        async with http.get(srv.url + "/api/nothing-here") as r:
            assert r.status == 401
        async with http.get(srv.url + "/api/nothing-here", headers={"Authorization": f"Bearer {TOKEN}"}) as r:
            assert r.status == 404


async def test_failed_authentications_are_rate_limited_and_journaled(server: Any, caplog: Any) -> None:
    srv, journal, scanner = server
    caplog.set_level(logging.DEBUG)
    wrong = {"Authorization": "Bearer not-the-token-0123456789"}
    async with aiohttp.ClientSession() as http:
        codes = []
        for _ in range(7):
            async with http.get(srv.url + "/api/status", headers=wrong) as r:
                codes.append(r.status)
        assert codes == [401] * 5 + [429] * 2
        async with http.get(srv.url + "/api/status", headers={"Authorization": f"Bearer {TOKEN}"}) as r:
            assert r.status == 429  # a right guess after the limit is not even checked
            assert r.headers["Retry-After"] == "60"
    await scanner.writer.flush()
    rows = journal.events(kind="auth_failed")
    assert len(rows) == 6  # five failures and one line for the refusals
    assert all("127.0.0.1 GET /api/status" in r["detail"] for r in rows)
    assert "wrong token" in rows[0]["detail"] and "429" in rows[-1]["detail"]
    text = caplog.text + "".join(str(r["detail"]) for r in journal.events())
    assert TOKEN not in text and "not-the-token-0123456789" not in text


async def test_a_token_in_the_url_is_refused(server: Any) -> None:
    srv, *_ = server
    auth = {"Authorization": f"Bearer {TOKEN}"}
    async with aiohttp.ClientSession() as http, http.get(srv.url + f"/api/status?token={TOKEN}", headers=auth) as r:
        assert r.status == 400
        assert "Authorization header" in (await r.json())["error"]


def test_token_file_is_created_0600_on_first_use_and_reused(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    first = load_tokens(None, env)
    path = tmp_path / "cfg" / "arb" / "api-token"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "created file" in first.source and str(path) in first.source
    again = load_tokens(None, env)
    assert again.by_name == first.by_name and again.source.startswith("file ")
    assert list(first.by_name) == ["operator"] and len(first.by_name["operator"]) >= 32
    assert first.by_name["operator"] not in repr(first)


def test_env_token_wins_and_a_readable_file_is_refused(tmp_path: Path) -> None:
    assert load_tokens(None, {"ARB_API_TOKEN": TOKEN}).who(TOKEN) == "env"
    path = tmp_path / "tok"
    path.write_text(f"alice {TOKEN}\nbob {TOKEN[::-1]}\n", encoding="utf-8")
    os.chmod(path, 0o644)
    with pytest.raises(ConfigError, match="0644 lets group or others read it"):
        load_tokens(str(path), {})
    os.chmod(path, 0o600)
    tokens = load_tokens(str(path), {})
    assert tokens.who(TOKEN) == "alice" and tokens.who(TOKEN[::-1]) == "bob" and tokens.who("x" * 40) is None
    with pytest.raises(ConfigError, match="shorter than 16"):
        load_tokens(None, {"ARB_API_TOKEN": "short"})


async def test_an_alert_only_run_refuses_trading_actions_but_kill_writes_the_file(server: Any, tmp_path: Path) -> None:
    srv, journal, scanner = server
    auth = {"Authorization": f"Bearer {TOKEN}"}
    async with aiohttp.ClientSession(base_url=srv.url, headers=auth) as http:
        for path in ("/api/pause", "/api/resume", "/api/exposures/1/ack"):
            async with http.post(path, json={}) as r:
                assert r.status == 409 and "alert-only" in (await r.json())["error"], path
        async with http.post("/api/directions/disable", data="not json") as r:
            assert r.status == 400
        async with http.post("/api/kill", json={"reason": "maintenance"}) as r:
            doc = await r.json()
            assert r.status == 200 and doc["who"] == "ops" and "nothing to stop" in doc["detail"]
        async with http.get("/api/episodes?limit=0") as r:
            assert r.status == 400
    assert "maintenance (control API, ops)" in (tmp_path / "arb.kill").read_text()
    await scanner.writer.flush()
    assert next(e["detail"] for e in journal.events(kind="control")).startswith("kill by ops: kill file")


def test_api_settings_resolve_from_config_and_options(tmp_path: Path, capsys: Any) -> None:
    from arb.api.launch import resolve
    from arb.config import Config

    env = {"ARB_API_TOKEN": TOKEN}
    assert resolve(Config.from_dict({}, env={}).api, None, None) is None  # off unless asked
    cfg = Config.from_dict({"api": {"enabled": True, "port": 0}}, env={}).api
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ARB_API_TOKEN", TOKEN)
        launch = resolve(cfg, None, None)
        assert launch is not None and (launch.host, launch.port) == ("127.0.0.1", 0)
        assert launch.tokens.who(TOKEN) == "env"
        assert resolve(cfg, "[::1]:9000", None) is not None
        with pytest.raises(ConfigError, match=re.escape("needs --api-allow-remote or api.allow_remote = true")):
            resolve(cfg, "10.1.2.3:8787", None)
        remote = Config.from_dict({"api": {"host": "0.0.0.0", "allow_remote": True}}, env={}).api
        assert resolve(remote, "0.0.0.0:0", None) is not None
        assert "WARNING: the control API listens on 0.0.0.0:0, not loopback" in capsys.readouterr().err
    with pytest.raises(
        ConfigError, match=r'api.host = "0.0.0.0": binding a non-loopback address needs api.allow_remote'
    ):
        Config.from_dict({"api": {"host": "0.0.0.0"}}, env=env)
    with pytest.raises(ConfigError, match=re.escape("api.port = 70000: must be an integer >= 0 and <= 65535")):
        Config.from_dict({"api": {"port": 70000}}, env=env)
