"""The journal's schema: tables (DDL), forward-only :data:`MIGRATIONS`, and the path checks made on open.

Migrations are functions of a :class:`~arb.store.tx.Tx` (they call ``tx.execute(sql)``), written ONCE in
SQLite's SQL: a Postgres journal runs the same statements, :mod:`arb.store.dialect` adapting DDL types
(``INTEGER PRIMARY KEY`` → identity, ``INTEGER`` → ``BIGINT``). Keep to SQL both engines accept:
``CREATE TABLE``/``INDEX``, ``ALTER TABLE … ADD COLUMN``/``RENAME TO``, ``INSERT … SELECT``, ``DROP TABLE``
(no ``PRAGMA``, no SQLite-only functions). :mod:`arb.store.migrate` applies them: each runs in its own
transaction together with the version bump, under the backend's schema lock, so two processes opening
the same new journal do not both migrate. The version lives in ``PRAGMA user_version`` (SQLite) or the
``arb_meta`` table (Postgres).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from arb.core.errors import StoreError

if TYPE_CHECKING:
    from arb.store.tx import Tx

APPLICATION_ID = 0x41524231  # "ARB1" in the SQLite header: marks the file as an arb journal
TERMINAL_ORDER_STATES = ("closed", "canceled", "rejected")
ORDER_STATES = ("intent", "sent", "open", "closed", "canceled", "rejected", "unknown")

_EPISODE_MONEY = (
    "peak_net_profit",
    "peak_net_bps",
    "peak_buy_amount",
    "peak_sell_amount",
    "peak_buy_vwap",
    "peak_sell_vwap",
    "peak_buy_limit",
    "peak_sell_limit",
    "peak_cost",
    "peak_gross_profit",
    "peak_fees_quote",
    "last_net_profit",
    "last_net_bps",
)
# Money columns per table: written as str(Decimal), read back as Decimal.
MONEY: dict[str, frozenset[str]] = {
    "runs": frozenset(),
    "episodes": frozenset({*_EPISODE_MONEY, "transfer_cost"}),
    "snapshots": frozenset({"net_profit", "net_bps"}),
    "events": frozenset(),
    "orders": frozenset({"amount", "price", "filled", "avg_price", "fee"}),
    "fills": frozenset({"amount", "price", "fee"}),
    "balances": frozenset({"free", "used", "total"}),
    "exposures": frozenset({"base_delta"}),
    "halts": frozenset(),
    "controls": frozenset(),
}
# write_batch kinds → (table, how): "upsert" by id, "insert", "ignore" = insert unless duplicate.
KINDS: dict[str, tuple[str, str]] = {
    "episode": ("episodes", "upsert"),
    "snapshot": ("snapshots", "insert"),
    "event": ("events", "insert"),
    "balance": ("balances", "insert"),
    "fill": ("fills", "ignore"),
    "exposure": ("exposures", "upsert"),  # upsert when the row has an id, else insert
}

_V1 = [
    """CREATE TABLE runs (id TEXT PRIMARY KEY, mode TEXT NOT NULL, started_ms INTEGER NOT NULL,
    ended_ms INTEGER, status TEXT NOT NULL, config_json TEXT, arb_version TEXT, host TEXT)""",
    f"""CREATE TABLE episodes (id TEXT PRIMARY KEY, run_id TEXT, symbol TEXT NOT NULL,
    buy_venue TEXT NOT NULL, sell_venue TEXT NOT NULL, start_ms INTEGER NOT NULL, last_ms INTEGER,
    end_ms INTEGER, duration_ms INTEGER, evaluations INTEGER, end_reason TEXT,
    {", ".join(f"{c} TEXT" for c in _EPISODE_MONEY)},
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')))""",
    """CREATE TABLE snapshots (id INTEGER PRIMARY KEY, episode_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('start', 'peak', 'end')), ts_ms INTEGER NOT NULL,
    inputs_json TEXT, net_profit TEXT, net_bps TEXT)""",
    """CREATE TABLE events (id INTEGER PRIMARY KEY, run_id TEXT, ts_ms INTEGER NOT NULL, venue TEXT,
    symbol TEXT, kind TEXT NOT NULL, detail TEXT)""",
    f"""CREATE TABLE orders (client_id TEXT PRIMARY KEY, run_id TEXT, opportunity_id TEXT,
    venue TEXT NOT NULL, symbol TEXT NOT NULL, side TEXT NOT NULL CHECK (side IN ('buy', 'sell')),
    type TEXT, tif TEXT, amount TEXT NOT NULL, price TEXT,
    state TEXT NOT NULL CHECK (state IN ({", ".join(repr(s) for s in ORDER_STATES)})),
    venue_order_id TEXT, filled TEXT, avg_price TEXT, fee TEXT, fee_currency TEXT, reason TEXT,
    created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL)""",
    """CREATE TABLE fills (id INTEGER PRIMARY KEY, client_id TEXT, venue TEXT NOT NULL,
    trade_id TEXT NOT NULL, ts_ms INTEGER, amount TEXT, price TEXT, fee TEXT, fee_currency TEXT,
    UNIQUE (venue, trade_id))""",
    """CREATE TABLE balances (id INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL, venue TEXT NOT NULL,
    asset TEXT NOT NULL, free TEXT, used TEXT, total TEXT, source TEXT)""",
    """CREATE TABLE exposures (id INTEGER PRIMARY KEY, opportunity_id TEXT, venue TEXT NOT NULL,
    symbol TEXT NOT NULL, base_delta TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'flattened')),
    created_ms INTEGER NOT NULL, updated_ms INTEGER, detail TEXT)""",
    "CREATE INDEX episodes_symbol_start ON episodes (symbol, start_ms)",
    "CREATE INDEX episodes_start ON episodes (start_ms)",
    "CREATE INDEX snapshots_episode ON snapshots (episode_id)",
    "CREATE INDEX events_ts ON events (ts_ms)",
    "CREATE INDEX orders_state ON orders (state)",
    "CREATE INDEX orders_opportunity ON orders (opportunity_id)",
    "CREATE INDEX fills_client ON fills (client_id)",
    "CREATE INDEX balances_venue_ts ON balances (venue, ts_ms)",
    "CREATE INDEX exposures_state ON exposures (state)",
]


