"""Pure money core: model, books, detector, evaluator (+search), ledger, errors. No I/O, no clock, no config.

The evaluator's modules may run as their mypyc build of this exact source (arb/native.py), with the same results.
"""
