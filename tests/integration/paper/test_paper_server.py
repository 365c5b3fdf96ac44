"""The embedding API, the standalone command, scaling to 200 symbols, the dependency rule."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest
import requests

from bot.paper.__main__ import parse_args
from bot.paper.clock import ManualClock, SpeedClock
from bot.paper.server import PaperExchange
from tests.fixtures.paper import API_KEY, API_SECRET, StaticMarket, make_client

ROOT = Path(__file__).resolve().parents[3]


def test_embedding_api_when_started_then_urls_and_parts_exposed():
    exchange = PaperExchange(api_key=API_KEY, api_secret=API_SECRET, clock=ManualClock(),
                             market=StaticMarket())
    url = exchange.start(host="127.0.0.1", port=0)
    mine = [t for t in threading.enumerate() if t.name in ("paper-http", "paper-ticker")
            and t in exchange._threads]
    try:
        assert mine and url.startswith("http://127.0.0.1:") and exchange.url == url
        assert exchange.futures_url == url + "/fapi"
        assert requests.get(exchange.futures_url + "/v1/ping", timeout=5).json() == {}
        assert exchange.engine.market is exchange.market
        assert exchange.control.engine is exchange.engine
        with pytest.raises(RuntimeError):
            exchange.start()
    finally:
        exchange.stop()
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(url + "/fapi/v1/ping", timeout=2)
    assert not [t for t in mine if t.is_alive()]  # other venues in the suite may still run


def _late_pull(trigger):
    """The trigger's pipe write, preceded by a worker's own wake-up that gives the loop
    up to 0.5 s to run what is queued before the caller's write goes out."""
    pull = trigger._physical_pull

    def late() -> None:
        os.write(trigger.trigger, b"x")
        deadline = time.monotonic() + 0.5
        while not trigger._closed and time.monotonic() < deadline:
            time.sleep(0.01)
        pull()

    return late


def test_stop_when_a_worker_wakes_the_loop_mid_stop_then_closes_cleanly():
    exchange = PaperExchange(api_key=API_KEY, api_secret=API_SECRET, clock=ManualClock(),
                             market=StaticMarket())
    url = exchange.start(host="127.0.0.1", port=0)
    trigger = exchange._server._server.trigger
    trigger._physical_pull = _late_pull(trigger)
    exchange.stop()  # raised EBADF when the loop closed the trigger before stop's own write
    assert trigger._closed
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(url + "/fapi/v1/ping", timeout=2)


