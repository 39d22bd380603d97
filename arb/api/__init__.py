"""The control API a running arb serves (``[api]`` / ``--api HOST:PORT``): status, history, a live stream,
operator actions, Prometheus ``/metrics`` and the dashboard at ``/``.

Layout: :mod:`.tokens` where the bearer tokens come from; :mod:`.auth` the middleware (constant-time check,
failed-authentication rate limit, journaled); :mod:`.context` what a run exposes; :mod:`.views` read
endpoints; :mod:`.actions` operator actions; :mod:`.stream` Server-Sent Events; :mod:`.metrics` Prometheus;
:mod:`.server` the app and its life cycle; :mod:`.launch` the command-line options; ``dashboard`` (helper F)
the page. The contract is README's "Control API" section.
"""
