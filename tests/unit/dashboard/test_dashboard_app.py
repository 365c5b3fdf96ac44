"""The app factory, the snapshot cache, the poll wiring and the package's import boundary."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot.domain import KillAction
from dashboard import create_app, ids
from dashboard.context import SnapshotSource
from dashboard.polling import PollPart, run_parts
from tests.fixtures.dashboard import FakeControl

DASHBOARD_DIR = Path(__file__).resolve().parents[3] / "dashboard"


class _Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_snapshot_source_shares_one_read_within_ttl_and_rereads_after_invalidate():
    fake, clock = FakeControl(), _Clock()
    source = SnapshotSource(fake, ttl=0.5, clock=clock)
    first = source.get()
    clock.t += 0.4
    assert source.get() is first and fake.snapshot_count == 1
    clock.t += 0.2
    source.get()
    assert fake.snapshot_count == 2
    fake.kill_switch(KillAction.HALT, "local")
    source.invalidate()
    assert source.get().kill_state == "HALTED" and fake.snapshot_count == 3


def test_run_parts_hands_each_part_its_own_state_in_order():
    seen = []

    def part_a(snap, now, x):
        seen.append(("a", x))
        return (1, 2)

    def part_b(snap, now, y, z):
        seen.append(("b", y, z))
        return (3,)

    parts = [
        PollPart("a", (object(), object()), part_a, (object(),)),
        PollPart("b", (object(),), part_b, (object(), object())),
    ]
    assert run_parts(parts, None, None, ["x", "y", "z"]) == [1, 2, 3]
    assert seen == [("a", "x"), ("b", "y", "z")]


def test_run_parts_refuses_a_part_that_returns_the_wrong_number_of_values():
    bad = PollPart("bad", (object(), object()), lambda snap, now: (1,))
    with pytest.raises(ValueError, match="bad"):
        run_parts([bad], None, None, [])


def test_one_poll_callback_guarded_by_running_and_no_per_card_polling():
    app = create_app(FakeControl(), mode_label="paper")
    client = app.server.test_client()
    deps = client.get("/_dash-dependencies", headers={"Host": "localhost"}).get_json()
    pollers = [d for d in deps if any(i["id"] == ids.POLL_INTERVAL for i in d["inputs"])]
    assert len(pollers) == 1
    assert pollers[0]["running"]["running"] == {f"{ids.POLL_INTERVAL}.disabled": True}
    assert pollers[0]["running"]["runningOff"] == {f"{ids.POLL_INTERVAL}.disabled": False}


@pytest.mark.parametrize("label", ["PAPER", "testnet", "Demo", "Live"])
def test_mode_label_is_case_insensitive(label):
    app = create_app(FakeControl(), mode_label=label)
    layout = app.server.test_client().get("/_dash-layout", headers={"Host": "localhost"})
    assert label.upper() in layout.get_data(as_text=True)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"mode_label": "sim"}, "mode_label"), ({"mode_label": "paper", "poll_ms": 10}, "poll_ms")],
)
def test_bad_factory_arguments_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        create_app(FakeControl(), **kwargs)


def test_two_apps_do_not_share_callbacks_or_state():
    a, b = FakeControl(), FakeControl()
    b.kill_switch(KillAction.HALT, "local")
    app_a, app_b = create_app(a, mode_label="paper"), create_app(b, mode_label="paper")
    assert app_a.callback_map.keys() == app_b.callback_map.keys()
    assert app_a.server is not app_b.server


def test_debug_is_off():
    assert create_app(FakeControl(), mode_label="paper").server.debug is False


def test_dashboard_never_imports_the_exchange_or_the_paper_venue():
    offenders = []
    for path in DASHBOARD_DIR.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [
                (path.name, n)
                for n in names
                if n.startswith(("bot.exchange", "bot.paper", "binance"))
            ]
    assert offenders == []
