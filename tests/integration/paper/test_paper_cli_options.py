"""``python -m bot.paper`` options of the venue's hard cases: trigger delay and read lag."""

from __future__ import annotations

import pytest

from bot.paper.__main__ import parse_args


def test_cli_when_delay_and_lag_given_then_parsed():
    args = parse_args(["--trigger-delay-ms", "0", "--read-lag-ms", "300"])
    assert (args.trigger_delay_ms, args.read_lag_ms) == (0, 300)


def test_cli_when_not_given_then_venue_defaults(monkeypatch):
    monkeypatch.delenv("QT_PAPER_TRIGGER_DELAY_MS", raising=False)
    monkeypatch.delenv("QT_PAPER_READ_LAG_MS", raising=False)
    args = parse_args([])
    assert (args.trigger_delay_ms, args.read_lag_ms) == (None, 0)


def test_cli_when_environment_sets_delay_then_used(monkeypatch):
    monkeypatch.setenv("QT_PAPER_TRIGGER_DELAY_MS", "400")
    assert parse_args([]).trigger_delay_ms == 400


def test_cli_when_negative_then_usage_error():
    with pytest.raises(SystemExit):
        parse_args(["--trigger-delay-ms", "-1"])
