"""Start-up reconciliation and the one-process-per-account lease.

On start the bot trusts the exchange, not its memory: it takes the lease (a
second process on the same account and database refuses to run), adopts
positions it has no record of, protects every uncovered one, cancels stale
reduce-only stops and closes the records of positions that are gone. That is
one monitor cycle with adoption, so nothing here places a stop by itself and
deterministic ids keep a second run from duplicating anything.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from bot.domain import EventKind
from bot.domain.errors import ExchangeError
from bot.monitor import CycleReport, PositionMonitor
from bot.protection.config import ProtectionConfig
from bot.protection.ports import LeaseStore
from bot.protection.recorder import EventRecorder

log = logging.getLogger(__name__)


class StartRefusedError(RuntimeError):
    """The bot must not manage this account as things stand; the message says what to change."""


class LeaseHeldError(StartRefusedError):
    """Another bot process manages this account: refuse to run rather than fight over stops."""


class HedgeModeError(StartRefusedError):
    """The account is in hedge mode: orders would need ``positionSide`` and reduce-only
    stops are refused there, so no position could be protected."""


HEDGE_MODE_HELP = (
    "the account is in hedge mode (dualSidePosition=true); QuantShield trades one-way only. "
    "Switch it to one-way: on Binance, Futures > Preferences > Position Mode > One-way; or "
    "through the API, POST /fapi/v1/positionSide/dual with dualSidePosition=false (allowed "
    "only with no open positions and no open orders). Then start again."
)


class PositionModeReader(Protocol):
    def dual_side_position(self) -> bool: ...


def require_one_way(exchange: PositionModeReader) -> None:
    """Refuse to start in hedge mode; an unanswerable question (a venue without the
    endpoint, a lost answer) is logged and does not block the start."""
    try:
        dual = exchange.dual_side_position()
    except ExchangeError as exc:
        log.warning("[START] Position mode unknown (%s): assuming one-way and going on", exc)
        return
    if dual:
        raise HedgeModeError(HEDGE_MODE_HELP)
    log.info("[START] Position mode: one-way")


@dataclass(frozen=True)
class ReconcileReport:
    cycle: CycleReport
    owner: str


class Reconciler:
    def __init__(self, monitor: PositionMonitor, leases: LeaseStore, recorder: EventRecorder,
                 config: ProtectionConfig, owner: str) -> None:
        if not owner:
            raise ValueError("lease owner must not be empty")
        self._rec = recorder
        self._cfg = config
        self._monitor = monitor
        self._leases = leases
        self._owner = owner
        self._held = False

    @property
    def account(self) -> str:
        return self._cfg.account

    @property
    def held(self) -> bool:
        return self._held

    def acquire(self) -> None:
        cfg = self._cfg
        if not self._leases.acquire_lease(cfg.account, self._owner, cfg.lease_ttl_s,
                                          self._rec.now()):
            raise LeaseHeldError(
                f"another QuantShield process holds the lease for account {cfg.account!r}; "
                "refusing to manage it (stop the other process, or wait "
                f"{cfg.lease_ttl_s:.0f} s for its lease to expire)"
            )
        self._held = True
        self._rec.record(EventKind.LEASE, None, f"lease acquired by {self._owner}",
                         details={"account": cfg.account, "owner": self._owner,
                                  "action": "acquire"})
        log.info("[LEASE] %s holds account %s (ttl %s s)", self._owner, cfg.account,
                 cfg.lease_ttl_s)

    def start(self) -> ReconcileReport:
        """Take the lease, then reconcile: the first thing the bot does on start."""
        self.acquire()
        return self.reconcile()

    def reconcile(self) -> ReconcileReport:
        if not self._held:
            raise LeaseHeldError("reconcile needs the lease: call start() first")
        cycle = self._monitor.run_cycle()
        log.info("[RECONCILE] %s positions, %s adopted, %s protected, %s orphans cancelled, "
                 "%s closed", cycle.positions, cycle.adopted, cycle.protected,
                 cycle.orphans_cancelled, cycle.closed)
        return ReconcileReport(cycle, self._owner)

    def renew(self) -> bool:
        """Called by the scheduler; False means the lease was lost and trading must stop."""
        cfg = self._cfg
        ok = self._leases.renew_lease(cfg.account, self._owner, cfg.lease_ttl_s, self._rec.now())
        if not ok and self._held:
            self._held = False
            self._rec.record(EventKind.LEASE, None, f"lease lost by {self._owner}",
                             details={"account": cfg.account, "owner": self._owner,
                                   "action": "lost"})
            log.critical("[LEASE] %s lost the lease for %s - stop managing it", self._owner,
                         cfg.account)
        return ok

    def release(self) -> None:
        if self._held:
            self._leases.release_lease(self._cfg.account, self._owner)
            self._held = False
