"""The start-up position-mode check against the paper venue."""

from __future__ import annotations

import logging

import pytest

from bot.paper.rest import ALL_ROUTES
from bot.reconcile import HedgeModeError
from bot.runtime.assembly import build
from bot.runtime.bot import Bot
from tests.fixtures.paper import make_client
from tests.integration.runtime.test_runtime_app import settings_for

VENUE_HAS_MODE = ("GET", "/fapi/v1/positionSide/dual") in ALL_ROUTES


def test_start_when_venue_answers_position_mode_or_not_then_one_way_account_runs(
    tmp_path, paper_exchange, caplog
) -> None:
    bot = Bot(build(settings_for(tmp_path), paper=paper_exchange))
    try:
        with caplog.at_level(logging.INFO, logger="bot.reconcile"):
            bot.start(scheduler=False)
        assert bot.status == "running"
        expected = "Position mode: one-way" if VENUE_HAS_MODE else "Position mode unknown"
        assert any(expected in r.getMessage() for r in caplog.records)
    finally:
        bot.shutdown()


@pytest.mark.skipif(not VENUE_HAS_MODE, reason="paper venue has no /fapi/v1/positionSide/dual")
def test_start_when_account_in_hedge_mode_then_refused_and_nothing_held(
    tmp_path, paper_exchange
) -> None:
    make_client(paper_exchange).futures_change_position_mode(dualSidePosition="true")
    bot = Bot(build(settings_for(tmp_path), paper=paper_exchange))
    try:
        with pytest.raises(HedgeModeError, match="One-way"):
            bot.start(scheduler=False)
        assert not bot.c.reconciler.held
    finally:
        bot.shutdown()


class HedgeAccount:
    """The paper adapter, but the account answers hedge mode (until the venue models it)."""

    def __init__(self, inner) -> None:
        self._inner = inner

    def dual_side_position(self) -> bool:
        return True

    def __getattr__(self, name: str):
        return getattr(self._inner, name)


def test_start_when_adapter_reports_hedge_mode_then_refused_before_lease_and_orders(
    tmp_path, paper_exchange
) -> None:
    c = build(settings_for(tmp_path), paper=paper_exchange)
    c.exchange = HedgeAccount(c.exchange)
    bot = Bot(c)
    try:
        with pytest.raises(HedgeModeError, match="dualSidePosition=false"):
            bot.start(scheduler=False)
        assert not c.reconciler.held and bot.status == "starting"
        assert c.store.lease_holder(c.reconciler.account) is None
    finally:
        bot.shutdown()
