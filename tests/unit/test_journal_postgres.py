"""The journal on PostgreSQL (issue 19): the commands on a shared journal, what a bad URL says, locks, migrations.

The journal methods themselves run on both backends through the parametrized suites (test_store,
test_journal_fills, test_journal_intents); these are the Postgres-only behaviours. A throw-away server per
test process (tests/kit/pg.py); without Debian's PostgreSQL they skip loudly.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from arb.config import Config
from arb.core.errors import ConfigError, StoreError
from arb.store import MIGRATIONS, Journal
from arb.store.lock import JournalLock, JournalLocked
from tests.kit.pg import PgServer
from tests.kit.run import run_arb

PASSWORD = "sup3r-Secret-pw-for-tests"


def with_password(url: str) -> str:
    return url.replace("postgresql://postgres@", f"postgresql://postgres:{PASSWORD}@")  # trust auth ignores it


def everything_in(url: str) -> str:
    """Every row of every table of the journal at ``url``, as text."""
    import psycopg

    with psycopg.connect(url) as conn:
        tables = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")]
        return "\n".join(str(conn.execute(f"SELECT * FROM {t}").fetchall()) for t in tables)


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_demo_report_and_opportunities_on_postgres_never_show_the_password(pg_server: PgServer) -> None:
    url = with_password(pg_server.new_database())
    demo = run_arb("demo", "--paper", "--db", url, "--duration", "4", "--no-ui")
    assert demo.returncode == 0, demo.stderr
    report = run_arb("report", "--db", url, "--json")
    assert report.returncode == 0, report.stderr
    doc = json.loads(report.stdout)
    shown_url = doc["summary"]["journal"]
    assert shown_url.startswith("postgresql://") and "REDACTED@" in shown_url and "search_path" in shown_url
    assert doc["summary"]["pnl"]["trades"] > 0, doc["summary"]  # paper trades: intents, legs and fills on Postgres
    listed = run_arb("opportunities", "--db", url, "--format", "json", "--limit", "0")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)  # the demo's episodes, read back from Postgres
    shown = "".join(p.stdout + p.stderr for p in (demo, report, listed))
    assert PASSWORD not in shown
    journal = everything_in(url)
    assert "'paper'" in journal and PASSWORD not in journal  # runs.config_json holds the redacted config


@pytest.mark.parametrize(
    ("url", "says"),
    [
        (f"postgresql://arb:{PASSWORD}@db.example", "names no database"),
        (f"postgresql://arb:{PASSWORD}@db.example:port/arb", "not a valid URL"),
        ("mysql://arb@db.example/arb", 'or a PostgreSQL URL such as "postgresql://'),
        (5432, 'must be "" (SQLite at store.path) or a PostgreSQL URL'),
    ],
    ids=["no-database", "bad-port", "not-postgres", "not-text"],
)
def test_bad_store_url_is_one_line_naming_key_and_value_without_the_password(url: object, says: str) -> None:
    with pytest.raises(ConfigError) as e:
        Config.from_dict({"store": {"url": url}}, env={})
    (line,) = str(e.value).splitlines()
    assert line.startswith("store.url = ") and says in line and PASSWORD not in line, line


def test_bad_store_url_from_the_command_line_exits_2(tmp_path: Path) -> None:
    cfg = tmp_path / "arb.toml"
    cfg.write_text(f'[store]\npaper_url = "postgresql://arb:{PASSWORD}@db.example"\n', encoding="utf-8")
    out = run_arb("report", "--config", str(cfg), "--paper")
    assert out.returncode == 2, out.stderr
    lines = [x for x in out.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and "store.paper_url = " in lines[0] and "names no database" in lines[0], out.stderr
    assert PASSWORD not in out.stderr and "Traceback" not in out.stderr


def test_unreachable_database_is_one_line_without_the_password(tmp_path: Path) -> None:
    url = f"postgresql://arb:{PASSWORD}@/arb?host={tmp_path}&port=1"  # no server on that socket
    out = run_arb("opportunities", "--db", url)
    assert out.returncode == 2, out.stderr
    lines = [x for x in out.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and "cannot connect" in lines[0] and "REDACTED" in lines[0], out.stderr
    assert PASSWORD not in out.stderr


def test_one_process_per_run_owner_by_advisory_lock(pg_server: PgServer) -> None:
    url = pg_server.new_database()
    first = JournalLock(url, "arb run", owner="0/2").acquire()
    try:
        with pytest.raises(JournalLocked, match="shard 0/2"):
            JournalLock(url, "arb run", owner="0/2").acquire()
        other = JournalLock(url, "arb run", owner="1/2").acquire()  # another shard shares the journal
        assert other.held
        other.release()
    finally:
        first.release()
    again = JournalLock(url, "arb run", owner="0/2").acquire()  # released with its session
    again.release()


def test_concurrent_first_opens_migrate_once(pg_server: PgServer) -> None:
    url = pg_server.new_database()
    results: list[Any] = []

    def open_it() -> None:
        try:
            with Journal.open(url) as j:
                results.append(j.schema_version)
        except Exception as e:  # reported below
            results.append(e)

    threads = [threading.Thread(target=open_it) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results == [len(MIGRATIONS)] * 3


def test_foreign_database_newer_schema_and_read_only_are_one_line_errors(pg_server: PgServer) -> None:
    import psycopg

    foreign = pg_server.new_database()
    with psycopg.connect(foreign, autocommit=True) as conn:
        conn.execute("CREATE TABLE users (name TEXT)")
    with pytest.raises(StoreError, match=r"is a PostgreSQL database but not an arb journal; choose another store\.url"):
        Journal.open(foreign)
    url = pg_server.new_database()
    with Journal.open(url) as j:
        j.start_run("alert", {}, now_ms=1, run_id="r1")
    with Journal.open(url, readonly=True) as j:
        assert [r["id"] for r in j.runs()] == ["r1"]
        with pytest.raises(StoreError, match="open read-only and cannot start a run"):
            j.start_run("alert", {}, now_ms=2)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("UPDATE arb_meta SET value = %s WHERE key = 'schema_version'", [str(len(MIGRATIONS) + 4)])
    with pytest.raises(StoreError, match=f"schema version {len(MIGRATIONS) + 4}, this arb knows up to"):
        Journal.open(url)


def test_a_lost_connection_fails_one_write_then_the_journal_reconnects(pg_server: PgServer) -> None:
    import psycopg

    url = pg_server.new_database()
    with Journal.open(url) as j:
        j.start_run("alert", {}, now_ms=1, run_id="r1")
        with psycopg.connect(url, autocommit=True) as admin:  # a server restart / network cut, as the journal sees it
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = 'arb journal' AND pid <> pg_backend_pid()"
            )
        with pytest.raises(StoreError) as e:  # the write that meets the dead connection: one line, no traceback
            j.start_run("alert", {}, now_ms=2, run_id="r2")
        assert "\n" not in str(e.value) and str(e.value).startswith(f"journal {j.path}")
        j.start_run("alert", {}, now_ms=3, run_id="r3")  # dialled again
        assert [r["id"] for r in j.runs()] == ["r1", "r3"]


def test_the_control_apis_history_reads_a_postgres_journal(pg_server: PgServer) -> None:
    """Issue 19: the dashboard reads either journal. The API's reader gets a session of its own on the
    journal's database (the URL's password stays inside the backend) and reads what the run journaled."""
    from arb.api.reader import Reader

    url = with_password(pg_server.new_database())
    with Journal.open(url) as journal:
        run_id = journal.start_run("paper", {}, now_ms=1)
        journal.write_batch(
            [
                ("event", {"run_id": run_id, "ts_ms": 2, "kind": "trade", "symbol": "BTC/USDT", "detail": '{"ok": 1}'}),
                ("event", {"run_id": run_id, "ts_ms": 3, "kind": "control", "detail": "pause by ops"}),
            ]
        )
        reader = Reader(backend=journal.reader_session())
        try:
            trades = reader.trades(limit=10)
            assert [(t["symbol"], t["detail"]) for t in trades] == [("BTC/USDT", {"ok": 1})]
            assert reader.max_event_id() >= 2 and len(reader.events_after(0)) == 2
            assert [e["detail"] for e in reader.control_events()] == ["pause by ops"]
            assert reader.run_counts(run_id)["trades"] and reader.episodes(5) == []
        finally:
            reader.close()
