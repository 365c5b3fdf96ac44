"""How the store shows its database URL: a password never, wherever the URL carries it."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.engine import make_url

from bot.store import Store

SECRET = "DbPass-Uu71-do-not-show"


def test_a_password_in_the_url_query_is_masked_in_the_log_and_repr(
        postgres_url: str, caplog: pytest.LogCaptureFixture) -> None:
    """libpq takes ``?password=`` too; the test server trusts loopback, so it is ignored."""
    url = make_url(postgres_url).update_query_dict({"password": SECRET}).render_as_string(
        hide_password=False)
    caplog.set_level(logging.INFO, logger="bot.store")
    with Store(url) as store:
        shown = repr(store)
    assert "[STORE] Database ready" in caplog.text
    assert SECRET not in caplog.text and SECRET not in shown
    assert "password=****" in caplog.text and "password=****" in shown
