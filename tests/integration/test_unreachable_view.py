"""Unreachable venues in `arb scan`: the view says why a venue is down, and log lines never write over it."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import time
from pathlib import Path

from tests.kit.run import ARB, arb_env, run_arb
from tests.test_exit_codes import dead_config

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


def test_status_names_the_reason_a_venue_is_down(tmp_path: Path) -> None:
    done = run_arb(
        "scan", "--config", str(dead_config(tmp_path)), "--no-ui", "--duration", "3", cwd=tmp_path, timeout_s=60
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    for venue in ("okx", "okx2"):
        v = summary["venues"][venue]
        assert v["status"] == "down" and v["reason"].startswith("ExchangeNotAvailable: okx GET http://127.0.0.1:"), v


def test_log_lines_go_through_the_live_view_not_around_it(tmp_path: Path) -> None:
    """With the rich view on a terminal, a log line is printed by the view's console (above the view);
    written to the original stderr it lands in the middle of the view and the next refresh repeats it."""
    cfg = dead_config(tmp_path)
    master, slave = pty.openpty()
    env = arb_env({"COLUMNS": "200", "LINES": "60", "TERM": "xterm-256color"})
    proc = subprocess.Popen(
        [*ARB, "scan", "--config", str(cfg), "--duration", "4"],
        cwd=tmp_path,
        env=env,
        stdin=slave,
        stdout=slave,
        stderr=subprocess.PIPE,
        text=False,
    )
    os.close(slave)
    screen = b""
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                screen += chunk
            elif proc.poll() is not None:
                break
        err = proc.stderr.read().decode() if proc.stderr else ""
        code = proc.wait(timeout=30)
    finally:
        proc.kill()
        os.close(master)
    text = " ".join(ANSI.sub("", screen.decode(errors="replace")).split())
    assert code == 0, err
    assert "feed.venue_down" not in err, err  # no log line went around the view ...
    assert "feed.venue_down venue=okx" in text  # ... it was printed through it
    assert "okx down: ExchangeNotAvailable: okx GET http://127.0.0.1:" in text, text[-3000:]
