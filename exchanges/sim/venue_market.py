"""What a venue's handlers read from the market: USD prices, the book's mid, 24 h ticker values, market
sell sizing. Mixed into :class:`exchanges.sim.base.VenueServer`."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from exchanges.sim.tape import Stats

if TYPE_CHECKING:
    from exchanges.sim.market import MarketProcess
    from exchanges.sim.matching import MatchingEngine


class MarketViews:
    """Read-only views of the market process and the trade tape for one venue."""

    venue: str
    market: MarketProcess
    engine: MatchingEngine
    unlisted: set[str]  # symbols of the market this venue does not list (the harness's ``unlisted``)

    def now_ms(self) -> int:
        raise NotImplementedError

    def listed(self) -> list[str]:
        """The market's symbols this venue lists (its instruments and tickers endpoints serve only these)."""
        return [s for s in self.market.symbols if s not in self.unlisted]

    def usd_prices(self) -> dict[str, float]:
        """USD value of one unit per currency: stablecoins 1, bases at their latent mid."""
        prices = {"USDT": 1.0, "USDC": 1.0}
        for symbol in self.market.symbols:
            base, quote = symbol.split("/")
            if quote in ("USDT", "USDC"):
                prices[base] = self.market.mids[symbol]
        return prices

    def base_for_quote(self, symbol: str, quote: Decimal) -> Decimal:
        """Base amount a market sell must sell to raise ``quote`` (walking the live bids, floored to the lot)."""
        book = self.market.book(self.venue, symbol)
        g = book.grid
        base, left = Decimal(0), quote
        for tick, lots in book.sorted_levels("bid", published=False):
            px, size = g.price(tick), g.size(lots)
            take = min(size, left / px)
            base, left = base + take, left - take * px
            if left <= 0:
                break
        return (base // g.lot) * g.lot

    def mid(self, symbol: str) -> Decimal:
        """The published book's mid on the tick grid (rounded down), or the latent mid when a side is empty."""
        book = self.market.book(self.venue, symbol)
        bids, asks = book.sorted_levels("bid")[:1], book.sorted_levels("ask")[:1]
        if bids and asks:
            return book.grid.price((bids[0][0] + asks[0][0]) // 2)
        tick = book.grid.tick
        return Decimal(str(self.market.venue_mid(self.venue, symbol))) // tick * tick

    def ticker_stats(self, symbol: str) -> Stats:
        """24 h ticker values from the trade tape and the mid history (last = last trade, else the mid)."""
        return self.engine.tape.stats(symbol, self.now_ms(), self.mid(symbol))
