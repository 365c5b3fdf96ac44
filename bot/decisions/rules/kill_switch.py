"""No entry while the kill switch is engaged. Always on: the operator's brake has no off switch."""

from __future__ import annotations

from bot.decisions.rules.base import ParamValue, Rule, RuleContext, Verdict
from bot.domain import KillState, entry_denial


class KillSwitchRule(Rule):
    name = "kill_switch"
    title = "Kill switch"
    description = "Denies every entry while the bot is HALTED or FLATTENING."
    toggleable = False
    stage = "gate"

    def evaluate(self, ctx: RuleContext, params: dict[str, ParamValue]) -> Verdict:
        denial = entry_denial(KillState(ctx.kill_state))
        if denial:
            return self.deny(denial)
        return self.allow(f"kill switch {ctx.kill_state}")
