"""A dashboard reachable from other machines must have credentials, or nothing starts.

Checked at the settings level (SettingsError naming the variables) and end to end:
``python app.py`` with a non-loopback host exits non-zero at once, says why, leaves
no database behind and prints no secret.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "BindPass-Qr58-never-print"
TOKEN = "BindHook-Lm31-never-print"


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "10.0.0.1", "example.org",
                                  "quantshield.local", "127.0.0.1.nip.io", " 0.0.0.0 "])
@pytest.mark.parametrize("credentials", [
    {}, {"QT_DASHBOARD_USER": "ops"}, {"QT_DASHBOARD_PASSWORD": PASSWORD},
    {"QT_DASHBOARD_USER": "   ", "QT_DASHBOARD_PASSWORD": PASSWORD},
    {"QT_DASHBOARD_USER": "ops", "QT_DASHBOARD_PASSWORD": "  "},
])
def test_non_loopback_host_when_credentials_incomplete_then_settings_refuse(host, credentials):
    with pytest.raises(SettingsError) as info:
        load_settings({"QT_DASH_HOST": host, **credentials})
    [problem] = [p for p in info.value.problems if "QT_DASH_HOST" in p]
    assert "QT_DASHBOARD_USER" in problem and "QT_DASHBOARD_PASSWORD" in problem
    assert PASSWORD not in str(info.value)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2",
                                  "LOCALHOST"])
def test_loopback_host_when_no_credentials_then_settings_accept(host):
    assert load_settings({"QT_DASH_HOST": host}).dash_host == host


def test_non_loopback_host_when_user_and_password_set_then_settings_accept():
    loaded = load_settings({"QT_DASH_HOST": "0.0.0.0", "QT_DASHBOARD_USER": "ops",
                            "QT_DASHBOARD_PASSWORD": PASSWORD})
    assert loaded.dashboard_user == "ops"
    assert PASSWORD not in repr(loaded) and PASSWORD not in str(loaded.dump())


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _clean_env(tmp_path: Path, **qt: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("QT_")}
    env.update({"QT_DB_URL": f"sqlite:///{tmp_path}/app.db", "QT_PAPER_PORT": "0",
                "QT_DASH_PORT": str(_free_port()), "PYTHONDONTWRITEBYTECODE": "1", **qt})
    return env


def _run_app(env: dict[str, str]) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    return done, time.monotonic() - started


@pytest.mark.parametrize("extra", [
    {}, {"QT_DASHBOARD_PASSWORD": PASSWORD}, {"QT_DASHBOARD_USER": "ops"},
])
def test_app_main_when_bound_to_all_interfaces_without_credentials_then_exits_with_reason(
        tmp_path, extra):
    env = _clean_env(tmp_path, QT_DASH_HOST="0.0.0.0", QT_WEBHOOK_TOKEN=TOKEN, **extra)
    done, took = _run_app(env)
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert took < 30, f"took {took:.1f}s to refuse"
    assert "QT_DASH_HOST=0.0.0.0" in output and "QT_DASHBOARD_USER" in output, output
    assert "refus" in output.lower(), output
    assert PASSWORD not in output and TOKEN not in output
    assert not (tmp_path / "app.db").exists(), "refused to start, yet created the database"


def test_app_main_when_settings_invalid_otherwise_then_exits_and_names_variable(tmp_path):
    """The same exit path for any invalid setting: proves the check above is not a fluke
    of the host rule, and that nothing (database, paper venue) was started."""
    env = _clean_env(tmp_path, QT_LEVERAGE="500", QT_DASHBOARD_PASSWORD=PASSWORD)
    done, _ = _run_app(env)
    assert done.returncode != 0
    assert "QT_LEVERAGE" in done.stderr, done.stderr
    assert PASSWORD not in done.stdout + done.stderr
    assert not (tmp_path / "app.db").exists()
