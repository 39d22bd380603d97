"""OKX's order-book checksum and book frames as the simulator formats them."""

from __future__ import annotations

import zlib

from exchanges.sim.market import MarketProcess
from exchanges.sim.okx import format as fmt


def test_checksum_matches_okx_documented_example() -> None:
    # OKX docs example (also used by bmoscon/orderbook's test_okx_checksum): the longer ask side
    # continues alone after the single bid -> "3366.1:7:3366.8:9:3368:8:3372:8".
    bids = [["3366.1", "7", "0", "1"]]
    asks = [["3366.8", "9", "0", "1"], ["3368", "8", "0", "1"], ["3372", "8", "0", "1"]]
    assert fmt.checksum(bids, asks) == 831078360


def test_checksum_uses_top_25_interleaved_and_is_signed() -> None:
    bids = [[f"{100 - i}", f"{i + 1}", "0", "1"] for i in range(30)]
    asks = [[f"{101 + i}", f"{i + 2}", "0", "1"] for i in range(30)]
    text = ":".join(f"{b[0]}:{b[1]}:{a[0]}:{a[1]}" for b, a in zip(bids[:25], asks[:25], strict=True))
    raw = zlib.crc32(text.encode())
    expected = raw - 2**32 if raw >= 2**31 else raw
    assert fmt.checksum(bids, asks) == expected
    assert -(2**31) <= expected < 2**31


def test_same_seed_same_frames() -> None:
    def frames(seed: int) -> list[str]:
        m = MarketProcess(["BTC/USDT"], ["okx"], seed=seed)
        out = [str(fmt.books_snapshot(m.book("okx", "BTC/USDT"), 0))]
        for k in range(1, 50):
            for u in m.step(k * 100):
                book = m.book("okx", "BTC/USDT")
                g = book.grid
                out.append(
                    str(
                        fmt.books_update(
                            book,
                            [fmt.level(g, *x) for x in u.bids],
                            [fmt.level(g, *x) for x in u.asks],
                            u.prev_seq,
                            u.ts_ms,
                        )
                    )
                )
        return out

    assert frames(8) == frames(8)
    assert frames(8) != frames(9)
