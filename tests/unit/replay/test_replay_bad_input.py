"""Bad input stops a replay before it runs (exit code 2), saying which file and line, which
day, or which setting."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.replay.cli import EXIT_BAD_INPUT, main
from bot.replay.synthetic import write_symbol


def _daily(folder: Path, symbol: str, first: date, days: int, seed: int = 1) -> list[Path]:
    return write_symbol(folder, symbol, first, days, seed=seed, daily=True)


def _run(capsys, data: Path, first: str, last: str, *extra: str) -> str:
    code = main(["--data", str(data), "--from", first, "--to", last, "--quiet",
                 "--out", str(data / "out"), *extra])
    out, err = capsys.readouterr()
    assert code == EXIT_BAD_INPUT
    assert out == ""
    assert not list((data / "out").glob("*.html"))
    return err


def _edit_line(path: Path, number: int, edit) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[number - 1] = edit(lines[number - 1])
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture()
def two_days(tmp_path) -> Path:
    for i, symbol in enumerate(("BTCUSDT", "ETHUSDT")):
        _daily(tmp_path, symbol, date(2026, 1, 1), 2, seed=i)
    return tmp_path


def test_replay_when_a_month_is_missing_then_it_names_the_month_and_the_file(tmp_path, capsys):
    _daily(tmp_path, "BTCUSDT", date(2026, 1, 31), 1)
    _daily(tmp_path, "BTCUSDT", date(2026, 3, 1), 1)
    err = _run(capsys, tmp_path, "2026-01-31", "2026-03-01")
    assert "BTCUSDT: month 2026-02 is missing: expected BTCUSDT-1m-2026-02.csv" in err


def test_replay_when_a_day_is_missing_then_it_names_the_daily_file(two_days, capsys):
    (two_days / "ETHUSDT-1m-2026-01-02.csv").unlink()
    err = _run(capsys, two_days, "2026-01-01", "2026-01-02")
    assert "ETHUSDT: day 2026-01-02 is missing: expected ETHUSDT-1m-2026-01-02.csv" in err


@pytest.mark.parametrize(("edit", "message"), [
    (lambda line: line.replace(line.split(",")[1], "abc", 1), "open 'abc' is not a number"),
    (lambda line: ",".join(line.split(",")[:7]), "expected 12 columns, found 7"),
    (lambda line: line.replace(line.split(",")[0], "12345", 1), "not the start of a minute"),
])
def test_replay_when_a_row_is_malformed_then_it_names_the_file_and_line(two_days, capsys,
                                                                       edit, message):
    _edit_line(two_days / "ETHUSDT-1m-2026-01-02.csv", 7, edit)
    err = _run(capsys, two_days, "2026-01-02", "2026-01-02")
    assert "ETHUSDT-1m-2026-01-02.csv line 7:" in err and message in err


def test_replay_when_rows_are_out_of_order_then_it_names_the_file_and_line(two_days, capsys):
    path = two_days / "BTCUSDT-1m-2026-01-02.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[9], lines[10] = lines[10], lines[9]  # the rows of lines 10 and 11 swapped
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    err = _run(capsys, two_days, "2026-01-02", "2026-01-02")
    assert "BTCUSDT-1m-2026-01-02.csv line 11: open_time is not after the previous row's" in err


def test_replay_when_there_is_no_btcusdt_then_it_says_the_regime_needs_it(tmp_path, capsys):
    _daily(tmp_path, "ETHUSDT", date(2026, 1, 1), 1)
    err = _run(capsys, tmp_path, "2026-01-01", "2026-01-01")
    assert "no BTCUSDT data in" in err and "regime" in err


def test_replay_when_from_is_after_to_then_it_says_so(two_days, capsys):
    err = _run(capsys, two_days, "2026-01-02", "2026-01-01")
    assert "--from 2026-01-02 is after --to 2026-01-01" in err


def test_replay_when_a_date_is_not_a_date_then_it_names_the_option(two_days, capsys):
    err = _run(capsys, two_days, "2026-13-01", "2026-01-02")
    assert "--from '2026-13-01' is not a date" in err


def test_replay_when_a_setting_is_unknown_then_the_loader_names_it(two_days, capsys):
    err = _run(capsys, two_days, "2026-01-02", "2026-01-02", "--set", "QT_RISK_PER_TRAED=0.01")
    assert "unknown setting QT_RISK_PER_TRAED" in err


def test_replay_when_a_compare_setting_is_unknown_then_it_stops_before_any_run(two_days,
                                                                             capsys):
    err = _run(capsys, two_days, "2026-01-02", "2026-01-02",
               "--compare", "QT_LEVERAGE=3,QT_NOPE=1")
    assert "unknown setting QT_NOPE" in err


def test_replay_when_a_setting_is_invalid_then_it_names_the_setting(two_days, capsys):
    err = _run(capsys, two_days, "2026-01-02", "2026-01-02", "--set", "QT_LEVERAGE=500")
    assert "QT_LEVERAGE" in err


@pytest.mark.parametrize("name", ["QT_DB_URL", "QT_MODE", "QT_NOTIFY_URLS", "QT_EXCHANGE_URL"])
def test_replay_when_a_setting_would_reach_outside_then_it_is_refused(two_days, capsys, name):
    err = _run(capsys, two_days, "2026-01-02", "2026-01-02", "--set", f"{name}=x")
    assert f"{name} cannot be set for a replay" in err


def test_replay_when_the_data_ends_before_to_then_it_names_the_last_file(two_days, capsys):
    path = two_days / "ETHUSDT-1m-2026-01-02.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(lines[:-60]) + "\n", encoding="utf-8")  # the last hour cut
    err = _run(capsys, two_days, "2026-01-02", "2026-01-02")
    assert "ETHUSDT-1m-2026-01-02.csv: ETHUSDT's data ends at 2026-01-02 22:59 UTC" in err


def test_replay_when_a_fault_kind_is_unknown_then_the_known_ones_are_listed(two_days, capsys):
    err = _run(capsys, two_days, "2026-01-02", "2026-01-02", "--faults", "0.5",
               "--fault-kinds", "stop_-2021_once,meteor")
    assert "unknown fault kind meteor" in err and "silent_cancel" in err
