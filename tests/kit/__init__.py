"""The test kit: what many tests share, one copy each.

- :mod:`tests.kit.builders` — books, markets, fees, config TOML (``make_book``, ``market``, ``ccxt_market``, ``fee``,
  ``toml_text``);
- :mod:`tests.kit.poll` — ``eventually``, the one polling helper (a deadline, never a bare sleep);
- :mod:`tests.kit.run` — running ``arb`` commands as users do (``run_arb``, ``arb``, ``start_arb``, ``arb_env``);
- :mod:`tests.kit.live` — the live setup: simulators with venue aliases, configs, journals, traders (``Setup``,
  ``Run``, ``make_config``, ``plant``...); the ``setup`` fixture in ``tests/integration/conftest.py`` wraps it;
- :mod:`tests.kit.orders` — placing and finding orders on the simulators per venue;
- :mod:`tests.kit.audit` — the journal-vs-venue audit of the chaos test.
"""
