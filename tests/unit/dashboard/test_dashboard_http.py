"""Callbacks over HTTP through Flask's test client, posting what the dash renderer posts."""

from __future__ import annotations

import base64
import json

import pytest

from bot.domain import Coverage, KillAction, KillState, Kpis
from dashboard import BasicAuthConfig, create_app, hash_password, ids
from dashboard.kpis import build_kpi_tiles
from tests.fixtures.dashboard import (
    SHORT_BLOCK,
    FakeControl,
    callback_body,
    dependency_body,
    find_dependency,
)

HOST = {"Host": "127.0.0.1:8050"}


@pytest.fixture
def fake() -> FakeControl:
    f = FakeControl()
    f.add_position("ATOMUSDT", coverage=Coverage.COVERED)
    f.add_position("BADUSDT", coverage=Coverage.NAKED)
    return f


@pytest.fixture
def client(fake):
    return create_app(fake, mode_label="paper", snapshot_ttl=0).server.test_client()


def post(client, body, headers=HOST):
    return client.post("/_dash-update-component", json=body, headers=headers)


def response_props(resp) -> dict:
    assert resp.status_code == 200, resp.data[:300]
    return resp.get_json()["response"]


def test_page_and_layout_served_with_dark_theme_and_local_css_only(client):
    page = client.get("/", headers=HOST)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-bs-theme="dark"' in html
    assert "/assets/bootstrap.min.css" in html and "https://" not in html
    layout = client.get("/_dash-layout", headers=HOST).get_data(as_text=True)
    assert ids.KILL_HALT in layout and SHORT_BLOCK in layout


def poll_body(client, **values):
    dep = find_dependency(client, HOST, input_id=ids.POLL_INTERVAL, output_prefix=ids.HEADER_STATUS)
    kpi_ids = [{"kpi": t.key, "type": ids.KPI_VALUE} for t in build_kpi_tiles(Kpis())]
    return dependency_body(
        dep,
        {f"{ids.POLL_INTERVAL}.n_intervals": 1, **values},
        [f"{ids.POLL_INTERVAL}.n_intervals"],
        expand={ids.KPI_VALUE: kpi_ids},
    )


def test_one_poll_request_refreshes_every_card_from_one_snapshot(client, fake):
    body = poll_body(client)  # the first request also builds the layout once
    reads = fake.snapshot_count
    props = response_props(post(client, body))
    rows = props[ids.POSITIONS_TABLE]["children"]
    attrs = [(r["props"]["data-symbol"], r["props"]["data-coverage"]) for r in rows]
    assert attrs == [("BADUSDT", "NAKED"), ("ATOMUSDT", "COVERED")]
    assert props[ids.HEADER_KILL]["children"] == "RUNNING"
    kpi = json.dumps({"kpi": "coverage", "type": ids.KPI_VALUE}, separators=(",", ":"))
    assert props[kpi]["children"] == "1 / 2" and "text-danger" in props[kpi]["className"]
    assert fake.snapshot_count == reads + 1 and fake.calls == []


def test_poll_sends_unchanged_flags_and_history_as_no_update(client, fake):
    fake.add_red_flag("NAKED", symbol="BADUSDT")
    first = response_props(post(client, poll_body(client)))
    again = response_props(
        post(
            client,
            poll_body(
                client,
                **{
                    f"{ids.FLAGS_SIGNATURE}.data": first[ids.FLAGS_SIGNATURE]["data"],
                    f"{ids.CHART_HISTORY_SIGNATURE}.data": first[ids.CHART_HISTORY_SIGNATURE][
                        "data"
                    ],
                },
            ),
        )
    )
    assert ids.FLAGS_LIST in first and ids.FLAGS_LIST not in again
    assert ids.CHART_EQUITY in first and ids.CHART_EQUITY not in again
    assert ids.POSITIONS_TABLE in again


def test_kill_confirm_over_http_calls_kill_switch_with_actor_and_reason(client, fake):
    outputs = [
        (ids.KILL_MODAL, "is_open"),
        (ids.KILL_MODAL_BODY, "children"),
        (ids.KILL_PENDING, "data"),
        (ids.KILL_RESULT, "children"),
        (ids.CONTROL_VERSION, "data"),
        (ids.KILL_REASON, "value"),
    ]
    buttons = [ids.KILL_HALT, ids.KILL_FLATTEN, ids.KILL_RESUME, ids.KILL_CANCEL, ids.KILL_CONFIRM]
    state = [(ids.KILL_PENDING, "data", "HALT"), (ids.KILL_REASON, "value", " drill ")]
    body = callback_body(
        outputs,
        [(b, "n_clicks", 1 if b == ids.KILL_CONFIRM else None) for b in buttons],
        state,
        changed=[f"{ids.KILL_CONFIRM}.n_clicks"],
    )
    # the renderer adds a suffix to duplicate-allowed outputs; take it from the dependencies
    deps = client.get("/_dash-dependencies", headers=HOST).get_json()
    body["output"] = next(
        d["output"] for d in deps if d["output"].startswith(f"..{ids.KILL_MODAL}")
    )
    props = response_props(post(client, body))
    assert props[ids.KILL_MODAL]["is_open"] is False
    assert fake.calls_to("kill_switch")[0].args == (KillAction.HALT, "local", "drill")
    assert fake.kill_state == KillState.HALTED


