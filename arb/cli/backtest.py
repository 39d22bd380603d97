"""`arb backtest`: replay a recording through the engine and the paper trader; one run or a sweep."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from arb.cli.common import InputError, decimal_option
from arb.core.errors import ArbError, ConfigError


class Interrupted(ArbError):
    """Ctrl-C stopped a replay: the journal it was writing is partial (one line, exit 1)."""


def _replay(rec: Any, settings: Any, path: Path, update: Any, what: str = "backtest") -> Any:
    """Run one backtest; an unreadable recording (found mid-file) is bad input too.

    Ctrl-C leaves the journal written so far; the error says so, with how far the replay got.
    """
    from arb.review.backtest import backtest
    from arb.review.record import RecordingError

    seen: list[Any] = []

    def progress(p: Any) -> None:
        seen[:] = [p]
        if update is not None:
            update(p)

    try:
        return backtest(rec, settings, path, on_progress=progress, progress_every=500)
    except RecordingError as e:
        raise InputError(str(e)) from None
    except (KeyboardInterrupt, asyncio.CancelledError):
        done = f"after {seen[0].books} books ({seen[0].market_ms / 1000:.0f} s of market)" if seen else "at the start"
        raise Interrupted(
            f"{what} interrupted {done}: {path} holds a partial replay; delete it, or run the same "
            "command again to replace it"
        ) from None


def _has_books(rec: Any) -> bool:
    from arb.review.record import RecordingError

    try:
        return bool(rec.has_books())
    except RecordingError as e:
        raise InputError(str(e)) from None


def _recording(path: str, allow_truncated: bool = False) -> Any:
    from arb.review.record import Recording, RecordingError

    try:
        return Recording.open(path, allow_truncated=allow_truncated)
    except RecordingError as e:
        raise InputError(str(e)) from None


# ------------------------------------------------------------------------------------------- report


def _metrics(journal_path: Path, capital: Decimal | None = None) -> dict[str, Any]:
    from arb.review.backtest.sweep import metrics

    return metrics(journal_path, capital)


def _progress_bar(enabled: bool, label: str) -> tuple[Any, Any]:
    """(context manager, on_progress callback) showing the file read and the replay speed."""
    if not enabled:
        return contextlib.nullcontext(), None
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    prog = Progress(
        TextColumn(label),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TextColumn("{task.fields[info]}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = prog.add_task(label, total=1.0, info="")

    def update(p: Any) -> None:
        prog.update(
            task,
            completed=p.fraction,
            info=f"{p.books} books, {p.market_ms / 1000:.0f} s of market, speed ×{p.speed:.0f}",
        )

    return prog, update


@click.command("backtest")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Settings ([scanner], [execution], [risk]) to replay with (default: built-in defaults).",
)
@click.option(
    "--mode",
    type=click.Choice(["paper", "alert"]),
    default="paper",
    show_default=True,
    help="paper: risk gate + paper executor fill against the recorded books; alert: detection only.",
)
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override one setting, e.g. --set scanner.min_net_bps=3 (repeatable).",
)
@click.option(
    "--sweep",
    "sweeps",
    multiple=True,
    metavar="KEY=V1,V2,...",
    help="Run every combination of these values (repeatable) and print a table, best first.",
)
@click.option("--db", "db_path", default=None, help="Journal to write (default: FILE.<run id>.db).")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="With --sweep: directory for the journals of every run (default: a temporary directory).",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="With --sweep: worker processes, one combination each at a time (default: every core).",
)
@click.option(
    "--ray",
    "ray_address",
    default=None,
    metavar="ADDRESS",
    help="With --sweep: run the combinations on the Ray cluster at ADDRESS (needs pip install -e '.[ray]'; "
    "the recording and --out must be at the same paths on every node).",
)
@click.option("--capital", default=None, help="Capital for Sharpe and drawdown % (default: see arb report).")
@click.option("--allow-truncated", is_flag=True, help="Replay a recording whose recorder was killed.")
@click.option("--no-ui", is_flag=True, help="No progress bar.")
@click.option("--json", "json_out", is_flag=True, help="Print the result (or the sweep table) as one JSON document.")
def backtest_command(
    file: str,
    config_path: str | None,
    mode: str,
    sets: tuple[str, ...],
    sweeps: tuple[str, ...],
    db_path: str | None,
    out_dir: str | None,
    jobs: int | None,
    ray_address: str | None,
    capital: str | None,
    allow_truncated: bool,
    no_ui: bool,
    json_out: bool,
) -> None:
    """Replay a recording through the detector, evaluator, risk gate and paper executor.

    Writes a journal that `arb report` reads; the same file and settings give the same result.
    """
    from arb.config import load_config
    from arb.review.backtest import Settings, apply, grid, parse_assignment
    from arb.review.backtest.sweep import Job

    rec = _recording(file, allow_truncated)
    if not rec.header.get("markets") or not _has_books(rec):
        raise InputError(
            f"recording {file} holds no order books (no venue was reachable while recording?); "
            "nothing to replay: record again, e.g. `arb record --loopback --out FILE --duration 60`"
        )
    base = Settings.from_config(load_config(config_path) if config_path else None, mode)
    cap = decimal_option(capital, "--capital")
    try:
        for s in sets:
            key, values = parse_assignment(s)
            if len(values) != 1:
                raise ConfigError(f"--set {s}: one value only (use --sweep for several)")
            base = apply(base, [(key, values[0])])
        axes = [parse_assignment(s) for s in sweeps]
        combos = grid(axes) if axes else [[]]
        runs = [(combo, apply(base, combo)) for combo in combos]
    except ConfigError as e:
        raise InputError("; ".join(e.problems)) from None
    ui = not no_ui and not json_out and sys.stderr.isatty()
    if not axes and (jobs is not None or ray_address is not None):
        raise InputError(
            "--jobs and --ray spread the combinations of a sweep: add --sweep, e.g. --sweep scanner.min_net_bps=3,5"
        )
    if not axes:
        path = Path(db_path) if db_path else None
        settings = runs[0][1]
        if path is None:
            from arb.review.backtest import run_id_for

            path = Path(f"{file}.{run_id_for(rec, settings)}.db")
            for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                p.unlink(missing_ok=True)  # same file and settings: the same journal again
        bar, update = _progress_bar(ui, "replaying")
        with bar:
            res = _replay(rec, settings, path, update)
        doc = {
            "type": "backtest",
            "run_id": res.run_id,
            "journal": str(path),
            "mode": settings.mode,
            "books": res.progress.books,
            "market_s": res.progress.market_ms / 1000,
            "speed": round(res.progress.speed, 1),
            **_metrics(path, cap),
            "truncated": res.truncated,
        }
        if json_out:
            click.echo(json.dumps(doc, default=str, separators=(",", ":")))
        else:
            _print_single(doc)
        return
    directory = Path(out_dir) if out_dir else Path(tempfile.mkdtemp(prefix="arb-sweep-"))
    directory.mkdir(parents=True, exist_ok=True)
    rows = _sweep(
        [
            Job(
                index=i,
                recording=file,
                allow_truncated=allow_truncated,
                settings=settings,
                journal=str(directory / f"sweep-{i:03d}.db"),
                params=dict(combo),
                command=_command(file, config_path, base.mode, sets, combo),
                capital=cap,
            )
            for i, (combo, settings) in enumerate(runs, 1)
        ],
        jobs,
        ray_address,
        ui,
    )
    rows.sort(
        key=lambda r: (
            -Decimal(r["pnl"]),
            -(r["sharpe"] if r["sharpe"] is not None else float("-inf")),
            r["max_drawdown"],
            r["journal"],
        )
    )
    if json_out:
        click.echo(json.dumps({"type": "sweep", "runs": rows}, default=str, separators=(",", ":")))
    else:
        _print_sweep(rows, [k for k, _ in axes], directory)


def _sweep(jobs: list[Any], processes: int | None, ray_address: str | None, ui: bool) -> list[dict[str, Any]]:
    """Every combination's row, in combination order, with a progress bar over combinations on a terminal."""
    from arb.review.backtest.sweep import SweepError, default_jobs, run_jobs

    n = len(jobs)
    where = f"on Ray at {ray_address}" if ray_address else f"on {min(processes or default_jobs(), n)} processes"
    bar, update = _combinations_bar(ui, f"sweep: {n} combinations {where}", n)
    try:
        with bar:
            return run_jobs(jobs, processes=processes or default_jobs(), ray_address=ray_address, on_done=update)
    except SweepError as e:
        if e.bad_input:
            raise InputError(str(e)) from None
        raise ArbError(str(e)) from None
    except KeyboardInterrupt:
        raise Interrupted("sweep interrupted: the journals of the combinations that finished are kept") from None


