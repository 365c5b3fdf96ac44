"""Cap the entries stacked on one symbol while its position is open."""

from __future__ import annotations

from bot.decisions.rules.base import ParamSpec, ParamValue, Rule, RuleContext, Verdict


class MaxPositionsPerSymbol(Rule):
    name = "max_positions_per_symbol"
    title = "Max positions per symbol"
    description = "Denies an entry when the symbol already has this many entries open."
    params = (
        ParamSpec("limit", int, 2, 1, 10, "Entries allowed on one symbol while it is open"),
    )

    def evaluate(self, ctx: RuleContext, params: dict[str, ParamValue]) -> Verdict:
        limit = int(params["limit"])
        if ctx.entries_on_symbol >= limit:
            return self.deny(f"{ctx.signal.symbol} already has {ctx.entries_on_symbol} open "
                             f"entr{'y' if ctx.entries_on_symbol == 1 else 'ies'} (limit {limit})")
        return self.allow(f"{ctx.entries_on_symbol} of {limit} entries on {ctx.signal.symbol}")
