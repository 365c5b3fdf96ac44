"""The assembled bot carries the settings of items 3, 6 and 7 to the adapter and the context."""

from __future__ import annotations

from bot.runtime.assembly import build
from tests.integration.runtime.test_runtime_app import settings_for


def test_build_when_settings_given_then_budget_filters_and_freshness_wired(
    tmp_path, paper_exchange
) -> None:
    c = build(settings_for(tmp_path, QT_RATE_RESERVE_SHARE="0.6", QT_FILTERS_REFRESH_S="900",
                           QT_REGIME_REFRESH_S="20", QT_MARK_MAX_AGE_S="7"),
              paper=paper_exchange)
    try:
        assert c.exchange.request_budget().reserve_share == 0.6
        assert c.exchange._cache.max_age_s == 900
        assert c.regime.params.max_age_s == 40
        assert c.context._limits.mark_max_age_s == 7
    finally:
        c.notifier.stop()
        c.store.close()
