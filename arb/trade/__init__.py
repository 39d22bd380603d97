"""Trading: risk gate, balances, executor, orders, settle, paper venue, reconcile, halts, trader and its upkeep."""
