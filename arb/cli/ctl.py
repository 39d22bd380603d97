"""`arb ctl`: steer a running arb through its control API, from another terminal or machine.

Each subcommand is one HTTP request with ``Authorization: Bearer <token>`` (never in the URL): the token
from ``ARB_API_TOKEN``, else ``--token-file`` (default ``~/.config/arb/api-token``, the file the server
creates; ``--token-name`` picks a line ``NAME TOKEN``). Exit codes scripts can rely on: 0 done; 1 the
server failed or refused in this state (unreachable, 5xx, 404 unknown exposure, 409 e.g. an alert-only
run); 2 usage or authentication (bad option, no token, 400 bad input, 401 wrong token, 429 rate-limited).
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import click

from arb.api.tokens import ENV_TOKEN, default_token_file

ENV_URL = "ARB_API_URL"
DEFAULT_URL = "http://127.0.0.1:8787"


class CtlError(click.ClickException):
    """The server failed or refused in this state: one line on stderr, exit 1."""

    exit_code = 1

    def show(self, file: Any = None) -> None:
        click.echo(f"arb ctl: {self.message}", err=True)


class CtlUsageError(CtlError):
    """Usage or authentication: exit 2."""

    exit_code = 2


def _fail(message: str, exit_code: int) -> CtlError:
    return CtlUsageError(message) if exit_code == 2 else CtlError(message)


def _token(token_file: str | None, name: str | None) -> str:
    value = os.environ.get(ENV_TOKEN, "").strip()
    if value and not token_file:
        return value
    path = Path(token_file).expanduser() if token_file else default_token_file()
    try:
        lines = [ln.split() for ln in path.read_text(encoding="utf-8").splitlines()]
    except FileNotFoundError:
        raise _fail(f"no API token found; export {ENV_TOKEN} or pass --token-file (no file {path})", 2) from None
    except OSError as e:
        raise _fail(f"cannot read the token file {path}: {e.strerror}", 2) from None
    tokens = [(p[0], p[1]) if len(p) == 2 else ("", p[0]) for p in lines if p and not p[0].startswith("#")]
    for n, tok in tokens:
        if name is None or n == name:
            return tok
    raise _fail(f"no API token{f' named {name}' if name else ''} found in {path}", 2)


def _request(ctx: click.Context, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    o = ctx.obj
    url = o["url"].rstrip("/") + path
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Authorization", f"Bearer {_token(o['token_file'], o['token_name'])}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=o["timeout"]) as resp:  # http(s) URL by option
            return dict(json.loads(resp.read() or b"{}"))
    except urllib.error.HTTPError as e:
        try:
            why = json.loads(e.read() or b"{}").get("error") or e.reason
        except ValueError:
            why = e.reason
        code = 2 if e.code in (400, 401, 403, 429) else 1
        hint = f" (check {ENV_TOKEN} or --token-file)" if e.code == 401 else ""
        raise _fail(f"{method} {path}: HTTP {e.code}: {why}{hint}", code) from None
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise _fail(f"cannot reach {o['url']}: {reason} (is arb running with --api?)", 1) from None
    except ValueError:
        raise _fail(f"{method} {path}: the server's answer is not JSON", 1) from None


def _done(doc: dict[str, Any], json_out: bool) -> None:
    if json_out:
        click.echo(json.dumps(doc, separators=(",", ":")))
    else:
        click.echo(f"{doc.get('action')} by {doc.get('who')}: {doc.get('detail')}")


json_option = click.option("--json", "json_out", is_flag=True, help="Print the server's JSON answer.")


@click.group("ctl")
@click.option(
    "--url", envvar=ENV_URL, default=DEFAULT_URL, show_default=True, help=f"The API's base URL (or {ENV_URL})."
)
@click.option(
    "--token-file", default=None, help=f"Token file when {ENV_TOKEN} is unset (default ~/.config/arb/api-token)."
)
@click.option("--token-name", default=None, help="Use the token named NAME in the token file (lines 'NAME TOKEN').")
@click.option("--timeout", type=float, default=10.0, show_default=True, help="Seconds to wait for the server.")
@click.pass_context
def ctl_group(ctx: click.Context, url: str, token_file: str | None, token_name: str | None, timeout: float) -> None:
    """Steer a running arb (scan/run/demo started with --api or [api] enabled) through its control API.

    \b
    Exit codes: 0 done; 1 server/runtime error (unreachable, 5xx, 404, 409);
    2 usage or authentication (bad option or input, no or wrong token, rate-limited).
    """
    if not url.startswith(("http://", "https://")):
        raise _fail(f"--url {url!r}: must start with http:// or https://", 2)
    ctx.obj = {"url": url, "token_file": token_file, "token_name": token_name, "timeout": timeout}


@ctl_group.command("status")
@json_option
@click.pass_context
def status_command(ctx: click.Context, json_out: bool) -> None:
    """Mode, trading state, halts, counters and PnL of the running arb."""
    st = _request(ctx, "GET", "/api/status")
    if json_out:
        click.echo(json.dumps(st, separators=(",", ":")))
        return
    c, stats = st.get("counters", {}), st.get("stats", {})
    halt = st.get("halt")
    state = "HALTED " + f"{halt['reason']}: {halt['detail']}" if halt else ("paused" if st.get("paused") else "running")
    click.echo(f"run {st.get('run_id')} mode {st.get('mode')}: {state}; up {st.get('uptime_s')} s")
    click.echo(
        f"episodes {c.get('episodes_started', 0)} (open {c.get('open_episodes', 0)}); evaluations "
        f"{c.get('evaluations', 0)}; near misses {sum((st.get('near_miss') or {}).values())}"
    )
    if st.get("trading"):
        pnl = st.get("pnl_today") or {}
        click.echo(
            f"trades ok {stats.get('trades_ok', 0)} failed {stats.get('trades_failed', 0)}; in flight "
            f"{st.get('in_flight', 0)}; PnL today {pnl.get('realised')}; open exposures {st.get('open_exposures', 0)}"
        )
    for v, h in (st.get("venues") or {}).items():
        click.echo(f"venue {v}: {h.get('status')} {h.get('updates_per_s')} upd/s, latency {h.get('latency_ms')} ms")


@ctl_group.command("pause")
@click.option("--reason", default="", help="Why; journaled with who and when.")
@json_option
@click.pass_context
def pause_command(ctx: click.Context, reason: str, json_out: bool) -> None:
    """Stop sending new orders (episodes keep being journaled; trades in flight finish)."""
    _done(_request(ctx, "POST", "/api/pause", {"reason": reason}), json_out)


@ctl_group.command("resume")
@click.option("--reason", default="", help="Why; journaled with who and when.")
@json_option
@click.pass_context
def resume_command(ctx: click.Context, reason: str, json_out: bool) -> None:
    """Undo `arb ctl pause` (risk halts end with `arb resume`, a kill by removing the kill file)."""
    _done(_request(ctx, "POST", "/api/resume", {"reason": reason}), json_out)


@ctl_group.command("disable")
@click.argument("direction")
@click.option("--reason", default="", help="Why; journaled with who and when.")
@json_option
@click.pass_context
def disable_command(ctx: click.Context, direction: str, reason: str, json_out: bool) -> None:
    """Refuse one direction, written SYMBOL/BUY_VENUE/SELL_VENUE (e.g. BTC/USDT/okx/binance)."""
    _done(_request(ctx, "POST", "/api/directions/disable", {"direction": direction, "reason": reason}), json_out)


@ctl_group.command("enable")
@click.argument("direction")
@json_option
@click.pass_context
def enable_command(ctx: click.Context, direction: str, json_out: bool) -> None:
    """Allow a direction an operator disabled again (SYMBOL/BUY_VENUE/SELL_VENUE)."""
    _done(_request(ctx, "POST", "/api/directions/enable", {"direction": direction}), json_out)


@ctl_group.command("kill")
@click.option("--reason", default="arb ctl kill", show_default=True, help="Why; shown in the halt event and alert.")
@json_option
@click.pass_context
def kill_command(ctx: click.Context, reason: str, json_out: bool) -> None:
    """Same as `arb kill` on the server's machine: halt (kill), cancel open orders, continue alert-only."""
    _done(_request(ctx, "POST", "/api/kill", {"reason": reason}), json_out)