def _threads_cpu_s(threads) -> float:
    """User + system CPU seconds of the given threads, from /proc (Linux)."""
    total = 0
    for thread in threads:
        with open(f"/proc/self/task/{thread.native_id}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime in clock ticks
    return total / os.sysconf("SC_CLK_TCK")


@pytest.mark.parametrize("server", ["waitress", "werkzeug"])
def test_idle_server_when_running_then_uses_almost_no_cpu(server):
    exchange = PaperExchange(api_key=API_KEY, api_secret=API_SECRET, clock=ManualClock(),
                             market=StaticMarket(), server=server)
    exchange.start()
    try:
        client = make_client(exchange)
        assert client.futures_ping() == {}
        cpu = _threads_cpu_s(exchange._threads)  # this venue's loops only, not the suite's
        time.sleep(0.5)
        assert _threads_cpu_s(exchange._threads) - cpu < 0.1  # a busy loop would burn ~0.5 s
    finally:
        exchange.stop()


def test_secrets_when_repr_then_hidden():
    exchange = PaperExchange(api_key="visible-key", api_secret="hidden-secret",
                             clock=ManualClock(), market=StaticMarket())
    assert "hidden-secret" not in repr(exchange.auth) and "hidden-secret" not in repr(exchange)


@pytest.mark.parametrize("kwargs", [dict(api_key=""), dict(balance=Decimal("-1")),
                                    dict(symbols=["bad name"]), dict(server="gunicorn"),
                                    dict(slippage_bps="-1"), dict(slippage_bps="1001"),
                                    dict(ws_port=70000)])
def test_bad_construction_when_invalid_then_value_error(kwargs):
    with pytest.raises(ValueError):
        exchange = PaperExchange(clock=ManualClock(), market=StaticMarket(), **kwargs)
        exchange.start()
        exchange.stop()


def test_200_symbols_when_each_has_position_and_stop_then_reads_are_single_requests():
    names = [f"S{i:03d}USDT" for i in range(1, 201)]
    exchange = PaperExchange(api_key=API_KEY, api_secret=API_SECRET, clock=ManualClock(),
                             symbols=names, balance=Decimal("1000000"), order_limits=False)
    exchange.start()
    try:
        client = make_client(exchange)
        for name in names:
            price = Decimal(client.futures_symbol_ticker(symbol=name)["price"])
            client.futures_create_order(symbol=name, side="BUY", type="MARKET",
                                        quantity="10.0")
            client.futures_create_order(symbol=name, side="SELL", type="STOP_MARKET",
                                        stopPrice=str((price * Decimal("0.9")).quantize(
                                            Decimal("0.001"))), closePosition="true",
                                        workingType="MARK_PRICE")
        assert len(client.futures_position_information()) == 200
        assert len(client.futures_get_open_algo_orders()) == 200
        assert client.response.headers["X-MBX-USED-WEIGHT-1M"]
    finally:
        exchange.stop()


def test_replay_dir_when_given_then_prices_come_from_the_files(tmp_path):
    start = 1_735_689_600_000  # 2025-01-01
    lines = []
    for i in range(2000):
        t = start + i * 60_000
        close = 90_000 + i
        lines.append(f"{t},{close - 1}.00,{close + 5}.00,{close - 5}.00,{close}.00,1.5,"
                     f"{t + 59_999},135000,10,0.7,63000,0")
    (tmp_path / "BTCUSDT-1m-2025-01.csv").write_text("\n".join(lines) + "\n")
    exchange = PaperExchange(api_key=API_KEY, api_secret=API_SECRET, replay_dir=tmp_path)
    exchange.start()
    try:
        client = make_client(exchange)
        symbols = [s["symbol"] for s in client.futures_exchange_info()["symbols"]]
        price = Decimal(client.futures_symbol_ticker(symbol="BTCUSDT")["price"])
        assert symbols == ["BTCUSDT"]
        assert Decimal("90000") <= price <= Decimal("92000")
        assert start <= exchange.clock.now_ms() < start + 2000 * 60_000
    finally:
        exchange.stop()


def test_control_api_when_bad_input_then_value_error_and_nothing_changes():
    exchange = PaperExchange(clock=ManualClock(), market=StaticMarket())
    control = exchange.control
    for args in (("BTCUSDT", "-1"), ("BTCUSDT", "x"), ("NOPEUSDT", "1"), ("BTCUSDT", "NaN"),
                 ("BTCUSDT", "1e40"), ("BTCUSDT", "0.01"), ("BTCUSDT", "95000", "-3")):
        with pytest.raises(ValueError):
            control.set_price(*args)
    with pytest.raises(ValueError):
        control.advance(-5)
    with pytest.raises(ValueError):
        control.inject_fault("FETCH", "/fapi/v1/order", code=-2021)
    with pytest.raises(ValueError):
        control.inject_fault("POST", "/fapi/v1/order", kind="http", status=404)
    assert exchange.engine.last["BTCUSDT"] == Decimal("95000")
    assert exchange.faults.pending() == []
    speed = PaperExchange(clock=SpeedClock(1.0), market=StaticMarket())
    with pytest.raises(ValueError):
        speed.control.advance(1000)


def test_cli_args_when_env_set_then_same_meaning_and_flags_win(monkeypatch):
    monkeypatch.setenv("QT_PAPER_PORT", "9911")
    monkeypatch.setenv("QT_PAPER_SEED", "11")
    monkeypatch.setenv("QT_PAPER_BALANCE", "2500")
    monkeypatch.setenv("QT_PAPER_REPLAY_DIR", "/tmp/klines")
    args = parse_args(["--seed", "3"])
    assert (args.port, args.seed, args.balance, args.replay) == (9911, 3, Decimal("2500"),
                                                                 "/tmp/klines")


def test_slippage_when_not_given_then_default_model_on_and_zero_switches_it_off():
    default = PaperExchange(clock=ManualClock(), market=StaticMarket())
    off = PaperExchange(clock=ManualClock(), market=StaticMarket(), slippage_bps=0)
    assert default.engine.slippage.max_bps == Decimal("2") and not off.engine.slippage.enabled


def test_cli_slippage_when_env_or_flag_then_flag_wins(monkeypatch):
    monkeypatch.delenv("QT_PAPER_SLIPPAGE_BPS", raising=False)
    assert parse_args([]).slippage_bps == Decimal("2")
    monkeypatch.setenv("QT_PAPER_SLIPPAGE_BPS", "0")
    assert parse_args([]).slippage_bps == Decimal("0")
    assert parse_args(["--slippage-bps", "5.5"]).slippage_bps == Decimal("5.5")


@pytest.mark.parametrize("argv", [["--balance", "lots"], ["--speed", "0"], ["--port", "70000"],
                                  ["--slippage-bps", "-1"], ["--slippage-bps", "much"],
                                  ["--ws-port", "-1"]])
def test_cli_args_when_invalid_then_exit_with_usage(argv, capsys):
    with pytest.raises(SystemExit):
        parse_args(argv)
    assert "usage" in capsys.readouterr().err


def test_standalone_command_when_started_then_prints_url_and_serves():
    env = {**os.environ, "QT_PAPER_API_KEY": API_KEY, "QT_PAPER_API_SECRET": API_SECRET}
    with subprocess.Popen([sys.executable, "-m", "bot.paper", "--port", "0", "--ws-port", "0"],
                          cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                          text=True) as proc:
        try:
            assert proc.stdout is not None
            url = proc.stdout.readline().strip()
            ws_url = proc.stdout.readline().strip()  # the user-data stream's base URL
            assert url.startswith("http://127.0.0.1:") and ws_url.startswith("ws://127.0.0.1:")
            assert requests.get(url + "/fapi/v1/ping", timeout=5).json() == {}
            assert API_SECRET not in url
        finally:
            proc.terminate()
            assert proc.wait(timeout=10) == 0


def test_paper_package_when_imported_then_knows_nothing_of_the_bot():
    for path in (ROOT / "bot" / "paper").glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                assert not (name.startswith("bot.") and not name.startswith("bot.paper")), (
                    f"{path.name} imports {name}")
