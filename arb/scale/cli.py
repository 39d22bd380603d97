"""The scale-out options of ``arb scan`` and ``arb run`` (``--workers``, ``--shard``, ``--coordinator``) and what
a worker does with them (:class:`WorkerSetup`). The commands call three functions, nothing else."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import click

from arb.config import Config
from arb.core.errors import ConfigError
from arb.core.kinds import EventKind
from arb.scale.partition import Shard, parse_shard
from arb.scale.plan import Plan, announce, plan_symbols

NOTE_ENV = "ARB_SCALE_NOTE"  # the parent's discovery line, journaled by every worker


def scale_options(trading: bool) -> Callable[[Any], Any]:
    def deco(fn: Any) -> Any:
        fn = click.option(
            "--shard",
            default=None,
            help="This process's part i/N of the symbols (crc32(symbol) mod N); its own journal file.",
        )(fn)
        fn = click.option(
            "--workers",
            type=click.IntRange(min=1),
            default=1,
            show_default=True,
            help="Worker processes on this machine, one shard of the symbols each (all venues each).",
        )(fn)
        if trading:
            fn = click.option(
                "--coordinator",
                default=None,
                help="redis://HOST:PORT[/DB] shared by every worker (default: scale.coordinator; with --workers > 1 "
                "and none given, a private redis-server).",
            )(fn)
        return fn

    return deco


def spawn_workers(cfg: Config, argv: Sequence[str], workers: int, *, coordinator: str | None, trading: bool) -> int:
    """``--workers N``: discover once, start N workers (``--shard i/N``), supervise; returns the exit code."""
    from arb.cli.common import make_exchanges
    from arb.scale.workers import private_redis, supervise

    plan = plan_symbols(cfg, None, make_exchanges)
    announce(plan)
    env = dict(os.environ)
    env["ARB__SCANNER__SYMBOLS"] = "[" + ", ".join(f'"{s}"' for s in plan.all_symbols) + "]"
    if plan.discovery is not None:
        env[NOTE_ENV] = plan.discovery.line()
    args = [*argv, "--no-ui"] if "--no-ui" not in argv else list(argv)
    if not trading:
        return supervise(args, workers, env, restart=False)
    url = coordinator or cfg.scale.coordinator
    if url:
        return supervise([*args, "--coordinator", url], workers, env, restart=True)
    with private_redis() as url:
        return supervise([*args, "--coordinator", url], workers, env, restart=True)


def worker_argv(args: Sequence[str]) -> list[str]:
    """The command line without ``--workers N`` (each worker gets ``--shard i/N`` instead)."""
    out, skip = [], False
    for a in args:
        if skip:
            skip = False
            continue
        if a == "--workers":
            skip = True
            continue
        if a.startswith("--workers="):
            continue
        out.append(a)
    return out


@dataclass
class WorkerSetup:
    """One worker: its symbols, its journal, its coordinator (None = this process alone)."""

    plan: Plan
    shard: Shard | None
    coordinator: Any = None
    monitor: Any = None
    notes: list[str] = field(default_factory=list)

    @property
    def cfg(self) -> Config:
        return self.plan.cfg

    def journal_path(self, path: str) -> str:
        return path if self.shard is None else self.shard.journal_path(path)

    def attach(self, trader: Any) -> None:
        """Journal the plan and, with a coordinator, share the trader's limits, halts, kill and daily loss."""
        for line in self.notes:
            trader.out.event(EventKind.SYMBOLS, None, None, line)
        announce(self.plan, lambda v, s, kind, line: trader.out.event(kind, v, s, line))
        if self.coordinator is not None:
            from arb.scale.hook import attach

            self.monitor = attach(trader, self.coordinator, str(self.shard or "0/1"))

    def close(self) -> None:
        if self.coordinator is not None:
            self.coordinator.close()


def setup_worker(cfg: Config, shard_text: str | None, coordinator: str | None, *, trading: bool) -> WorkerSetup:
    """Symbols of this shard (discovered when "auto"), and for a trading shard its coordinator, lease and partition
    (waiting for a previous owner's lease to end)."""
    from arb.cli.common import make_exchanges

    shard = parse_shard(shard_text) if shard_text is not None else None
    setup = WorkerSetup(plan_symbols(cfg, shard, make_exchanges), shard)
    if os.environ.get(NOTE_ENV):
        setup.notes.append(os.environ[NOTE_ENV])
    url = coordinator if coordinator is not None else cfg.scale.coordinator
    if not trading:
        return setup
    if not url:
        if shard is not None and shard.count > 1:
            raise ConfigError(
                f"--shard {shard}: workers trading beside others must share money and safety: give --coordinator "
                "redis://HOST:PORT (or scale.coordinator), the same on every machine"
            )
        return setup
    from arb.scale.redis_coord import RedisCoordinator

    c = RedisCoordinator(url, lease_ms=cfg.scale.lease_ms, worker=f"{socket.gethostname()}.{os.getpid()}")
    c.start()
    setup.coordinator = c
    own_partition(c, shard or Shard(0, 1), cfg.scale.lease_ms)
    return setup


def own_partition(c: Any, shard: Shard, lease_ms: int) -> None:
    """Take the partition; a previous owner's lease must end first (then its claims are released)."""
    import time

    name = f"shard{shard.index}of{shard.count}"
    deadline = time.monotonic() + 20 * lease_ms / 1000
    told = False
    while not c.try_own(name):
        if not told:
            click.echo(f"shard {shard}: waiting for the previous owner ({c.holder(name)}) to release it", err=True)
            told = True
        if time.monotonic() > deadline:
            c.close()
            raise ConfigError(f"--shard {shard}: still owned by {c.holder(name)}: is another worker running it?")
        time.sleep(lease_ms / 4000)
