"""The dashboard in a real browser (headless Debian Chromium via Playwright) against a real ``arb`` subprocess.

- a wrong token — typed in, or left in the tab from an earlier server — shows the login state and no data;
- a dislocation planted on the loopback venues shows on the page within 2 s of the scanner journaling its
  episode (the DOM wait starts once the journal row exists and has a 2 s deadline);
- the pause and resume buttons act after their dialog (journaled with who acted);
- an open exposure's row: Acknowledge and Flatten, each after its dialog (journaled with who acted; the flatten's
  hedge sells the held base and closes the exposure);
- the kill button, confirmed in its dialog, stops trading: the journal holds the kill halt and the operator's
  control event, the page shows the run halted and alert-only, and no order follows while opportunities do;
- the page's stream reader turns any chunking of the event stream into whole messages, in order;
- on ``arb demo --paper`` the money on the page is the API's exact text, and the test takes the README's
  screenshot (``ARB_SCREENSHOT=docs/dashboard.png`` copies it there).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from arb.api import dashboard
from exchanges.sim.harness import default_balances
from tests.browser.harness import served
from tests.kit.builders import toml_text
from tests.kit.live import config_dict, key_env, plant, start_sim
from tests.kit.poll import eventually

TOKEN = "dashboard-test-token-0123456789abcdef"
VENUES = ("okx", "okx2")
CONTROL = "SELECT * FROM events WHERE kind = 'control' AND detail LIKE ?"
SHOWN_WITHIN_MS = 2000  # the bound: the page shows an episode within 2 s of its journal row

pytestmark = [pytest.mark.slow]


def rows(db: Path, sql: str, *args: Any) -> list[sqlite3.Row]:
    """Rows of the run's journal, read-only (the run keeps writing it)."""
    if not db.exists():
        return []
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    con.row_factory = sqlite3.Row
    try:
        return list(con.execute(sql, args))
    except sqlite3.OperationalError:  # the schema is not there yet
        return []
    finally:
        con.close()


def token_file(tmp: Path) -> Path:
    """A token file naming its holder ``ops`` (the journal says who acted), 0600 as the API demands."""
    path = tmp / "api-token"
    path.write_text(f"ops {TOKEN}\n", encoding="utf-8")
    path.chmod(0o600)
    return path


async def sign_in(page: Any, token: str) -> None:
    await page.fill("#token", token)
    await page.click("#login-submit")


async def assert_login_state_without_data(page: Any) -> None:
    await page.wait_for_selector("#login-error:not(:empty)", timeout=10_000)
    assert await page.is_visible("#login") and not await page.is_visible("#dash")
    assert await page.evaluate("sessionStorage.length") == 0  # a refused token is not kept
    filled = await page.evaluate(
        "[...document.querySelectorAll('#dash tbody tr')].length"
        " + [...document.querySelectorAll('#dash .card .value')].filter(e => e.textContent !== '—').length"
    )
    assert filled == 0
    body = await page.text_content("body")  # hidden parts too
    for datum in ("okx", "BTC/USDT", "paper"):
        assert datum not in body


