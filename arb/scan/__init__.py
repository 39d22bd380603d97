"""Scanning: feeds (ccxt.pro watch loops) -> engine (sync core per book) -> episodes; scanner wires them."""
