"""Which worker owns which symbol: ``crc32(symbol) mod N`` — stable across restarts, processes and machines.

A shard is ``i/N`` (0 ≤ i < N). Every worker watches all venues for the symbols it owns; the symbols of
one shard never move to another while N stays the same, so a restarted worker (or the next owner of the
partition on another machine) finds its unfinished intents in that partition's journal.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from arb.core.errors import ConfigError

_SHARD_RE = re.compile(r"(\d+)/(\d+)")


@dataclass(frozen=True, slots=True)
class Shard:
    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def owns(self, symbol: str) -> bool:
        return owner(symbol, self.count) == self.index

    def mine(self, symbols: Iterable[str]) -> list[str]:
        return [s for s in symbols if self.owns(s)]

    def journal_path(self, path: str) -> str:
        """This shard's SQLite journal beside ``path``: ``arb-paper.db`` → ``arb-paper.shard0of2.db``; a shared
        Postgres journal (``store.url``) is the same for every shard (each takes its own owner lock)."""
        if self.count == 1 or path.startswith(("postgresql://", "postgres://")):
            return path
        p = Path(path)
        return str(p.with_name(f"{p.stem}.shard{self.index}of{self.count}{p.suffix}"))


def owner(symbol: str, n: int) -> int:
    """The shard index owning ``symbol`` among ``n`` (crc32 of the UTF-8 symbol: the same everywhere)."""
    return zlib.crc32(symbol.encode()) % n


def parse_shard(text: str) -> Shard:
    """``"i/N"`` with 0 ≤ i < N, else a one-line ConfigError naming the option."""
    m = _SHARD_RE.fullmatch(text.strip())
    if m is None or int(m.group(2)) < 1 or int(m.group(1)) >= int(m.group(2)):
        raise ConfigError(f"--shard = {text!r}: must be i/N with 0 <= i < N, e.g. 0/2 (this machine's part of N)")
    return Shard(int(m.group(1)), int(m.group(2)))


def shard_journals(path: str) -> list[str]:
    """The shard journals beside ``path`` (``arb.shard0of2.db``…), sorted: what `arb resume` clears too."""
    p = Path(path)
    return sorted(str(x) for x in p.parent.glob(f"{p.stem}.shard*of*{p.suffix}"))