@pytest.mark.timeout(90)
async def test_wrong_token_planted_episode_and_kill(browser_page: Any, tmp_path: Path) -> None:
    page = browser_page
    sim = await start_sim(VENUES, update_interval_ms=25)
    try:
        balances = {v: {k: str(x) for k, x in default_balances(sim.market).items()} for v in VENUES}
        cfg = config_dict(sim, VENUES, tmp_path, mode="paper", fee_bps=5, execution={"paper_balances": balances})
        (tmp_path / "arb.toml").write_text(toml_text(cfg), encoding="utf-8")
        db = Path(cfg["store"]["paper_path"])
        args = ("run", "--config", str(tmp_path / "arb.toml"), "--no-ui", "--api-token-file", str(token_file(tmp_path)))
        async with served(*args, env={}) as arb:
            api_replies: list[tuple[str, int]] = []
            page.on("response", lambda r: api_replies.append((r.url, r.status)) if "/api/" in r.url else None)
            await page.goto(arb.url)

            # a wrong token: the login state, an error, no data; the API answered 401 to everything asked
            await page.wait_for_selector("#login:not([hidden])")
            await sign_in(page, "not-the-token-0123456789abcdef")
            await assert_login_state_without_data(page)
            assert api_replies and {status for _, status in api_replies} == {401}
            # a token left in the tab that the server no longer accepts: the same, straight after loading
            await page.evaluate("sessionStorage.setItem('arb.api.token', 'an-old-token-0123456789abcdef')")
            await page.reload()
            await assert_login_state_without_data(page)

            await sign_in(page, TOKEN)
            await page.wait_for_selector("#dash:not([hidden])")
            await page.wait_for_selector("#conn[data-state='live']")  # the stream is open
            await page.wait_for_selector("#venues tr[data-venue='okx2']")

            # a planted dislocation: okx2 rich, buy okx and sell okx2; its journal row, then the page
            before = {r["id"] for r in rows(db, "SELECT id FROM episodes")}
            plant(sim, "okx2", 40.0)
            found = await eventually(
                lambda: [
                    r
                    for r in rows(db, "SELECT * FROM episodes WHERE buy_venue = 'okx' AND sell_venue = 'okx2'")
                    if r["id"] not in before
                ],
                timeout_s=20,
                interval_s=0.005,
                what="the planted episode's journal row",
            )
            episode = found[0]["id"]
            await page.wait_for_selector(f"tr[data-episode-id='{episode}']", timeout=SHOWN_WITHIN_MS)
            cells = await page.inner_text(f"tr[data-episode-id='{episode}']")
            assert "BTC/USDT" in cells and "okx → okx2" in cells

            # pause and resume: each after its dialog, journaled with who acted, the page follows
            for action, other in (("pause", "resume"), ("resume", "pause")):
                await page.click(f"#{action}")
                await page.wait_for_selector("#confirm[open]")
                await page.click("#confirm-ok")
                await page.wait_for_selector(f"#{other}:not([hidden])", timeout=10_000)
                await eventually(lambda a=action: rows(db, CONTROL, f"{a} by ops%"), what=f"the {action} journaled")
            await page.wait_for_function("!document.getElementById('mode').textContent.includes('paused')")

            # the kill button: a confirmation dialog first; cancelling it changes nothing
            await page.click("#kill")
            await page.wait_for_selector("#confirm[open]")
            await page.click("#confirm-cancel")
            await page.wait_for_selector("#confirm", state="hidden")
            assert rows(db, "SELECT * FROM events WHERE kind = 'halt' OR detail LIKE 'kill%'") == []
            await page.click("#kill")
            await page.wait_for_selector("#confirm[open]")
            await page.fill("#confirm-reason", "dashboard test")
            await page.click("#confirm-ok")
            halt = await eventually(  # the kill's halt is journaled as an event (the kill file itself is durable)
                lambda: rows(db, "SELECT * FROM events WHERE kind = 'halt' AND detail LIKE '%halted: kill%'"),
                timeout_s=15,
                what="the kill halt",
            )
            assert "dashboard test" in halt[0]["detail"]
            killed = rows(db, CONTROL, "kill by ops%")  # the operator's action, journaled with who
            assert killed
            await page.wait_for_selector("#halt:not([hidden])", timeout=10_000)
            assert "halted: kill" in await page.inner_text("#halt")
            assert "alert-only" in await page.inner_text("#mode")
            assert await page.is_disabled("#kill")
            await page.wait_for_selector("#halts tr[data-reason='kill']", timeout=10_000)

            # trading stopped: a new opportunity (okx richer now: buy okx2, sell okx) is refused, and no order
            # reached a venue after the kill (an intent committed after it is journaled "not sent", never sent)
            plant(sim, "okx", 80.0)
            refused = await eventually(
                lambda: [d for d in halted_decisions(db, halt[0]["ts_ms"]) if (d["buy"], d["sell"]) == ("okx2", "okx")],
                timeout_s=20,
                what="the new opportunity refused after the kill",
            )
            assert refused[0]["verdict"] == "halted_kill"
            after = rows(db, "SELECT * FROM orders WHERE created_ms >= ?", killed[0]["ts_ms"])
            assert all(o["state"] == "rejected" and o["reason"].startswith("not sent") for o in after), after
            assert rows(db, "SELECT * FROM orders WHERE venue = 'okx2' AND side = 'buy'") == []
            code = await arb.stop()
        assert code == 0, arb.err()
        assert "Traceback" not in arb.err()
    finally:
        await sim.stop()


