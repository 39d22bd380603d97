"""Benchmarks: arb's cost measured against ccxt's own, on the same run (`make bench`)."""