def test_kill_button_alone_only_opens_the_dialog(client, fake):
    deps = client.get("/_dash-dependencies", headers=HOST).get_json()
    dep = next(d for d in deps if d["output"].startswith(f"..{ids.KILL_MODAL}"))
    body = {
        "output": dep["output"],
        "outputs": [
            {"id": o.split(".")[0], "property": o.split(".")[1].split("@")[0]}
            for o in dep["output"].strip(".").split("...")
        ],
        "inputs": [
            {
                "id": i["id"],
                "property": "n_clicks",
                "value": 1 if i["id"] == ids.KILL_FLATTEN else None,
            }
            for i in dep["inputs"]
        ],
        "state": [
            {"id": ids.KILL_PENDING, "property": "data", "value": None},
            {"id": ids.KILL_REASON, "property": "value", "value": None},
        ],
        "changedPropIds": [f"{ids.KILL_FLATTEN}.n_clicks"],
    }
    props = response_props(post(client, body))
    assert props[ids.KILL_MODAL]["is_open"] is True
    assert props[ids.KILL_PENDING]["data"] == "FLATTEN"
    assert fake.calls_to("kill_switch") == []


def _rule_save_body(client, rule, value):
    deps = client.get("/_dash-dependencies", headers=HOST).get_json()
    dep = next(d for d in deps if ids.RULE_SAVE in str(d["inputs"][0]["id"]))
    sid = {"rule": rule, "type": ids.RULE_SAVE}
    pid = {"param": "exception_confidence", "rule": rule, "type": ids.RULE_PARAM}
    return {
        "output": dep["output"],
        "outputs": [
            {
                "id": {"rule": rule, "type": ids.RULE_MESSAGE},
                "property": "children@" + dep["output"].split("children@")[1].split("...")[0],
            },
            [{"id": pid, "property": "invalid"}],
            {
                "id": ids.CONTROL_VERSION,
                "property": "data@" + dep["output"].split("data@")[1].rstrip("."),
            },
        ],
        "inputs": [{"id": sid, "property": "n_clicks", "value": 1}],
        "state": [
            [{"id": pid, "property": "value", "value": value}],
            [{"id": pid, "property": "id", "value": pid}],
        ],
        "changedPropIds": [json.dumps(sid, separators=(",", ":"), sort_keys=True) + ".n_clicks"],
    }


def test_rule_save_when_value_out_of_range_then_inline_error_and_nothing_saved(client, fake):
    resp = post(client, _rule_save_body(client, SHORT_BLOCK, "7"))
    text = json.dumps(response_props(resp))
    assert "must be" in text and "exception_confidence" in text
    assert fake.calls_to("set_rule") == []


def test_rule_save_when_valid_then_set_rule_with_clean_params(client, fake):
    response_props(post(client, _rule_save_body(client, SHORT_BLOCK, "0.9")))
    assert fake.calls_to("set_rule")[0].args == (
        SHORT_BLOCK,
        None,
        {"exception_confidence": "0.9"},
        "local",
        "",
    )


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"{}",
        b'{"output": "nope.children", "inputs": [], "changedPropIds": []}',
        b'{"output": "chart-price-graph.figure", "outputs": {"id": "chart-price-graph"}}',
        b'{"output": "chart-price-graph.figure", "outputs": {}, "inputs": [1, 2]}',
    ],
)
def test_malformed_callback_request_is_a_client_error(client, fake, body):
    resp = client.post(
        "/_dash-update-component", data=body, headers={**HOST, "Content-Type": "application/json"}
    )
    assert 400 <= resp.status_code < 500
    assert fake.calls == []


def test_untrusted_host_header_is_refused(client):
    assert client.get("/", headers={"Host": "evil.example:8050"}).status_code == 400
    assert client.get("/", headers={"Host": "localhost:8050"}).status_code == 200


@pytest.fixture
def auth_client(fake):
    cfg = BasicAuthConfig("ops", hash_password("s3cret-pass"))
    return create_app(fake, mode_label="live", auth=cfg, snapshot_ttl=0).server.test_client()


