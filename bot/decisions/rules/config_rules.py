"""Risk per trade and trailing stop: settings the operator tunes next to the filter rules.

They never deny; they live in the rule book so one screen, one validation and
one audit trail cover every knob that changes what the bot will trade.
"""

from __future__ import annotations

from bot.decisions.rules.base import ParamSpec, ParamValue, Rule, RuleContext, Verdict

RISK_MIN, RISK_MAX = 0.0001, 0.05
CALLBACK_MIN, CALLBACK_MAX = 0.1, 5.0


class RiskPerTrade(Rule):
    name = "risk_per_trade"
    title = "Risk per trade"
    description = "Share of equity lost if the stop is hit; sizing divides it by the stop distance."
    toggleable = False
    params = (
        ParamSpec("risk", float, 0.0075, RISK_MIN, RISK_MAX,
                  "Fraction of equity (0.0075 = 0.75%)"),
    )

    def evaluate(self, ctx: RuleContext, params: dict[str, ParamValue]) -> Verdict:
        return self.allow(f"risk {float(params['risk']):.4%} of equity")


class TrailingStop(Rule):
    name = "trailing_stop"
    title = "Trailing stop"
    description = ("Adds a TRAILING_STOP_MARKET next to the fixed stop; the callback rate is a "
                   "percent sent as is (1 = 1%).")
    enabled_by_default = False
    params = (
        ParamSpec("callback_rate", float, 1.0, CALLBACK_MIN, CALLBACK_MAX,
                  "Trailing distance in percent, 0.1 to 5"),
    )

    def evaluate(self, ctx: RuleContext, params: dict[str, ParamValue]) -> Verdict:
        return self.allow(f"trailing callback {params['callback_rate']}%")
