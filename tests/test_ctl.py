"""`arb ctl` as users run it (subprocesses) against a running `arb demo --paper --api 127.0.0.1:0`:
exit 0 done, 1 server/runtime error, 2 usage or authentication; one line on stderr, no traceback, never
the token. Also the server side of the command line: `--api` on a non-loopback address needs an explicit
setting, the token file is created 0600 and its token is never printed."""

from __future__ import annotations

import json
import os
import re
import socket
import stat
import subprocess
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.kit.run import ARB, arb_env, run_arb

pytestmark = pytest.mark.slow  # subprocesses: a demo run and one `arb` per command

TOKEN = "ctl-test-token-0123456789abcdefgh"
LISTENING = re.compile(r"api: listening on (http://\S+)")


def wait_for_url(errfile: Path, proc: subprocess.Popen[str], timeout_s: float = 60) -> str:
    """The address the server printed (polled under a deadline: the line has no event to await)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        m = LISTENING.search(errfile.read_text(encoding="utf-8", errors="replace"))
        if m:
            return m.group(1)
        assert proc.poll() is None, errfile.read_text()
        time.sleep(0.05)
    raise TimeoutError(f"no 'api: listening' line: {errfile.read_text()}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("ctl")
    err = tmp / "stderr.txt"
    args = ["demo", "--paper", "--no-ui", "--duration", "90", "--symbols", "BTC/USDT", "--venues", "okx,binance"]
    args += ["--db", str(tmp / "demo.db"), "--api", "127.0.0.1:0"]
    with open(tmp / "stdout.txt", "w") as out, open(err, "w") as errf:
        proc = subprocess.Popen(
            [*ARB, *args], env=arb_env({"ARB_API_TOKEN": TOKEN}), stdout=out, stderr=errf, text=True
        )
        try:
            url = wait_for_url(err, proc)
            yield {"url": url, "tmp": tmp, "proc": proc, "err": err}
        finally:
            proc.terminate()
            proc.wait(30)
    assert TOKEN not in err.read_text() + (tmp / "stdout.txt").read_text()


def parallel(*calls: Callable[[], Any]) -> list[Any]:
    """Independent commands at once (each is a subprocess: most of their time is Python starting)."""
    with ThreadPoolExecutor(len(calls)) as pool:
        return [f.result() for f in [pool.submit(c) for c in calls]]


def ctl(server: dict[str, Any], *args: str, token: str | None = TOKEN, url: str | None = None) -> Any:
    env = {"ARB_API_TOKEN": token} if token is not None else {"XDG_CONFIG_HOME": str(server["tmp"] / "none")}
    proc = run_arb("ctl", "--url", url or server["url"], *args, env=env, timeout_s=60)
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    assert TOKEN not in proc.stdout + proc.stderr
    if proc.returncode:
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert proc.stderr.startswith("arb"), proc.stderr
    return proc


def test_status_json(server: dict[str, Any]) -> None:
    p = ctl(server, "status", "--json")
    assert p.returncode == 0
    doc = json.loads(p.stdout)
    assert doc["mode"] == "paper" and doc["trading"] is True and "okx" in doc["venues"]


def test_pause_resume_and_directions(server: dict[str, Any]) -> None:
    p = ctl(server, "pause", "--reason", "deploy")
    assert p.returncode == 0 and p.stdout.startswith("pause by env:")
    assert json.loads(ctl(server, "status", "--json").stdout)["paused"] is True
    assert ctl(server, "resume").returncode == 0
    assert ctl(server, "disable", "BTC/USDT/okx/binance").returncode == 0
    st = json.loads(ctl(server, "status", "--json").stdout)
    assert st["paused"] is False and list(st["operator_disabled"]) == ["BTC/USDT/okx/binance"]
    assert ctl(server, "enable", "BTC/USDT/okx/binance").returncode == 0
    bad = ctl(server, "disable", "BTC/USDT/okx")  # not SYMBOL/BUY/SELL: the server says 400 -> usage
    assert bad.returncode == 2 and "SYMBOL/BUY_VENUE/SELL_VENUE" in bad.stderr


def test_exposures_unknown_id_is_a_server_refusal(server: dict[str, Any]) -> None:
    missing = ctl(server, "exposures", "ack", "999999")
    assert missing.returncode == 1 and "404" in missing.stderr


def test_auth_and_usage_errors_exit_2_and_an_unreachable_server_exits_1(server: dict[str, Any]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    wrong, none, down, usage = parallel(
        lambda: ctl(server, "status", token="wrong-token-0123456789abcdef"),
        lambda: ctl(server, "status", token=None),
        lambda: ctl(server, "status", url=f"http://127.0.0.1:{port}"),
        lambda: ctl(server, "disable"),  # missing DIRECTION
    )
    assert wrong.returncode == 2 and "401" in wrong.stderr
    assert none.returncode == 2 and "no API token found; export ARB_API_TOKEN or pass --token-file" in none.stderr
    assert down.returncode == 1 and "cannot reach" in down.stderr
    assert usage.returncode == 2


def test_kill_turns_the_run_alert_only(server: dict[str, Any]) -> None:
    p = ctl(server, "kill", "--reason", "ctl test")
    assert p.returncode == 0 and "kill file" in p.stdout
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:  # the supervisor polls the kill file every 0.1 s
        text = ctl(server, "status").stdout
        if "HALTED" in text:
            break
    assert "mode paper: HALTED kill:" in text and "ctl test" in text


def test_api_on_a_non_loopback_address_needs_an_explicit_setting(tmp_path: Path) -> None:
    refused, p, bad = parallel(
        lambda: run_arb("demo", "--duration", "1", "--no-ui", "--api", "0.0.0.0:0", env={"ARB_API_TOKEN": TOKEN}),
        lambda: run_arb(
            "demo",
            "--duration",
            "2",
            "--no-ui",
            "--symbols",
            "BTC/USDT",
            "--db",
            str(tmp_path / "d.db"),
            "--api",
            "0.0.0.0:0",
            "--api-allow-remote",
            "--api-token-file",
            str(tmp_path / "tok"),
            timeout_s=90,
        ),
        lambda: run_arb("demo", "--duration", "1", "--no-ui", "--api", "localhost:http"),
    )
    assert refused.returncode == 2 and "--api-allow-remote" in refused.stderr and "Traceback" not in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert p.returncode == 0, p.stderr
    assert "WARNING: the control API listens on 0.0.0.0:0, not loopback" in p.stderr
    assert LISTENING.search(p.stderr) and f"token from created file {tmp_path / 'tok'}" in p.stderr
    token = (tmp_path / "tok").read_text().split()[1]
    assert stat.S_IMODE(os.stat(tmp_path / "tok").st_mode) == 0o600 and token not in p.stdout + p.stderr
    assert bad.returncode == 2 and "HOST:PORT" in bad.stderr
