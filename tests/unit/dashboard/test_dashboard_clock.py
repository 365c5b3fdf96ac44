"""One clock on the page: the snapshot's (the bot's, the venue's in fast paper mode), in UTC."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.domain import Kpis, Severity
from dashboard import create_app, ids
from dashboard.activity import render_line
from dashboard.formatting import fmt_time_utc, utc_attrs
from dashboard.header import build_header_view
from dashboard.kpis import build_kpi_tiles
from dashboard.red_flags import build_incidents, render_incidents
from tests.fixtures.dashboard import FIXED_NOW, FakeControl, dependency_body, find_dependency

HOST = {"Host": "127.0.0.1:8050"}
WALL_CLOCK = FIXED_NOW + timedelta(hours=5)  # the server's clock, far from the bot's


def _poll(fake: FakeControl) -> dict:
    app = create_app(fake, mode_label="paper", snapshot_ttl=0, now=lambda: WALL_CLOCK)
    client = app.server.test_client()
    dep = find_dependency(client, HOST, input_id=ids.POLL_INTERVAL, output_prefix=ids.HEADER_STATUS)
    kpi_ids = [{"kpi": t.key, "type": ids.KPI_VALUE} for t in build_kpi_tiles(Kpis())]
    body = dependency_body(dep, {f"{ids.POLL_INTERVAL}.n_intervals": 1},
                           [f"{ids.POLL_INTERVAL}.n_intervals"],
                           expand={ids.KPI_VALUE: kpi_ids})
    resp = client.post("/_dash-update-component", json=body, headers=HOST)
    assert resp.status_code == 200, resp.data[:300]
    return resp.get_json()["response"]


def test_clock_poll_when_server_clock_differs_then_ages_use_snapshot_taken_at():
    fake = FakeControl()  # taken_at = FIXED_NOW, monitor 4 s before it, position 42 min old
    fake.add_position("ATOMUSDT")
    props = _poll(fake)
    assert props[ids.HEADER_MONITOR_AGE]["children"] == "monitor 4s ago"
    row = props[ids.POSITIONS_TABLE]["children"][0]["props"]["children"]
    assert row[-1]["props"]["children"] == "42m"
    clock = props[ids.HEADER_CLOCK]["children"]["props"]
    assert clock["children"] == "bot clock 12:00:00 UTC"
    assert clock["data-utc"] == "2026-01-05T12:00:00Z"


def test_clock_poll_when_answered_then_heartbeat_changes_every_time():
    fake = FakeControl()
    first, second = _poll(fake), _poll(fake)
    assert first[ids.LIVE_HEARTBEAT]["data"] != second[ids.LIVE_HEARTBEAT]["data"]


def test_clock_header_when_snapshot_has_no_time_then_falls_back_to_given_now():
    fake = FakeControl()
    snap = replace(fake.snapshot(), taken_at=None)
    view = build_header_view(snap, FIXED_NOW + timedelta(seconds=6))
    assert view.monitor_age == "monitor 10s ago" and view.clock == "bot clock 12:00:06 UTC"


def test_clock_times_when_shown_then_labelled_utc_with_iso_for_local_hover():
    fake = FakeControl()
    fake.add_red_flag("NAKED", symbol="XUSDT", severity=Severity.CRITICAL,
                      at=FIXED_NOW - timedelta(minutes=7))
    flag = render_incidents(build_incidents(fake.snapshot()))[0]
    stamp = flag["props"]["children"][0]["props"]["children"][3]["props"]
    assert stamp["children"] == "11:53:00 UTC" and stamp["data-utc"] == "2026-01-05T11:53:00Z"
    fake.add_activity("[OK] stop verified")
    span = render_line(fake.snapshot().activity[0])["props"]["children"][0]
    assert span["props"]["data-utc"] == "2026-01-05T12:00:00Z"
    assert fmt_time_utc(FIXED_NOW) == "12:00:00 UTC" and utc_attrs(None) == {}
