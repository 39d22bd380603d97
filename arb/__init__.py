"""arb — cross-exchange arbitrage scanner and executor for ccxt."""

from arb.core.evaluator import evaluate
from arb.core.model import Balances, Fee, Limits, MarketSpec, Opportunity

__version__ = "0.1.0"
__all__ = ["Balances", "Fee", "Limits", "MarketSpec", "Opportunity", "__version__", "evaluate"]
