"""The soak on the virtual clock: seeded faults, the ledger audit, and a seed that replays."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.soak import virtual

SHORT = ["--days", "2", "--history", "14", "--symbols", "4"]


def _figures(tmp_path: Path, name: str, *args: str) -> tuple[int, dict]:
    out = tmp_path / f"{name}.json"
    code = virtual.main([*SHORT, "--json", str(out), *args])
    return code, json.loads(out.read_text())


def test_a_faulted_run_passes_the_audit_and_the_same_seed_replays_it_exactly(tmp_path):
    code, first = _figures(tmp_path, "a", "--seed", "11", "--fault-rate", "1")
    assert code == 0, {k: v for k, v in first["targets"].items() if not v}
    assert sum(first["faults_injected"].values()) >= 3
    assert first["entries"] > 0 and first["unexcused_spans"] == 0
    _, again = _figures(tmp_path, "b", "--seed", "11", "--fault-rate", "1")
    for key in ("ledger_hash", "faults_injected", "repair", "trades", "entries"):
        assert again[key] == first[key], key
    _, other = _figures(tmp_path, "c", "--seed", "12", "--fault-rate", "1")
    assert other["ledger_hash"] != first["ledger_hash"]


def test_a_bot_that_repairs_too_late_fails_the_audit(tmp_path, capsys):
    """With the poll every five minutes, a silent cancel stays naked far beyond a bar: the audit
    must say so (and the printed command reproduces it)."""
    code, f = _figures(tmp_path, "late", "--seed", "11", "--fault-rate", "1",
                       "--kinds", "silent_cancel", "--set", "QT_MONITOR_INTERVAL_S=300")
    assert code == 1
    assert f["repair"]["silent_cancel"]["late"] >= 1
    assert not f["targets"]["silent cancel repaired within a bar + grace + 1 s (66 s)"]
    printed = capsys.readouterr().out
    assert "[FAIL] silent cancel repaired" in printed
    assert "reproduce: python -m bench.soak.virtual --days 2" in printed


@pytest.mark.parametrize("args, message", [
    (["--fault-rate", "0"], "--fault-rate"),
    (["--kinds", "meteor"], "unknown fault kind meteor"),
    (["--set", "QT_NO_SUCH=1"], "QT_NO_SUCH"),
    (["--data", "/nonexistent"], "--data needs --from and --to"),
])
def test_bad_options_stop_before_running(args, message, capsys):
    assert virtual.main([*SHORT, *args]) == 2
    assert message in capsys.readouterr().err
