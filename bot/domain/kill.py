"""The kill switch's vocabulary: where trading stands and what an operator may ask of it.

Core state, so it lives at the bottom: the decisions, the store and the dashboard
all speak it, and none of them owns it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class KillState(StrEnum):
    RUNNING = "RUNNING"
    HALTED = "HALTED"
    FLATTENING = "FLATTENING"

    @property
    def entries_allowed(self) -> bool:
        """The one gate every entry path asks: only RUNNING opens positions."""
        return self is KillState.RUNNING


def entry_denial(state: KillState) -> str | None:
    """The one gate for new entries and its one reason, whoever asks (rule, executor, strategy)."""
    return None if state.entries_allowed else f"kill switch is {state.value}: no new entries"


class KillAction(StrEnum):
    HALT = "HALT"
    FLATTEN = "FLATTEN"
    RESUME = "RESUME"


@dataclass(frozen=True)
class ControlResult:
    ok: bool
    message: str = ""
    errors: tuple[str, ...] = ()
