"""Webhook signals with absurd but "valid-looking" prices, all the way through the bot.

A body the webhook accepts must never crash the executor job: it is either refused
at the door (422) or decided and refused as a value, and the other signals queued
with it are still decided. Run on the assembled app (``make_dash`` over a started
bot and a paper venue).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain import Coverage, EventKind
from bot.web.webhook import PATH, TOKEN_HEADER
from tests.fixtures.security import Served, served_bot, settings_env

TOKEN = "pipe-token-5521"

@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[Served]:
    env = settings_env(tmp_path_factory.mktemp("pipe"), QT_WEBHOOK_TOKEN=TOKEN,
                       QT_MAX_POSITIONS_PER_SYMBOL="10", QT_MAX_OPEN_POSITIONS="200")
    with served_bot(env) as s:
        yield s


def decisions_for(served: Served, symbol: str) -> int:
    kinds = [EventKind.DECISION_ALLOWED, EventKind.DECISION_DENIED]
    return len(served.bot.c.store.events(kinds=kinds, symbol=symbol, limit=10_000))


def _case(fields: dict, side: str):
    return pytest.param(fields, side, id=f"{side}-{fields}")


@pytest.mark.parametrize("fields, side", [
    _case({"stop": "1E+999999999"}, "SELL"),
    _case({"stop": "1E+30"}, "SELL"),
    _case({"stop": 1e300}, "SELL"),
    _case({"target": "1E+999999999"}, "BUY"),
    _case({"target": "1E+30"}, "BUY"),
    _case({"price": "1E+30", "stop": "1E+31"}, "SELL"),
    _case({"price": "1E+999999999"}, "BUY"),
    _case({"stop": "1E-999999999"}, "BUY"),
    _case({"stop": "0.00000000001"}, "BUY"),
    _case({"target": "1E-999999999"}, "SELL"),
])
def test_extreme_price_signal_when_queued_with_others_then_executor_survives_and_others_decided(
        served: Served, fields: dict, side: str):
    client = served.app.server.test_client()
    headers = {TOKEN_HEADER: TOKEN}
    before = decisions_for(served, "ATOMUSDT")
    bad = client.post(PATH, json={"symbol": "XRPUSDT", "side": side, "confidence": 0.9,
                                  **fields}, headers=headers)
    assert bad.status_code in (202, 422), bad.get_json()
    good = client.post(PATH, json={"symbol": "ATOMUSDT", "side": "BUY", "confidence": 0.9},
                       headers=headers)
    assert good.status_code == 202
    served.bot.run_executor()  # must not raise
    assert len(served.bot.c.queue) == 0
    assert decisions_for(served, "ATOMUSDT") == before + 1, "the good signal was lost"
    served.bot.run_monitor()
    naked = [p.symbol for p in served.bot.positions() if p.coverage is not Coverage.COVERED]
    assert not naked, f"positions without a covering stop after {fields}: {naked}"


PRICE = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("1000000"), places=4,
                    allow_nan=False, allow_infinity=False)
SIGNAL = st.fixed_dictionaries(
    {"symbol": st.sampled_from(["BTCUSDT", "ETHUSDT", "ATOMUSDT", "XRPUSDT"]),
     "side": st.sampled_from(["BUY", "SELL", "long", "short"]),
     "confidence": st.floats(min_value=0, max_value=1)},
    optional={"stop": PRICE.map(str), "target": PRICE.map(str), "price": PRICE.map(str)},
)


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=st.lists(SIGNAL, min_size=1, max_size=4))
def test_random_plausible_signals_when_executed_then_no_crash_and_every_position_covered(
        served: Served, batch: list[dict]):
    client = served.app.server.test_client()
    accepted = 0
    for body in batch:
        response = client.post(PATH, json=body, headers={TOKEN_HEADER: TOKEN})
        assert response.status_code in (202, 422), response.get_json()
        accepted += response.status_code == 202
    before = sum(decisions_for(served, s) for s in ("BTCUSDT", "ETHUSDT", "ATOMUSDT", "XRPUSDT"))
    served.bot.run_executor()
    after = sum(decisions_for(served, s) for s in ("BTCUSDT", "ETHUSDT", "ATOMUSDT", "XRPUSDT"))
    assert after - before == accepted, "an accepted signal was never decided"
    served.bot.run_monitor()
    naked = [p.symbol for p in served.bot.positions() if p.coverage is not Coverage.COVERED]
    assert not naked, naked
