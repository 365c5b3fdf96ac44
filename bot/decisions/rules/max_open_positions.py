"""Cap how many symbols hold a position at once (adding to an open one does not count)."""

from __future__ import annotations

from bot.decisions.rules.base import ParamSpec, ParamValue, Rule, RuleContext, Verdict


class MaxOpenPositions(Rule):
    name = "max_open_positions"
    title = "Max open positions"
    description = "Denies an entry on a new symbol when this many positions are already open."
    params = (
        ParamSpec("limit", int, 10, 1, 200, "Positions open at once, all symbols together"),
    )

    def evaluate(self, ctx: RuleContext, params: dict[str, ParamValue]) -> Verdict:
        limit = int(params["limit"])
        if not ctx.symbol_has_position and ctx.open_positions >= limit:
            return self.deny(f"{ctx.open_positions} positions already open (limit {limit})")
        return self.allow(f"{ctx.open_positions} of {limit} positions open")
