"""The shared ``paper_adapter`` fixture reaches a live paper exchange."""

from __future__ import annotations

from decimal import Decimal


def test_paper_adapter_fixture_talks_to_its_paper_exchange(paper_adapter, paper_exchange):
    assert paper_adapter.symbols()
    assert paper_adapter.account().wallet_balance == Decimal("10000")
    assert paper_adapter.positions() == []
    assert paper_adapter.request_count == 3