def _combinations_bar(enabled: bool, label: str, total: int) -> tuple[Any, Any]:
    """(context manager, on_done callback) of a bar over a sweep's combinations."""
    if not enabled:
        return contextlib.nullcontext(), None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    prog = Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
        auto_refresh=False,  # no refresh thread in this process while the pool forks its workers
    )
    task = prog.add_task(label, total=total)
    return prog, lambda n: prog.update(task, completed=n, refresh=True)


def _command(file: str, config_path: str | None, mode: str, sets: tuple[str, ...], combo: list[tuple[str, str]]) -> str:
    import shlex

    from arb.cli import prog

    parts = ["arb", "backtest", file, "--mode", mode]
    if config_path:
        parts += ["--config", config_path]
    for s in sets:
        parts += ["--set", s]
    for k, v in combo:
        parts += ["--set", f"{k}={v}"]
    return f"{prog()} {shlex.join(parts[1:])}"


def _fmt(v: Any, digits: int = 4) -> str:
    if v is None:
        return "n/a"
    return f"{v:.{digits}g}" if isinstance(v, float) else str(v)


def _print_single(doc: dict[str, Any]) -> None:
    click.echo(
        f"backtest {doc['run_id']} ({doc['mode']}): {doc['books']} books, {doc['market_s']:.0f} s of market "
        f"replayed at ×{doc['speed']:.0f}"
    )
    if doc["trades"]:
        from arb.ui.display import money

        click.echo(
            f"episodes {doc['episodes']}, trades {doc['trades']}, PnL {money(doc['pnl'])}, "
            f"Sharpe {_fmt(doc['sharpe'])}"
            f", max drawdown {_fmt(doc['max_drawdown'])} ({_fmt(doc['max_drawdown_pct'], 3)}% of capital "
            f"{doc['capital']}: {doc['capital_source']}), win rate {_fmt(doc['win_rate'], 3)}"
        )
    else:
        click.echo(f"episodes {doc['episodes']}, no trades")
    if doc["truncated"]:
        click.echo("note: the recording was cut short; replayed up to its last whole record")
    from arb.cli import prog

    click.echo(f"journal: {doc['journal']}\nreview it: {prog()} report --db {doc['journal']}")