def _basic(user, password):
    return {
        **HOST,
        "Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode(),
    }


def test_auth_on_without_credentials_page_and_callbacks_are_401(auth_client, fake):
    reads_before = fake.snapshot_count
    assert auth_client.get("/", headers=HOST).status_code == 401
    assert auth_client.get("/_dash-layout", headers=HOST).status_code == 401
    body = callback_body(
        f"{ids.CHART_PRICE}.figure",
        [(ids.CHART_SYMBOL, "value", "ATOMUSDT"), (ids.CHART_TICK, "n_intervals", 1)],
    )
    resp = auth_client.post("/_dash-update-component", json=body, headers=HOST)
    assert resp.status_code == 401 and "Basic" in resp.headers["WWW-Authenticate"]
    assert fake.snapshot_count == reads_before
    bad = auth_client.post("/_dash-update-component", json=body, headers=_basic("ops", "wrong"))
    assert bad.status_code == 401


def _concrete(part: str, rule: str, all_rules: list[str]) -> object:
    """One output of a callback's spec with its wildcards filled in as the renderer does."""
    cid, prop = part.rsplit(".", 1)
    if not cid.startswith("{"):
        return {"id": cid, "property": prop}
    pattern = json.loads(cid)
    if pattern["rule"] == ["ALL"]:
        return [{"id": {**pattern, "rule": r}, "property": prop} for r in all_rules]
    return {"id": {**pattern, "rule": rule}, "property": prop}


def _toggle_body(client, headers, rule, value):
    deps = client.get("/_dash-dependencies", headers=headers).get_json()
    dep = next(d for d in deps if ids.RULE_SWITCH in str(d["inputs"][0]["id"]))
    sw = {"rule": rule, "type": ids.RULE_SWITCH}
    return {
        "output": dep["output"],
        "outputs": [_concrete(p, rule, []) for p in dep["output"].strip(".").split("...")],
        "inputs": [{"id": sw, "property": "value", "value": value}],
        "state": [],
        "changedPropIds": [json.dumps(sw, separators=(",", ":"), sort_keys=True) + ".value"],
    }


def _confirm_body(client, headers, rule, reason, button=ids.RULES_CONFIRM):
    deps = client.get("/_dash-dependencies", headers=headers).get_json()
    dep = next(d for d in deps if d["inputs"][0]["id"] == ids.RULES_CONFIRM)
    names = [r.name for r in FakeControl().rules]
    return {
        "output": dep["output"],
        "outputs": [_concrete(p, rule, names) for p in dep["output"].strip(".").split("...")],
        "inputs": [{"id": ids.RULES_CONFIRM, "property": "n_clicks",
                    "value": 1 if button == ids.RULES_CONFIRM else None},
                   {"id": ids.RULES_CANCEL, "property": "n_clicks",
                    "value": 1 if button == ids.RULES_CANCEL else None}],
        "state": [{"id": ids.RULES_PENDING, "property": "data", "value": rule},
                  {"id": ids.RULES_REASON, "property": "value", "value": reason},
                  [{"id": {"rule": r, "type": ids.RULE_SWITCH}, "property": "id",
                    "value": {"rule": r, "type": ids.RULE_SWITCH}} for r in names]],
        "changedPropIds": [f"{button}.n_clicks"],
    }


def _switch_key(rule: str) -> str:
    return json.dumps({"rule": rule, "type": ids.RULE_SWITCH}, separators=(",", ":"),
                      sort_keys=True)


def test_rules_off_when_switched_then_dialog_asks_why_and_nothing_saved_yet(client, fake):
    props = response_props(post(client, _toggle_body(client, HOST, SHORT_BLOCK, False)))
    assert props[ids.RULES_MODAL]["is_open"] is True
    assert props[ids.RULES_PENDING]["data"] == SHORT_BLOCK
    assert "Uptrend short block" in json.dumps(props[ids.RULES_MODAL_BODY])
    assert fake.calls_to("set_rule") == []


def test_rules_off_when_confirmed_without_reason_then_refused_in_the_dialog(client, fake):
    props = response_props(post(client, _confirm_body(client, HOST, SHORT_BLOCK, "   ")))
    assert props[ids.RULES_MODAL]["is_open"] is True
    assert props[ids.RULES_MODAL_ERROR]["children"] == "A reason is required."
    assert fake.calls_to("set_rule") == []


def test_rules_off_when_cancelled_then_switch_back_on_and_nothing_saved(client, fake):
    props = response_props(post(client, _confirm_body(client, HOST, SHORT_BLOCK, "x",
                                                      ids.RULES_CANCEL)))
    assert props[_switch_key(SHORT_BLOCK)]["value"] is True
    assert props[ids.RULES_MODAL]["is_open"] is False and fake.calls_to("set_rule") == []


