"""Password hashing, credential checks and host matching of the dashboard's guard."""

from __future__ import annotations

import pytest

from dashboard.security import BasicAuthConfig, _Guard, hash_password, verify_password


def test_hash_is_salted_and_verifies_only_the_right_password():
    a, b = hash_password("correct horse"), hash_password("correct horse")
    assert a != b and a.startswith("scrypt$")
    assert verify_password("correct horse", a) and verify_password("correct horse", b)
    assert not verify_password("correct hors", a)
    assert "correct horse" not in a


@pytest.mark.parametrize("bad", ["", "md5$abc", "scrypt$1$2$3$zz$00", "scrypt$x$8$1$00$00"])
def test_malformed_hash_is_refused_at_config_time(bad):
    with pytest.raises(ValueError):
        BasicAuthConfig("ops", bad)


@pytest.mark.parametrize("user", ["", "a:b"])
def test_bad_user_name_is_refused(user):
    with pytest.raises(ValueError):
        BasicAuthConfig(user, hash_password("pw"))


def test_config_repr_hides_the_hash():
    cfg = BasicAuthConfig("ops", hash_password("pw"))
    assert cfg.password_hash not in repr(cfg)


def test_guard_remembers_good_credentials_but_not_bad_ones():
    guard = _Guard(BasicAuthConfig("ops", hash_password("pw")), None)
    assert guard.credentials_ok("ops", "pw") and guard.credentials_ok("ops", "pw")
    assert not guard.credentials_ok("ops", "PW") and not guard.credentials_ok("root", "pw")


@pytest.mark.parametrize(
    ("host", "ok"),
    [
        ("127.0.0.1:8050", True),
        ("localhost", True),
        ("[::1]:8050", True),
        ("dash.example.org", True),
        ("evil.org", False),
        ("127.0.0.2:8050", False),
        ("", False),
    ],
)
def test_trusted_hosts(host, ok):
    guard = _Guard(None, ["127.0.0.1", "localhost", "::1", ".example.org"])
    assert guard.host_allowed(host) is ok