def _print_sweep(rows: list[dict[str, Any]], keys: list[str], directory: Path) -> None:
    from rich.console import Console

    from arb.ui.display import Col, fit_table, money

    # the parameters and PnL stay whole at any width; the other columns go as the terminal's width needs
    cols = [
        Col("#", key=True, justify="right"),
        *(Col(k, key=True) for k in keys),
        Col("PnL", key=True, justify="right"),
        Col("Sharpe", justify="right", drop=2),
        Col("max DD", justify="right", drop=3),
        Col("trades", justify="right", drop=1),
        Col("episodes", justify="right", drop=5),
        Col("win rate", justify="right", drop=4),
    ]
    cells = [
        [
            str(i),
            *(str(r["params"][k]) for k in keys),
            money(r["pnl"]),
            _fmt(r["sharpe"]),
            _fmt(r["max_drawdown"]),
            str(r["trades"]),
            str(r["episodes"]),
            _fmt(r["win_rate"], 3),
        ]
        for i, r in enumerate(rows, 1)
    ]
    console = Console()
    console.print(
        fit_table(
            cols,
            cells,
            console.width,
            title=f"sweep: {len(rows)} runs, best first (journals in {directory})",
            hint="widen the terminal or use --json",
        )
    )
    if rows:
        console.print(f"capital for Sharpe/drawdown: {rows[0]['capital']} ({rows[0]['capital_source']})")
    console.print("reproduce a row with a single run:")
    for i, r in enumerate(rows, 1):
        console.print(f"  {i}: {r['command']}", soft_wrap=True)
    sys.stdout.flush()
