"""One open transaction (or read) on either backend: the operations the journal's methods are written with.

The journal's methods never touch a driver: they get a :class:`Tx` from ``_write_tx`` / ``_reading`` and call
``insert``, ``insert_all``, ``upsert_all``, ``get``, ``update``, ``select``, ``query`` or ``execute`` with SQL
in SQLite's dialect (``?`` placeholders); :class:`~arb.store.dialect.Dialect` adapts it for the engine. Rows
come back as plain dicts (money still TEXT: :func:`arb.store.codec.decode_row` turns it into Decimal).
Integer keys are ``id``; ``orders`` is keyed by ``client_id`` (:data:`PRIMARY_KEYS`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from arb.store.dialect import Dialect

PRIMARY_KEYS: dict[str, str] = {"orders": "client_id"}  # every other table: integer ``id``


def primary_key(table: str) -> str:
    return PRIMARY_KEYS.get(table, "id")


class Tx:
    """A cursor of an open transaction plus its dialect. Created by the backend; valid inside its block."""

    def __init__(self, cursor: Any, dialect: Dialect) -> None:
        self._cur = cursor
        self.dialect = dialect

    # ---- raw SQL ---------------------------------------------------------------------------
    def execute(self, sql: str, args: Sequence[Any] = ()) -> int:
        """Run one statement (SQLite dialect; DDL types adapted on Postgres); the rows it changed."""
        self._cur.execute(self.dialect.sql(sql), tuple(args))
        return int(self._cur.rowcount)

    def query(self, sql: str, args: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Rows of a SELECT as dicts."""
        self._cur.execute(self.dialect.sql(sql), tuple(args))
        return [dict(r) for r in self._cur.fetchall()]

    # ---- rows ------------------------------------------------------------------------------
    def insert(self, table: str, row: dict[str, Any]) -> Any:
        """Insert one row; returns its integer ``id`` (None for tables keyed otherwise). An ``id`` of None is
        left out, so the engine assigns one."""
        pk = primary_key(table)
        row = _without_null_id(table, row)
        returning = pk if pk == "id" else None
        self._cur.execute(self.dialect.insert(table, list(row), returning=returning), tuple(row.values()))
        if returning is None:
            return None
        if self.dialect.postgres:
            return self._cur.fetchone()["id"]
        return self._cur.lastrowid

    def insert_new(self, table: str, row: dict[str, Any]) -> bool:
        """Insert one row unless its key (or a unique column set) is already there: True if inserted. Atomic
        against a concurrent writer of the same key (``ON CONFLICT DO NOTHING``), unlike a get-then-insert."""
        row = _without_null_id(table, row)
        self._cur.execute(self.dialect.insert(table, list(row), ignore=True), tuple(row.values()))
        return int(self._cur.rowcount) == 1

    def insert_all(self, table: str, rows: Sequence[dict[str, Any]], *, ignore: bool = False) -> None:
        """Insert rows in order; ``ignore`` skips those whose key or unique columns are already there."""
        for columns, group in _runs(table, rows):
            self._cur.executemany(self.dialect.insert(table, columns, ignore=ignore), group)

    def upsert_all(self, table: str, rows: Sequence[dict[str, Any]], *, pk: str = "id") -> None:
        """Insert rows in order, or update the given columns of those whose ``pk`` exists (others kept)."""
        for columns, group in _runs(table, rows):
            self._cur.executemany(self.dialect.upsert(table, columns, pk), group)

    def get(self, table: str, key: Any) -> dict[str, Any] | None:
        """The row whose primary key is ``key``, or None."""
        rows = self.query(f"SELECT * FROM {table} WHERE {primary_key(table)} = ?", [key])
        return rows[0] if rows else None

    def update(self, table: str, key: Any, fields: dict[str, Any]) -> int:
        """Set ``fields`` on the row whose primary key is ``key``; the rows changed (0: no such row)."""
        if not fields:
            return 1 if self.get(table, key) is not None else 0
        sets = ", ".join(f"{c} = ?" for c in fields)
        return self.execute(f"UPDATE {table} SET {sets} WHERE {primary_key(table)} = ?", [*fields.values(), key])

    def select(
        self, table: str, where: Sequence[str], args: Sequence[Any], order_by: str, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """Rows of ``table`` matching every clause of ``where``, ordered, at most ``limit``."""
        sql = f"SELECT * FROM {table}"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += f" ORDER BY {order_by}"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return self.query(sql, args)


def _without_null_id(table: str, row: dict[str, Any]) -> dict[str, Any]:
    if primary_key(table) == "id" and "id" in row and row["id"] is None:
        return {k: v for k, v in row.items() if k != "id"}
    return row


def _runs(table: str, rows: Sequence[dict[str, Any]]) -> list[tuple[list[str], list[tuple[Any, ...]]]]:
    """Consecutive rows with the same columns, as (columns, value tuples): one statement per run, order kept."""
    out: list[tuple[list[str], list[tuple[Any, ...]]]] = []
    for row in rows:
        row = _without_null_id(table, row)
        columns = list(row)
        if out and out[-1][0] == columns:
            out[-1][1].append(tuple(row.values()))
        else:
            out.append((columns, [tuple(row.values())]))
    return out
