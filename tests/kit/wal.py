"""Durable commits counted from the journal's own WAL file, the way SQLite's recovery reads it.

A WAL file is a 32-byte header (page size at bytes 8-11, salts at 16-23) followed by frames: a 24-byte frame
header (page number, "database size after commit" — non-zero only on the last frame of a transaction —, the
two salts, a checksum) and one page. Recovery reads frames in order while their salts match the header's;
frames after the first mismatch are left over from before the last checkpoint reset. So the number of
transactions committed into the current WAL is the number of valid frames with a non-zero commit field —
counted here from the file on disk, independently of arb's code. With ``synchronous=FULL`` SQLite fsyncs the
WAL once per commit, so for fsynced writes commits are fsyncs.
"""

from __future__ import annotations

import struct
from pathlib import Path

_HEADER = 32
_FRAME_HEADER = 24


def wal_commits(db: str | Path) -> int:
    """Transactions committed into ``db``'s current WAL (0 when there is none yet)."""
    wal = Path(f"{db}-wal")
    if not wal.exists():
        return 0
    data = wal.read_bytes()
    if len(data) < _HEADER:
        return 0
    page_size = struct.unpack(">I", data[8:12])[0] or 65536
    salts = data[16:24]
    commits, at = 0, _HEADER
    while at + _FRAME_HEADER + page_size <= len(data):
        page, size_after = struct.unpack(">II", data[at : at + 8])
        if page == 0 or data[at + 8 : at + 16] != salts:
            break
        commits += size_after != 0
        at += _FRAME_HEADER + page_size
    return commits