def halted_decisions(db: Path, since_ms: int) -> list[dict[str, Any]]:
    """The gate's journaled decisions since the kill that refused because trading is halted."""
    out = []
    for r in rows(db, "SELECT detail FROM events WHERE kind = 'decision' AND ts_ms >= ?", since_ms):
        d = json.loads(r["detail"])
        assert d["verdict"] != "accept", f"an opportunity was accepted after the kill: {d}"
        if d["verdict"].startswith("halted"):
            out.append(d)
    return out


@pytest.mark.timeout(90)
async def test_an_open_exposure_is_acknowledged_then_flattened_from_its_row(browser_page: Any, tmp_path: Path) -> None:
    """A live run whose sell leg is refused holds the bought base (on_partial = hold): its exposure row carries
    Acknowledge and Flatten; each acts after its dialog, journaled with who acted, and the flatten's hedge closes it."""
    page = browser_page
    sim = await start_sim(VENUES, update_interval_ms=25)
    try:
        cfg = config_dict(sim, VENUES, tmp_path, execution={"on_partial": "hold"})
        (tmp_path / "arb.toml").write_text(toml_text(cfg), encoding="utf-8")
        db = Path(cfg["store"]["path"])
        args = ("run", "--config", str(tmp_path / "arb.toml"), "--live", "--yes", "--no-ui")
        async with served(*args, "--api-token-file", str(token_file(tmp_path)), env=key_env(sim, VENUES)) as arb:
            await page.goto(arb.url)
            await sign_in(page, TOKEN)
            await page.wait_for_selector("#dash:not([hidden])")
            await page.wait_for_selector("#conn[data-state='live']")
            sim.venue("okx2").faults.reject_rate = 1.0  # the sell leg is refused: the bought BTC stays on okx
            plant(sim, "okx2", 40.0)
            (exposure,) = await eventually(
                lambda: rows(db, "SELECT * FROM exposures WHERE state = 'open'"), timeout_s=20, what="an open exposure"
            )
            sim.venue("okx2").faults.reject_rate = 0.0
            sim.market.schedule.clear()  # the dislocation ends: nothing new trades while the exposure is settled
            row = f"#exposures tr[data-exposure-id='{exposure['id']}']"
            await page.wait_for_selector(row, timeout=10_000)

            await page.click(f"{row} button[data-exposure-action='ack']")
            await page.wait_for_selector("#confirm[open]")
            assert f"#{exposure['id']}" in await page.inner_text("#confirm-title")
            await page.fill("#confirm-reason", "seen on the desk")
            await page.click("#confirm-ok")
            acked = await eventually(lambda: rows(db, CONTROL, "ack_exposure by ops%"), what="the ack journaled")
            assert "seen on the desk" in acked[0]["detail"]
            assert rows(db, "SELECT state FROM exposures WHERE id = ?", exposure["id"])[0]["state"] == "open"

            await page.click(f"{row} button[data-exposure-action='flatten']")
            await page.wait_for_selector("#confirm[open]")
            await page.click("#confirm-ok")
            await eventually(
                lambda: rows(db, "SELECT * FROM exposures WHERE id = ? AND state != 'open'", exposure["id"]),
                timeout_s=20,
                what="the exposure flattened",
            )
            assert rows(db, CONTROL, "flatten_exposure by ops%")
            hedge = "SELECT * FROM orders WHERE opportunity_id = ? AND leg = 'hedge'"
            hedges = rows(db, hedge, exposure["opportunity_id"])
            assert [h["side"] for h in hedges] == ["sell"], [dict(h) for h in hedges]  # sells the held BTC
            await page.wait_for_selector(row, state="detached", timeout=10_000)
            code = await arb.stop()
        assert code == 0, arb.err()
        assert "Traceback" not in arb.err()
    finally:
        await sim.stop()


