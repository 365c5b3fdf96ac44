"""No entry against the symbol's open position.

The account trades in one-way mode: a SELL while a LONG is open does not open a
SHORT, it shrinks or flips the LONG. The bot would record a SHORT it does not
hold and place a stop for a position that is not there, so such a signal is an
exit request in disguise, and exits are the operator's (or the stop's) to make.
"""

from __future__ import annotations

from bot.decisions.rules.base import ParamValue, Rule, RuleContext, Verdict


class OppositePositionBlock(Rule):
    name = "opposite_position"
    title = "No entry against an open position"
    description = ("Denies an entry opposite to the symbol's open position: in one-way mode "
                   "it would reduce or flip that position instead of opening a new one.")
    toggleable = False

    def evaluate(self, ctx: RuleContext, params: dict[str, ParamValue]) -> Verdict:
        held = ctx.position_direction
        if held is None or held is ctx.direction:
            return self.allow()
        return self.deny(f"{ctx.signal.symbol} has an open {held.value} position: a "
                         f"{ctx.direction.value} entry would reduce or flip it (one-way mode)")
