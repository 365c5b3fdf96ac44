"""What protection needs from the settings, as one frozen value.

The lead maps ``bot.settings`` onto this so protection does not depend on the
settings module's exact shape; everything here is validated at construction.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bot.domain import WorkingType
from bot.protection.stop_policy import StopMode, StopPolicy

CALLBACK_MIN = Decimal("0.1")
CALLBACK_MAX = Decimal("5.0")


@dataclass(frozen=True)
class ProtectionConfig:
    # would-trigger ladder: fractions of the mark price the stop is moved beyond it, per rung
    retry_buffers: tuple[Decimal, ...] = (Decimal("0.001"), Decimal("0.003"))
    # the stop for positions without a recorded one (adopted, flipped by hand)
    stop: StopPolicy = StopPolicy(StopMode.PERCENT)
    trailing_enabled: bool = False
    trailing_callback_rate: Decimal | None = Decimal("1.0")  # percent, sent as is
    # optional ratchet of the fixed stop by the monitor (fraction of mark); None = off
    ratchet_distance: Decimal | None = None
    ratchet_min_step: Decimal = Decimal("0.002")
    naked_grace_s: float = 30.0
    triggering_grace_s: float = 5.0  # a TRIGGERING stop counts as cover this long, no longer
    liquidation_margin: Decimal = Decimal("0.005")  # stops stay this far inside liquidation
    loss_flag_pct: Decimal = Decimal("1.0")  # percent of equity
    working_type: WorkingType = WorkingType.MARK_PRICE
    account: str = "default"
    lease_ttl_s: float = 60.0
    stop_kept_every_s: float = 300.0  # STOP_KEPT at most this often per symbol

    def __post_init__(self) -> None:
        for buf in self.retry_buffers:
            if not Decimal("0") < buf < Decimal("0.5"):
                raise ValueError(f"retry buffer {buf} must be a fraction in (0, 0.5)")
        if self.ratchet_distance is not None and not (
            Decimal("0") < self.ratchet_distance < Decimal("0.5")
        ):
            raise ValueError("ratchet_distance must be a fraction in (0, 0.5)")
        if self.triggering_grace_s <= 0:
            raise ValueError("triggering_grace_s must be > 0")
        if not Decimal(0) <= self.liquidation_margin < Decimal("0.2"):
            raise ValueError("liquidation_margin must be a fraction in [0, 0.2)")
        if self.naked_grace_s < 0 or self.lease_ttl_s <= 0:
            raise ValueError("naked_grace_s must be >= 0 and lease_ttl_s > 0")
        if self.loss_flag_pct <= 0:
            raise ValueError("loss_flag_pct must be > 0")


def valid_callback_rate(rate: Decimal | None) -> bool:
    """The project's own range, tighter than the exchange's; outside it trailing is off."""
    return rate is not None and rate.is_finite() and CALLBACK_MIN <= rate <= CALLBACK_MAX