@pytest.mark.timeout(90)
async def test_demo_money_is_the_apis_text_and_screenshot(browser_page: Any, tmp_path: Path) -> None:
    page = browser_page
    db = tmp_path / "demo.db"
    args = ("demo", "--paper", "--no-ui", "--duration", "60", "--db", str(db), "--seed", "7")
    async with served(*args, env={"ARB_API_TOKEN": TOKEN}) as arb:
        await page.goto(arb.url)
        await sign_in(page, TOKEN)
        await page.wait_for_selector("#dash:not([hidden])")
        # a few trades, ended episodes and the curve: enough to read (the demo market dislocates often)
        trades_shown = "document.querySelectorAll('#trades tr[data-opportunity-id]').length"
        await eventually(lambda: page.evaluate(f"{trades_shown} >= 4"), timeout_s=30, what="4 trades on the page")
        await page.wait_for_selector("#recent-episodes tr[data-episode-id]", timeout=15_000)
        await page.wait_for_selector("#pnl-chart polyline")
        auth = {"Authorization": f"Bearer {TOKEN}"}
        async with aiohttp.ClientSession(headers=auth) as http, http.get(arb.url + "/api/trades?limit=50") as r:
            assert r.status == 200
            api_trades = {t["opportunity_id"]: t for t in (await r.json())["trades"]}
        shown = await page.evaluate(
            "[...document.querySelectorAll('#trades tr[data-opportunity-id]')]"
            ".map(tr => [tr.dataset.opportunityId, tr.cells[4].textContent, tr.cells[5].textContent])"
        )
        compared = 0
        for opp, pnl, planned in shown:
            if opp in api_trades:  # exact strings, digit for digit
                assert pnl == api_trades[opp]["pnl"] and planned == (api_trades[opp]["planned_net"] or "—")
                compared += 1
        assert compared >= 4
        shot = tmp_path / "dashboard.png"
        await page.screenshot(path=str(shot), full_page=True)
        target = os.environ.get("ARB_SCREENSHOT")
        if target:
            Path(target).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(shot, target)
        code = await arb.stop()
    assert code == 0, arb.err()
    assert "Traceback" not in arb.err()


SSE_TEXT = (
    'id: 1\nevent: hello\ndata: {"run_id":"r1"}\n\n'
    ": keep-alive\n\n"
    'id: 2\r\nevent: episode_started\r\ndata: {"pair":"okx → bybit","net_profit":"1.2300"}\r\n\r\n'
    'id: 3\nevent: status\ndata: {"pnl":"-0.000000010"}\n\n'
)
SSE_READ = """async ([text, sizes]) => {
  const { readEvents } = await import("/ui/sse.js");
  const bytes = new TextEncoder().encode(text);
  const out = [];
  for (const size of sizes) {
    const body = new ReadableStream({
      start(c) {
        for (let i = 0; i < bytes.length; i += size) c.enqueue(bytes.slice(i, i + size));
        c.close();
      },
    });
    const got = [];
    await readEvents(body, (name, data) => got.push([name, data]));
    out.push(got);
  }
  return out;
}"""


@pytest.mark.timeout(60)
async def test_the_stream_parser_in_the_browser_whatever_the_chunking(browser_page: Any) -> None:
    """The page's own SSE reader (fetch body, not EventSource): messages split anywhere — inside a line, a CRLF,
    a multi-byte character — come out whole, in order, comments skipped, data text untouched."""
    app = web.Application()
    app.add_routes(dashboard.routes())
    async with TestServer(app, host="127.0.0.1") as srv:
        await browser_page.goto(str(srv.make_url("/")))
        await browser_page.wait_for_selector("#login:not([hidden])")
        runs = await browser_page.evaluate(SSE_READ, [SSE_TEXT, [1, 2, 3, 5, 7, 64, len(SSE_TEXT.encode())]])
    expected = [
        ["hello", '{"run_id":"r1"}'],
        ["episode_started", '{"pair":"okx → bybit","net_profit":"1.2300"}'],
        ["status", '{"pnl":"-0.000000010"}'],
    ]
    assert runs == [expected] * 7