def _v1(db: Tx) -> None:
    for statement in _V1:
        db.execute(statement)


_V2 = [
    # orders: which leg of its opportunity (buy | sell | hedge | retry) and attempt, so ids of later
    # attempts are never reused after a restart; when it was sent; the instant after which the venue
    # can no longer execute it (its own receive window / expTime), before which "not found" means "unknown".
    "ALTER TABLE orders ADD COLUMN leg TEXT",
    "ALTER TABLE orders ADD COLUMN attempt INTEGER",
    "ALTER TABLE orders ADD COLUMN sent_ms INTEGER",
    "ALTER TABLE orders ADD COLUMN expires_ms INTEGER",
    # fills: a venue's trade id is unique per order, not per venue (Binance numbers trades per symbol;
    # paper ids of earlier runs restarted at 1), so the key is (venue, client_id, trade_id).
    """CREATE TABLE fills_v2 (id INTEGER PRIMARY KEY, client_id TEXT, venue TEXT NOT NULL,
    trade_id TEXT NOT NULL, ts_ms INTEGER, amount TEXT, price TEXT, fee TEXT, fee_currency TEXT,
    UNIQUE (venue, client_id, trade_id))""",
    """INSERT INTO fills_v2 (id, client_id, venue, trade_id, ts_ms, amount, price, fee, fee_currency)
    SELECT id, client_id, venue, trade_id, ts_ms, amount, price, fee, fee_currency FROM fills""",
    "DROP TABLE fills",
    "ALTER TABLE fills_v2 RENAME TO fills",
    "CREATE INDEX fills_client ON fills (client_id)",
    # halts survive restarts: a halt ends only by its rule (until_ms) or an operator's action (cleared_*).
    """CREATE TABLE halts (id INTEGER PRIMARY KEY, run_id TEXT, reason TEXT NOT NULL, detail TEXT,
    ts_ms INTEGER NOT NULL, until_ms INTEGER, cleared_ms INTEGER, cleared_by TEXT)""",
    "CREATE INDEX halts_open ON halts (cleared_ms)",
    "CREATE INDEX events_kind_ts ON events (kind, ts_ms)",
]


def _v2(db: Tx) -> None:
    for statement in _V2:
        db.execute(statement)


def _v3(db: Tx) -> None:
    # orders: why a venue refused an order, as a code (the ccxt exception class, e.g. InsufficientFunds),
    # so readers match a cause instead of searching the free-text reason.
    db.execute("ALTER TABLE orders ADD COLUMN cause TEXT")


_V4 = [
    # episodes: whether the inventory they use can be restored by transfers (arb.inventory.marks): "yes", "no"
    # or "unknown"; one restoring transfer each way per unit of base, in quote; the networks chosen or why not.
    "ALTER TABLE episodes ADD COLUMN transferable TEXT",
    "ALTER TABLE episodes ADD COLUMN transfer_cost TEXT",
    "ALTER TABLE episodes ADD COLUMN transfer_detail TEXT",
]


def _v4(db: Tx) -> None:
    for statement in _V4:
        db.execute(statement)


def _v5(db: Tx) -> None:
    # an operator's controls (control API pause, disabled directions) survive restarts like halts: one row per
    # control in force ("pause", "direction:SYMBOL/BUY/SELL"), deleted when it is lifted.
    db.execute(
        """CREATE TABLE controls (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, who TEXT NOT NULL,
        ts_ms INTEGER NOT NULL, reason TEXT)"""
    )


# Forward-only: append, never edit or reorder. Index i brings a journal from version i to i + 1.
MIGRATIONS: list[Callable[[Tx], None]] = [_v1, _v2, _v3, _v4, _v5]


def check_path(path: Path, *, create: bool, readonly: bool) -> None:
    """Refuse a directory, a missing file that may not be created, or a directory arb cannot write to."""
    if path.is_dir():
        raise StoreError(f"journal {path} is a directory; point store.path at a file such as {path}/arb.db")
    if not path.exists():
        if readonly or not create:
            raise StoreError(f"journal {path} does not exist; run arb once to create it or fix store.path")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(
                f"journal {path}: cannot create directory {path.parent} ({e.strerror}); choose a writable store.path"
            ) from None
    if not readonly and not os.access(path.parent, os.W_OK):
        raise StoreError(
            f"journal {path}: directory {path.parent} is not writable; fix its permissions, choose another "
            "store.path, or open the journal read-only"
        )
