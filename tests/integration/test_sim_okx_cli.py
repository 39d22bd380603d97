"""``arb sim`` as a process: prints a working ccxt config per venue, stops cleanly on SIGINT; throughput."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import signal
from pathlib import Path
from typing import Any

import ccxt.pro as ccxtpro
import pytest

from tests.kit.run import start_arb

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
async def test_arb_sim_prints_config_and_exits_zero_on_sigint() -> None:
    proc = await start_arb(
        "sim",
        "--venues",
        "okx",
        "--symbols",
        "BTC/USDT,ETH/USDT",
        "--seed",
        "4",
        "--update-ms",
        "20",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={"PYTHONPATH": str(ROOT)},
    )
    try:
        assert proc.stdout is not None
        line: dict[str, Any] = json.loads(await asyncio.wait_for(proc.stdout.readline(), 30))
        assert line["venue"] == "okx" and set(line["keys"]) == {"trader", "readonly", "withdraw"}
        ex = ccxtpro.okx(line["config"])
        try:
            assert set(await ex.load_markets()) == {"BTC/USDT", "ETH/USDT"}
            assert (await ex.watch_order_book("BTC/USDT"))["asks"]
            assert (await ex.fetch_balance())["USDT"]["free"] > 0
        finally:
            await ex.close()
    finally:
        proc.send_signal(signal.SIGINT)
        code = await asyncio.wait_for(proc.wait(), 15)
    assert code == 0


@pytest.mark.slow
async def test_sim_throughput_ten_symbols_at_least_1000_updates_per_second() -> None:
    spec = importlib.util.spec_from_file_location("sim_throughput", ROOT / "bench" / "sim_throughput.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    result = await bench.main(["--seconds", "2", "--update-ms", "5"])
    assert result["gaps"] == 0 and result["sim_exit"] == 0
    assert result["per_s"] >= 1000
