"""Operator state: audited key/value settings, the kill switch, the instance lease."""

from __future__ import annotations

import logging
import os
import socket
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, bindparam, delete, insert, select, update

from bot.domain import KillState
from bot.domain.ports import Clock
from bot.store.engine import read_tx, write_tx
from bot.store.records import AuditEntry, KillRecord, LeaseRecord
from bot.store.schema import audit, kill_switch, leases, settings_kv

log = logging.getLogger(__name__)


KILL_STATES = (KillState.RUNNING, KillState.HALTED, KillState.FLATTENING)
KILL_AUDIT_KEY = "kill_switch"
_KILL_ROW = 1

# Built once: the kill switch is read before every entry and scan, the lease renewed every
# monitor cycle, and building a statement cost more than SQLite's answer to it.
_KILL_READ = select(kill_switch).where(kill_switch.c.id == _KILL_ROW)
_LEASE_LOCK = select(leases.c.owner).where(leases.c.account == bindparam("acct")).with_for_update()
_LEASE_EXTEND = (update(leases).where(leases.c.account == bindparam("acct"))
                 .values(expires_at=bindparam("until")))


def local_holder_alive(owner: str) -> bool | None:
    """Whether the process named by a ``host:pid:tag`` owner still runs, asked only on its host.

    A bot killed with SIGKILL leaves its lease behind; waiting the TTL out would keep
    positions unwatched for a minute after a restart. On the same host the kernel can
    say the holder is gone. Another host, or an owner not in that format, is unknowable
    here (None): the TTL decides. A pid reused by another process reads as alive, which
    errs on the side of waiting.
    """
    parts = owner.rsplit(":", 2)
    if len(parts) != 3 or parts[0] != socket.gethostname():
        return None
    try:
        pid = int(parts[1])
    except ValueError:
        return None
    if pid <= 0:
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    except OSError:
        return None
    return not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    """A killed child its parent has not reaped yet still answers kill(pid, 0)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            stat = f.read()
    except OSError:
        return False
    fields = stat.rsplit(")", 1)[-1].split()
    return bool(fields) and fields[0] == "Z"


class ControlMixin:
    _engine: Engine
    _clock: Clock

    # settings ------------------------------------------------------------
    def get_setting(self, key: str) -> str | None:
        with read_tx(self._engine) as conn:
            return conn.execute(
                select(settings_kv.c.value).where(settings_kv.c.key == key)
            ).scalar()

    def settings_with_prefix(self, prefix: str) -> dict[str, str]:
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = select(settings_kv.c.key, settings_kv.c.value).where(
            settings_kv.c.key.like(escaped + "%", escape="\\")
        )
        with read_tx(self._engine) as conn:
            return {r.key: r.value for r in conn.execute(stmt)}

    def set_setting(self, key: str, value: str, actor: str, *, previous: str | None = None,
                    note: str = "") -> None:
        """Persist a value and audit the change; writing the same value again leaves no row.

        ``previous`` is the value in effect while the key was never stored (a default): the
        audit's old value then, instead of NULL. ``note`` is the operator's reason.
        """
        if not key:
            raise ValueError("setting key must not be empty")
        if not isinstance(value, str):
            raise TypeError(f"setting {key} value must be str, got {type(value).__name__}")
        if not actor:
            raise ValueError(f"setting {key}: an actor is required for the audit trail")
        now = self._clock()
        with write_tx(self._engine) as conn:
            old = conn.execute(
                select(settings_kv.c.value).where(settings_kv.c.key == key).with_for_update()
            ).scalar()
            if old == value:
                return
            values = {"value": value, "updated_at": now, "actor": actor}
            if old is None:
                conn.execute(insert(settings_kv).values(key=key, **values))
            else:
                conn.execute(update(settings_kv).where(settings_kv.c.key == key).values(**values))
            _audit(conn, key, old if old is not None else previous, value, actor, now, note)

    def audit_trail(self, limit: int = 100, key_prefix: str | None = None) -> list[AuditEntry]:
        """Newest first."""
        stmt = select(audit).order_by(audit.c.id.desc()).limit(limit)
        if key_prefix is not None:
            stmt = stmt.where(audit.c.key.startswith(key_prefix, autoescape=True))
        with read_tx(self._engine) as conn:
            return [
                AuditEntry(
                    id=r.id, key=r.key, old=r.old, new=r.new, actor=r.actor, at=r.at,
                    note=r.note or "",
                )
                for r in conn.execute(stmt)
            ]

    # kill switch ---------------------------------------------------------
    def kill_state(self) -> KillRecord:
        with read_tx(self._engine) as conn:
            row = conn.execute(_KILL_READ).first()
        if row is None:
            return KillRecord(state=KillState.RUNNING, reason="", actor="", at=None)
        return KillRecord(state=KillState(row.state), reason=row.reason, actor=row.actor,
                          at=row.at)

    def set_kill_state(self, state: str, actor: str, reason: str) -> KillRecord:
        """Persist the kill switch (it survives restarts) and audit who moved it and why."""
        if state not in KILL_STATES:
            raise ValueError(f"kill state must be one of {', '.join(KILL_STATES)}, got {state!r}")
        if not actor:
            raise ValueError("kill switch change needs an actor")
        now = self._clock()
        record = KillRecord(state=KillState(state), reason=reason or "", actor=actor, at=now)
        with write_tx(self._engine) as conn:
            old = conn.execute(
                select(kill_switch.c.state).where(kill_switch.c.id == _KILL_ROW).with_for_update()
            ).scalar()
            values = {"state": state, "reason": record.reason, "actor": actor, "at": now}
            if old is None:
                conn.execute(insert(kill_switch).values(id=_KILL_ROW, **values))
            else:
                conn.execute(
                    update(kill_switch).where(kill_switch.c.id == _KILL_ROW).values(**values)
                )
            _audit(conn, KILL_AUDIT_KEY, old or KillState.RUNNING, state, actor, now, record.reason)
        return record

    # lease ---------------------------------------------------------------
    def acquire_lease(self, account: str, owner: str, ttl_s: float, now: datetime) -> bool:
        """Take the account if it is free, expired, already ours, or held by a process of
        this host that no longer exists (a crash); atomic across processes."""
        _check_lease_args(account, owner, ttl_s)
        expires = now + timedelta(seconds=ttl_s)
        with write_tx(self._engine) as conn:
            row = conn.execute(
                select(leases).where(leases.c.account == account).with_for_update()
            ).first()
            if row is None:
                conn.execute(
                    insert(leases).values(
                        account=account, owner=owner, acquired_at=now, expires_at=expires
                    )
                )
                return True
            if row.owner != owner and now < row.expires_at:
                if local_holder_alive(row.owner) is not False:
                    return False
                log.warning("[LEASE] Holder %s of %s is a dead process on this host: taking "
                            "the lease over without waiting for it to expire", row.owner,
                            account)
            acquired = row.acquired_at if row.owner == owner else now
            conn.execute(
                update(leases)
                .where(leases.c.account == account)
                .values(owner=owner, acquired_at=acquired, expires_at=expires)
            )
            return True

    def renew_lease(self, account: str, owner: str, ttl_s: float, now: datetime) -> bool:
        """Extend our lease; False when someone else holds it (we lost it and must stop)."""
        _check_lease_args(account, owner, ttl_s)
        with write_tx(self._engine) as conn:
            row = conn.execute(_LEASE_LOCK, {"acct": account}).first()
            if row is None or row.owner != owner:
                return False
            conn.execute(_LEASE_EXTEND, {"acct": account,
                                         "until": now + timedelta(seconds=ttl_s)})
            return True

    def release_lease(self, account: str, owner: str) -> None:
        with write_tx(self._engine) as conn:
            conn.execute(
                delete(leases).where(leases.c.account == account, leases.c.owner == owner)
            )

    def lease_holder(self, account: str) -> LeaseRecord | None:
        with read_tx(self._engine) as conn:
            row = conn.execute(select(leases).where(leases.c.account == account)).first()
        if row is None:
            return None
        return LeaseRecord(
            account=row.account, owner=row.owner, acquired_at=row.acquired_at,
            expires_at=row.expires_at,
        )


def _audit(
    conn: Connection, key: str, old: str | None, new: str | None, actor: str, at: datetime,
    note: str = "",
) -> None:
    conn.execute(insert(audit).values(key=key, old=old, new=new, actor=actor, at=at, note=note))


def _check_lease_args(account: str, owner: str, ttl_s: float) -> None:
    if not account or not owner:
        raise ValueError("lease needs an account and an owner")
    if ttl_s <= 0:
        raise ValueError(f"lease ttl must be > 0 seconds, got {ttl_s}")
