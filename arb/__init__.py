"""arb — cross-exchange arbitrage scanner and executor for ccxt."""

__version__ = "0.1.0"
