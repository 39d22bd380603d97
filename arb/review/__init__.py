"""Review: report, record, backtest."""
