"""The listenKey lives 60 minutes of the venue's clock: the bot keeps it alive on that clock,
so a paper venue running ten times the wall (the soak), or standing still (a test), never
expires it under a connected stream."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest

from bot.domain import StreamState
from bot.exchange.user_stream import StreamConfig
from bot.paper.clock import ManualClock, SpeedClock
from bot.paper.server import PaperExchange
from bot.runtime.stream_reactor import LiveStream
from tests.fixtures.paper import StaticMarket, eventually
from tests.integration.protection.conftest import KEY, SECRET, Stack, build_stack, venue_clock
from tests.integration.stream.test_stream_reaction import Hooks

MINUTE_MS = 60_000


def _venue(clock: ManualClock | SpeedClock) -> PaperExchange:
    return PaperExchange(KEY, SECRET, seed=11, clock=clock, market=StaticMarket(),
                         weight_limit=None, order_limits=False, tick_interval_s=None,
                         slippage_bps=0)


def _seconds(clock: Callable[[], datetime]) -> Callable[[], float]:
    return lambda: clock().timestamp()


def _start(stack: Stack, config: StreamConfig) -> tuple[LiveStream, Hooks]:
    """As ``assembly.live_stream`` wires it for the embedded venue: keys on its clock."""
    clock = venue_clock(stack.paper)
    live = LiveStream(stack.adapter, config, stack.monitor, stack.recorder, clock,
                      down_after_s=30, key_seconds=_seconds(clock))
    hooks = Hooks()
    live.start(hooks)
    eventually(lambda: live.status().state is StreamState.UP, message="stream connects")
    return live, hooks


def _the_key(paper: PaperExchange) -> str:
    [key] = list(paper.stream.keys)
    return key


@pytest.fixture()
def manual(tmp_path: Path) -> Iterator[Stack]:
    paper = _venue(ManualClock())
    paper.start()
    try:
        yield build_stack(paper, tmp_path / "k.db")
    finally:
        paper.stop()


@pytest.fixture()
def fast(tmp_path: Path) -> Iterator[Stack]:
    paper = _venue(SpeedClock(10))
    paper.stream.keys.ttl_ms = 6_000  # a key lives 6 venue seconds: 0.6 s of wall at x10
    paper.start()
    try:
        yield build_stack(paper, tmp_path / "f.db")
    finally:
        paper.stop()


def test_keepalive_when_venue_clock_passes_half_the_key_life_then_key_extended(
        manual: Stack) -> None:
    live, hooks = _start(manual, StreamConfig(manual.paper.ws_url, recv_timeout_s=0.05))
    try:
        keys = manual.paper.stream.keys
        key = _the_key(manual.paper)
        first_expiry = keys.expiry_ms(key)
        assert first_expiry is not None
        manual.paper.control.advance(31 * MINUTE_MS)  # no wall time passes
        eventually(lambda: (keys.expiry_ms(key) or 0) > first_expiry, timeout=3,
                   message="keepalive sent on the venue's clock")
        manual.paper.control.advance(31 * MINUTE_MS)  # past the key's first 60 minutes
        time.sleep(0.3)  # the venue's timer would expire a key that was not kept alive
        assert keys.is_live(key)
        assert live.status().state is StreamState.UP and live.status().reconnects == 0
        assert hooks.woken == 1
    finally:
        live.stop()


def test_keepalive_when_venue_runs_x10_then_key_never_expires_under_the_stream(
        fast: Stack) -> None:
    config = StreamConfig(fast.paper.ws_url, keepalive_s=2.0, recv_timeout_s=0.02)
    live, hooks = _start(fast, config)
    try:
        key = _the_key(fast.paper)
        time.sleep(2.5)  # 25 venue seconds: four key lives
        assert fast.paper.stream.keys.is_live(key)
        assert live.status().state is StreamState.UP and live.status().reconnects == 0
        assert hooks.woken == 1
    finally:
        live.stop()
