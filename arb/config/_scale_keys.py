"""Value checks of the scale-out keys (no section classes here: :mod:`arb.config.sections` imports this).

Scale-out keys: ``scanner.symbols = "auto"`` with its discovery filters, and the ``[scale]`` section.

* ``scanner.symbols = "auto"`` selects every active spot symbol listed on at least two venues
  (:mod:`arb.scale.discovery`), filtered by ``scanner.quotes``, ``scanner.min_quote_volume`` and
  ``scanner.max_symbols``. Until resolved, the symbols tuple is :data:`AUTO_SYMBOLS`.
* ``[scale]``: where workers coordinate (``coordinator``: "" = in this process; ``redis://…`` shared by
  every worker of every machine) and how long a worker's lease lives without a heartbeat (``lease_ms``).
"""

from __future__ import annotations

import re
from typing import Any

from arb.config._parse import _fail, _show, _str_list, _symbols

AUTO = "auto"
AUTO_SYMBOLS: tuple[str, ...] = (AUTO,)  # scanner.symbols before discovery resolved it
_ASSET_RE = re.compile(r"[A-Z0-9][A-Z0-9._-]*")


def symbols_or_auto(path: str, v: Any) -> tuple[str, ...]:
    """``"auto"`` (discover at start) or a list of unified spot symbols."""
    if v == AUTO or (isinstance(v, list | tuple) and list(v) == [AUTO]):
        return AUTO_SYMBOLS
    if isinstance(v, str):
        raise _fail(path, v, f'must be "{AUTO}" (every symbol listed on two venues) or a list like ["BTC/USDT"]')
    return _symbols(path, v)


def _quote_item(p: str, x: Any) -> str | None:
    if not isinstance(x, str) or not _ASSET_RE.fullmatch(x):
        return f'{p} = {_show(x)}: must be a currency code in capitals, e.g. "USDT"'
    return None


def quotes(path: str, v: Any) -> tuple[str, ...]:
    """Quote currencies discovery keeps: a non-empty list of codes, each once."""
    return _str_list(path, v, _quote_item, min_len=1, what="quote currencies")


def coordinator_url(path: str, v: Any) -> str:
    if v == "" or (isinstance(v, str) and re.fullmatch(r"rediss?://[^\s]+", v)):
        return str(v)
    raise _fail(path, v, 'must be "" (coordinate inside this process) or a Redis URL "redis://HOST:PORT[/DB]"')
