"""Start-up position-mode check: hedge mode refuses with a way out; an unknown goes on."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pytest

from bot.domain.errors import InvalidOrderError, UnknownStatusError
from bot.reconcile import HedgeModeError, StartRefusedError, require_one_way


@dataclass
class ModeReader:
    answer: bool | Exception

    def dual_side_position(self) -> bool:
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def test_require_one_way_when_hedge_mode_then_refused_with_how_to_switch() -> None:
    with pytest.raises(HedgeModeError) as caught:
        require_one_way(ModeReader(True))
    assert isinstance(caught.value, StartRefusedError)
    message = str(caught.value)
    assert "Preferences > Position Mode > One-way" in message
    assert "POST /fapi/v1/positionSide/dual" in message
    assert "dualSidePosition=false" in message and "no open positions" in message


def test_require_one_way_when_one_way_then_goes_on() -> None:
    assert require_one_way(ModeReader(False)) is None  # no refusal raised


@pytest.mark.parametrize("error", [
    InvalidOrderError(-1000, "Unknown endpoint GET /fapi/v1/positionSide/dual", 404),
    UnknownStatusError(None, "timed out"),
])
def test_require_one_way_when_venue_cannot_answer_then_logged_and_goes_on(
    error: Exception, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.reconcile"):
        require_one_way(ModeReader(error))
    assert any("Position mode unknown" in r.getMessage() for r in caplog.records)
