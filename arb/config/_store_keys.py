"""Value check of ``store.url`` / ``store.paper_url`` (no section classes here: :mod:`arb.config.sections` imports it).

``""`` (the default) keeps the journal in SQLite at ``store.path`` / ``store.paper_path``; a PostgreSQL URL
(``postgresql://user[:password]@host[:port]/database``) puts it in that database, shared by every worker
and machine that points there. A password in the URL is registered with :mod:`arb.redaction` the moment it
is read, so no log line, error, alert or journaled config ever shows it; a bad URL is shown without it.
"""

from __future__ import annotations

from typing import Any

from arb.config._parse import _Bad, _show
from arb.redaction import add_secrets, scrub
from arb.store.url import check_url, display_url, is_url, url_password

ALLOWED = 'must be "" (SQLite at store.path) or a PostgreSQL URL such as "postgresql://arb@db.example:5432/arb"'


def store_url(path: str, v: Any) -> str:
    if v == "":
        return v
    if not isinstance(v, str):
        raise _Bad(f"{path} = {_show(v)}: {ALLOWED}")
    add_secrets(url_password(v))
    if not is_url(v):
        raise _Bad(f"{path} = {_show(scrub(v))}: {ALLOWED}")
    problem = check_url(v)
    if problem is not None:
        raise _Bad(f"{path} = {_show(display_url(v))}: {problem}")
    return v.strip()
