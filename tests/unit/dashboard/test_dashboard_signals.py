"""The signals card: each signal with the rule that allowed or denied it, filtered and paged."""

from __future__ import annotations

from bot.domain import Direction
from dashboard import create_app, ids, tabs
from dashboard.signals import PAGE_SIZE, build_query, page_summary, render_rows
from dashboard.trades import ANY
from tests.fixtures.dashboard import FakeControl, add_books, dependency_body, find_dependency

HOST = {"Host": "127.0.0.1:8050"}


def test_signals_row_when_denied_then_rule_and_reason_shown_and_row_tinted():
    fake = FakeControl()
    view = fake.add_decision("BTCUSDT", Direction.SHORT, allowed=False,
                             rule="uptrend_short_block",
                             reason="BTC UPTREND: shorts blocked (confidence 0.62 < 0.85)",
                             confidence=0.62)
    (tr,) = render_rows([view], filtered=False)
    text = str(tr)
    assert tr["props"]["data-verdict"] == "denied" and tr["props"]["className"] == "qs-row-denied"
    assert "uptrend_short_block" in text and "confidence 0.62 < 0.85" in text
    assert "DENIED" in text and "0.62" in text and "SHORT" in text


def test_signals_query_when_filters_sent_then_verdict_symbol_rule_or_all():
    q = build_query("denied", "BTCUSDT", "max_open_positions", 2)
    assert (q.allowed, q.symbol, q.rule, q.page, q.page_size) == (
        False, "BTCUSDT", "max_open_positions", 2, PAGE_SIZE)
    everything = build_query(ANY, ANY, ANY)
    assert (everything.allowed, everything.symbol, everything.rule) == (None, None, None)
    assert build_query("allowed", None, 7).allowed is True and build_query(3, "", "").rule is None


def _body(client, verdict=ANY, changed=None, tab=tabs.SIGNALS, page=1):
    dep = find_dependency(client, HOST, output_prefix=ids.SIGNALS_TABLE)
    return dependency_body(dep, {
        f"{ids.PAGE_ACTIVE}.data": tab, f"{ids.SIGNALS_VERDICT}.value": verdict,
        f"{ids.SIGNALS_SYMBOL}.value": ANY, f"{ids.SIGNALS_RULE}.value": ANY,
        f"{ids.SIGNALS_PAGER}.active_page": page,
    }, changed or [f"{ids.PAGE_ACTIVE}.data"])


def test_signals_callback_when_denied_chosen_then_only_denials_from_page_one():
    fake = add_books(FakeControl(), trades=0, decisions=60)
    client = create_app(fake, mode_label="paper").server.test_client()
    resp = client.post("/_dash-update-component", headers=HOST,
                       json=_body(client, "denied", [f"{ids.SIGNALS_VERDICT}.value"], page=2))
    props = resp.get_json()["response"]
    rows = props[ids.SIGNALS_TABLE]["children"]
    assert {r["props"]["data-verdict"] for r in rows} == {"denied"} and len(rows) == 20
    assert props[ids.SIGNALS_PAGER]["active_page"] == 1
    assert props[ids.SIGNALS_SUMMARY]["children"] == "1–20 of 20 signals"
    assert {o["value"] for o in props[ids.SIGNALS_RULE]["options"]} >= {
        ANY, "uptrend_short_block", "filter"}


def test_signals_callback_when_other_tab_shown_then_no_read():
    fake = add_books(FakeControl(), trades=0, decisions=3)
    client = create_app(fake, mode_label="paper").server.test_client()
    client.post("/_dash-update-component", headers=HOST, json=_body(client, tab=tabs.TRADES))
    assert fake.calls_to("decisions") == []


def test_signals_summary_when_empty_then_zero():
    fake = FakeControl()
    assert page_summary(fake.decisions(build_query(ANY, ANY, ANY))) == "0 signals"
    assert "No signal received yet" in str(render_rows([], filtered=False))
