"""The evaluator as it was before the speed work (books, sizing, search, evaluator of commit 5eb3e2d), kept
verbatim as the reference the optimised :mod:`arb.core` evaluator must equal on every input
(tests/unit/test_evaluator_reference.py)."""
