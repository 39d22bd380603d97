"""The writer thread's connection never checkpoints inside a commit (issue 16: decision → orders p99).

SQLite's automatic checkpoint runs inside the COMMIT of whichever write carries the WAL past 1000 pages: the
database file's fsync, milliseconds (up to tens on the order bench), while that commit still holds the journal's
write lock — a decision arriving then could not commit its intents on the event loop's thread and waited behind
it. The writer thread's connection (``Backend.reopen``, also a reader session's) has it off and the thread runs a
PASSIVE checkpoint between its writes once the WAL passes 4 MiB; a PASSIVE checkpoint takes no write lock. Seen
in the files: the database file does not grow while the WAL fills, and does once the checkpoint ran.
"""

from __future__ import annotations

from pathlib import Path

from arb.store import Journal, JournalWriter
from arb.store.sqlite import CHECKPOINT_BYTES
from tests.kit.poll import eventually


def event(i: int) -> dict[str, object]:
    return {"run_id": "r", "ts_ms": i, "venue": "okx", "symbol": "BTC/USDT", "kind": "book_ok", "detail": "x" * 2000}


def test_commits_on_the_writer_connection_leave_the_checkpoint_to_checkpoint_if_large(tmp_path: Path) -> None:
    db = tmp_path / "arb.db"
    with Journal.open(db) as journal:
        size = db.stat().st_size
        conn = journal.reader_session()  # the writer thread's kind of connection (Backend.reopen)
        try:
            for i in range(25):  # 25 commits of 200 rows of ~2 KB: about 10 MB, past the threshold twice
                with conn.write("events") as tx:
                    tx.insert_all("events", [event(200 * i + k) for k in range(200)])
            assert Path(f"{db}-wal").stat().st_size > 2 * CHECKPOINT_BYTES
            assert db.stat().st_size == size  # no commit checkpointed: every page is still in the WAL only
            conn.checkpoint_if_large()
            assert db.stat().st_size > size + CHECKPOINT_BYTES  # outside any write: the pages moved in
        finally:
            conn.close()


async def test_the_writer_thread_checkpoints_a_large_wal_between_its_writes(tmp_path: Path) -> None:
    db = tmp_path / "arb.db"
    with Journal.open(db) as journal:
        size = db.stat().st_size
        writer = JournalWriter(journal, flush_ms=10_000, maxsize=5000)
        for _ in range(3):  # three flushes on the writer thread, 3 x 1000 rows of ~2 KB: past the threshold
            for i in range(1000):
                assert writer.submit("event", event(i))
            await writer.flush()
        assert writer.written == 3000
        await eventually(lambda: db.stat().st_size > size + CHECKPOINT_BYTES, what="the WAL checkpointed")


def test_once_checkpointed_small_writes_do_not_checkpoint_again(tmp_path: Path) -> None:
    """A checkpoint empties the WAL's content but SQLite keeps the file at its high-water mark: judged by the file's
    size, every write after the first large WAL checkpointed again (a database fsync per write on the writer
    thread). The WAL file is cut back when it is reset, so only a WAL that fills again is checkpointed."""
    db = tmp_path / "arb.db"
    with Journal.open(db) as journal:
        conn = journal.reader_session()
        try:
            for i in range(15):  # ~6 MB: past the threshold
                with conn.write("events") as tx:
                    tx.insert_all("events", [event(200 * i + k) for k in range(200)])
            conn.checkpoint_if_large()
            with conn.write("events") as tx:  # the WAL is reset here: a small write
                tx.insert_all("events", [event(10_000)])
            before = db.read_bytes()
            conn.checkpoint_if_large()
            assert db.read_bytes() == before  # not checkpointed: the WAL holds one small write
            assert Path(f"{db}-wal").stat().st_size < CHECKPOINT_BYTES
        finally:
            conn.close()


async def test_a_writer_thread_that_never_idles_still_checkpoints(tmp_path: Path) -> None:
    """Checked between writes also when the queue never empties (every CHECKPOINT_EVERY writes): under a sustained
    load the WAL does not grow without bound. The thread is held while 100 writes of ~100 KB queue up behind it;
    the 100th write sees the database file already grown by a checkpoint, with writes still waiting."""
    import asyncio
    import threading

    from arb.store.offloop import BATCH, CHECKPOINT_EVERY

    db = tmp_path / "arb.db"
    with Journal.open(db) as journal:
        size = db.stat().st_size
        hold, seen = threading.Event(), []
        first = journal.off_loop_start(BATCH, hold.wait)
        writes = [
            journal.off_loop_start(BATCH, journal.write_batch, [("event", event(50 * i + k)) for k in range(50)])
            for i in range(100)
        ]
        probe = journal.off_loop_start(BATCH, lambda: seen.append(db.stat().st_size))
        after = [journal.off_loop_start(BATCH, journal.write_batch, [("event", event(99_999))]) for _ in range(5)]
        hold.set()
        await asyncio.gather(first, *writes, probe, *after)
        assert CHECKPOINT_EVERY < 100 and seen[0] > size + CHECKPOINT_BYTES  # checkpointed with the queue still full