def test_auth_on_with_credentials_actions_are_attributed_to_the_user(auth_client, fake):
    creds = _basic("ops", "s3cret-pass")
    page = auth_client.get("/", headers=creds)
    assert page.status_code == 200 and "s3cret" not in page.get_data(as_text=True)
    resp = post(auth_client, _confirm_body(auth_client, creds, SHORT_BLOCK, " drill  night "),
                headers=creds)
    assert resp.status_code == 200
    assert fake.calls_to("set_rule")[0].args == (SHORT_BLOCK, False, {}, "ops", "drill night")
    assert [(a.key, a.old, a.new, a.actor, a.note) for a in fake.audit_trail()] == [
        (f"rule.{SHORT_BLOCK}.enabled", "true", "false", "ops", "drill night")]


def test_toggle_refused_by_the_bot_puts_the_switch_back(client, fake):
    fake.refuse_rules.add(SHORT_BLOCK)
    props = response_props(post(client, _confirm_body(client, HOST, SHORT_BLOCK, "drill")))
    assert props[_switch_key(SHORT_BLOCK)]["value"] is True
    assert "refused" in json.dumps(props)
    assert fake.rules[1].enabled is True


def test_toggle_on_when_rule_is_off_then_saved_at_once(client, fake):
    fake.set_rule(SHORT_BLOCK, False, {}, "setup", "test")
    fake.calls.clear()
    response_props(post(client, _toggle_body(client, HOST, SHORT_BLOCK, True)))
    assert [c.args for c in fake.calls_to("set_rule")] == [(SHORT_BLOCK, True, {}, "local", "")]


def test_toggle_to_the_current_state_saves_nothing(client, fake):
    response = post(client, _toggle_body(client, HOST, SHORT_BLOCK, True))
    assert response.status_code in (200, 204)
    assert fake.calls_to("set_rule") == []


def test_auth_exempt_path_skips_basic_auth_but_not_the_host_check(fake):
    cfg = BasicAuthConfig("ops", hash_password("pw"))
    app = create_app(fake, mode_label="paper", auth=cfg, auth_exempt_paths=("/api/signals",))
    app.server.add_url_rule("/api/signals", "signals", lambda: "ok", methods=["POST"])
    client = app.server.test_client()
    assert client.post("/api/signals", headers=HOST).status_code == 200
    assert client.post("/api/signals", headers={"Host": "evil.example"}).status_code == 400
    assert client.get("/", headers=HOST).status_code == 401
    with pytest.raises(ValueError):
        create_app(fake, mode_label="paper", auth=cfg, auth_exempt_paths=("api",))


def test_auth_on_after_five_wrong_passwords_then_429_without_hashing(auth_client, monkeypatch):
    import dashboard.security as security

    hashed: list[str] = []
    real = security.verify_password
    monkeypatch.setattr(security, "verify_password",
                        lambda pw, enc: hashed.append(pw) or real(pw, enc))
    codes = [auth_client.get("/", headers=_basic("ops", f"guess-{i}")).status_code
             for i in range(security.FAILED_LOGIN_LIMIT)]
    assert codes == [401] * security.FAILED_LOGIN_LIMIT
    assert auth_client.get("/", headers=HOST).status_code == 401  # no password: not a guess
    refused = auth_client.get("/", headers=_basic("ops", "s3cret-pass"))
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60
    assert len(hashed) == security.FAILED_LOGIN_LIMIT  # the refused try was never hashed


def test_failed_login_window_when_it_passes_then_the_client_may_try_again():
    from dashboard.security import FAILED_LOGIN_LIMIT, FAILED_LOGIN_WINDOW_S, _Guard

    now = [1000.0]
    guard = _Guard(BasicAuthConfig("ops", hash_password("pw")), None, clock=lambda: now[0])
    for _ in range(FAILED_LOGIN_LIMIT):
        guard.note_failure("10.0.0.7")
    assert guard.wait_s("10.0.0.7") == pytest.approx(FAILED_LOGIN_WINDOW_S)
    assert guard.wait_s("10.0.0.8") == 0  # per client
    now[0] += FAILED_LOGIN_WINDOW_S / 2
    assert guard.wait_s("10.0.0.7") == pytest.approx(FAILED_LOGIN_WINDOW_S / 2)
    now[0] += FAILED_LOGIN_WINDOW_S / 2
    assert guard.wait_s("10.0.0.7") == 0
    guard.note_failure("10.0.0.7")
    guard.note_success("10.0.0.7")
    assert guard.wait_s("10.0.0.7") == 0
