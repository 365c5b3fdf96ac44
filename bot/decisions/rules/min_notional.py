"""Refuse entries too small to matter (or below the exchange's MIN_NOTIONAL filter)."""

from __future__ import annotations

from decimal import Decimal

from bot.decisions.rules.base import ParamSpec, ParamValue, Rule, RuleContext, Verdict


class MinNotional(Rule):
    name = "min_notional"
    title = "Minimum notional"
    description = ("Denies an entry whose sized notional (quantity x price) is below the larger "
                   "of the exchange minimum and this floor.")
    stage = "sized"
    params = (
        ParamSpec("floor_usdt", float, 0.0, 0.0, 1_000_000.0,
                  "Extra minimum order value in USDT on top of the exchange's"),
    )

    def evaluate(self, ctx: RuleContext, params: dict[str, ParamValue]) -> Verdict:
        if ctx.quantity is None or ctx.entry_price is None:
            return self.deny("no size to check (sizing did not run)")
        floor = max(Decimal(str(params["floor_usdt"])), ctx.exchange_min_notional or Decimal(0))
        notional = ctx.quantity * ctx.entry_price
        if notional < floor:
            return self.deny(f"notional {notional:.2f} USDT below minimum {floor:.2f}")
        return self.allow(f"notional {notional:.2f} USDT >= {floor:.2f}")