@ctl_group.group("exposures", invoke_without_command=True)
@json_option
@click.pass_context
def exposures_group(ctx: click.Context, json_out: bool) -> None:
    """List open exposures; `ack ID` acknowledges one, `flatten ID` settles it by policy."""
    if ctx.invoked_subcommand is not None:
        return
    doc = _request(ctx, "GET", "/api/exposures")
    if json_out:
        click.echo(json.dumps(doc, separators=(",", ":")))
        return
    for e in doc.get("exposures", []):
        ack = f" (acknowledged by {e['acknowledged_by']})" if e.get("acknowledged_by") else ""
        click.echo(f"#{e['id']} {e['base_delta']} {e['symbol']} on {e['venue']}{ack}")
    if not doc.get("exposures"):
        click.echo("no open exposures")


@exposures_group.command("ack")
@click.argument("exposure_id", type=int)
@click.option("--note", default="", help="Journaled with the acknowledgement.")
@json_option
@click.pass_context
def ack_command(ctx: click.Context, exposure_id: int, note: str, json_out: bool) -> None:
    """Acknowledge an open exposure (journaled; it stays open and counts against the limits)."""
    _done(_request(ctx, "POST", f"/api/exposures/{exposure_id}/ack", {"note": note}), json_out)


@exposures_group.command("flatten")
@click.argument("exposure_id", type=int)
@click.option("--policy", type=click.Choice(["hedge"]), default="hedge", show_default=True, help="How to settle it.")
@json_option
@click.pass_context
def flatten_command(ctx: click.Context, exposure_id: int, policy: str, json_out: bool) -> None:
    """Settle an open exposure now by POLICY (hedge: IOC on the better venue)."""
    _done(_request(ctx, "POST", f"/api/exposures/{exposure_id}/flatten", {"policy": policy}), json_out)
