"""arb — cross-exchange arbitrage scanner and executor for ccxt."""

import arb.core
from arb import native

# before any arb.core module is imported: their mypyc build first on the package's path when it is of this source
native.STATUS = native.activate(arb.core.__path__)

from arb.core.evaluator import evaluate  # noqa: E402
from arb.core.model import Balances, Fee, Limits, MarketSpec, Opportunity  # noqa: E402

__version__ = "0.1.0"
__all__ = ["Balances", "Fee", "Limits", "MarketSpec", "Opportunity", "__version__", "evaluate"]
