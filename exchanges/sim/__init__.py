"""Loopback exchange simulators speaking the real wire protocols (OKX v5, Binance spot, Bybit v5).

A stock ``ccxt.pro`` client pointed at a simulator (only ``urls`` and a few options changed) loads
markets, streams books and places, fetches and cancels orders over real HTTP/WebSocket on 127.0.0.1.

Layout
------
``market.py``   MarketProcess: latent mid per symbol, per-venue noise/spread/depth, dislocation schedule.
``market_params.py`` its knobs (VenueProfile, MarketParams); ``profiles.py`` the named market profiles
                (``demo``, ``realistic``): book shape and cadence, latencies, competitors, replenishment.
``depth.py``    persistent liquidity (realistic): a depth profile minus what was taken, replenished by makers.
``latency.py``  one-way latency distributions; ``md_delay.py`` holds book frames for the market-data latency.
``traders.py``  competing takers that close dislocations after a reaction time, through the matching engine.
``instruments.py`` each venue's real spec per symbol (tick, lot, min/max size and notional, price filters)
                from ``instrument_data.py`` (recorded venue entries, origins noted); ``filters.py`` enforces them.
``tape.py``     the venue's public trade tape (every fill of every account) and 24 h ticker statistics.
``wallets.py``  currencies and networks (withdraw fee/min, confirmations) with the deposit/withdraw switch.
``keepalive.py`` idle disconnects, server pings and connection rotation as each venue does them.
``book.py``     integer-tick books (live + published), BookUpdate diffs, tick/lot <-> string Grid.
``orders.py``   Order, Fill, Account, Reject (venue-neutral reject reasons).
``matching.py`` MatchingEngine: limit GTC/IOC/FOK/post-only and market orders, partial fills, fees in
                the "received" currency, balances per account, the order log.
``faults.py``   FaultConfig per venue + ``venue:key=value,...`` spec parser (seeded RNG).
``placement.py`` an order's road to the engine: placement faults (delay, dropped answer, error after
                acceptance) and the venue's request expiry checked at landing.
``order_log.py`` the order log's entries (one per placement attempt, arrival and landing times).
``base.py``     ApiKey, RateLimiter, WsSession (fault-applying send queue), VenueServer base class.
``dialect_util.py`` what every dialect's REST side shares: ``rest_middleware(RestDialect(...))`` (faults,
                error bodies, request log), ``loopback_urls``/``ccxt_config`` (ccxt's URL trees on
                127.0.0.1), ``rate_limits``, ``dec``, ``dumps``.
``registry.py`` venue id -> dialect module (``DIALECT_MODULES``).
``harness.py``  LoopbackExchanges async context manager (tests, demo, ``arb sim``).
``cli.py``      ``arb sim``.
``okx/``        OKX v5 dialect: ``rest.py`` + ``trade.py`` (routes), ``ws.py`` (channels), ``auth.py``
                (signatures, error codes), ``format.py`` (wire shapes, crc32), ``app.py`` (OkxServer).

Using it
--------
::

    from exchanges.sim.harness import LoopbackExchanges

    async with LoopbackExchanges(venues=["okx"], symbols=["BTC/USDT"], seed=1,
                                 profile="demo",                   # or "realistic" (profiles.py)
                                 update_interval_ms=20,            # None = step manually: sim.step()
                                 faults="okx:gap_rate=0.01",       # or {venue: FaultConfig(...)}
                                 aliases={"okx2": "okx"},          # a 2nd OKX server, venue "okx2"
                                 dislocation_rate_per_min=2.0) as sim:   # any MarketParams field
        ex = ccxt.pro.okx(sim.ccxt_config("okx", key="trader"))   # keys: trader, readonly, withdraw
        ...
        sim.schedule                  # [Dislocation(symbol, venue, start_ms, end_ms, bps), ...]
        sim.order_log                 # [{ts_ms, venue, key, client_id, order_id, status, filled, ...}]
        sim.book("okx", "BTC/USDT")   # BookView of the published book (Decimal levels, seq, ts_ms)
        venue = sim.venue("okx")      # VenueServer: .faults (mutable, e.g. .rate_limit_burst = 2,
                                      #   .rest_timeout_next = 1, .order_delay_next = 1), .engine,
                                      #   .clock_offset_ms,
        sim.attempts("okx"); sim.fills("okx")          # venue truth: placements (arrival/landing), fills
        sim.account_balances("okx"); sim.initial_balances["okx"]
        sim.set_transfers("okx", "USDT", "TRC20", withdraw=False)   # suspend (True resumes) a network
        venue.engine.tape.trades("BTC/USDT")                        # public trades, newest first
        await venue.wait_for_seq("BTC/USDT")           # next publication (or a given seq)
        await venue.wait_for_subscription(lambda sub: sub[0] == "orders")
        venue.inject_crossed("BTC/USDT", 500); venue.stall(2000); await venue.disconnect_all()

Adding a venue dialect (Binance, Bybit)
---------------------------------------
1. Create ``exchanges/sim/<venue>/app.py`` with a ``VenueServer`` subclass implementing
   ``make_app()`` (aiohttp routes, ``middlewares=[rest_middleware(RestDialect(...))]`` from
   ``dialect_util``, + ``app.router.add_get(<ws path>, self.ws_endpoint)``),
   ``publish_book(update)`` (format a BookUpdate for its depth channels and ``session.send(text,
   book_update=True)`` to subscribers), ``on_ws_text(session, text)``, ``on_order_event(order, fill)``
   and ``ccxt_config(base_url, key)`` (``dialect_util.ccxt_config(loopback_urls(...), options, key)``);
   set ``rate_limits`` with the venue's documented limits.
2. Map :class:`~exchanges.sim.orders.Reject` reasons to the venue's real error codes, sign/verify
   requests as the venue does, and keep the venue's real field names (add recorded samples under
   ``tests/fixtures/<venue>/``).
3. Export ``DIALECT = DialectSpec("<venue>", <Server>, {"taker_fee": ..., "maker_fee": ...,
   "client_id_scope": "pending" | "all" | "none"})`` and add one line to ``registry.DIALECT_MODULES``.
Market, matching, faults, keys, rate limiting, WS sessions and the harness are shared.
"""
