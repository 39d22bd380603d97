"""Pure money core: model, books, detector, evaluator (+search), ledger, errors. No I/O, no clock, no config."""
