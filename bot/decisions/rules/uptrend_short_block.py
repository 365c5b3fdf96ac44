"""No shorts against a market-wide uptrend.

Shorting while BTC drags everything up was the seed's costliest habit. The one
exception: the symbol is in its own downtrend and the signal is very confident.
An unknown regime (stale, or not computed yet) blocks shorts too: this rule fails
closed, and the exception needs a known uptrend to be an exception to.
"""

from __future__ import annotations

from bot.decisions.rules.base import ParamSpec, ParamValue, Rule, RuleContext, Verdict
from bot.domain import Direction, Regime


class UptrendShortBlock(Rule):
    name = "uptrend_short_block"
    title = "Block shorts in a global uptrend"
    description = ("Denies SHORT entries while the global regime (BTCUSDT) is UPTREND, unless "
                   "the symbol's own trend is DOWNTREND and confidence reaches the threshold; "
                   "also while the regime is unknown (stale or not computed yet).")
    params = (
        ParamSpec("exception_confidence", float, 0.85, 0.0, 1.0,
                  "Confidence at or above which a locally down-trending symbol may be shorted"),
    )

    def evaluate(self, ctx: RuleContext, params: dict[str, ParamValue]) -> Verdict:
        if ctx.direction is not Direction.SHORT:
            return self.allow()
        if ctx.global_regime is None:
            return self.deny("SHORT blocked: global regime unknown (stale or not computed yet)")
        if ctx.global_regime is not Regime.UPTREND:
            return self.allow()
        threshold = float(params["exception_confidence"])
        confidence = ctx.signal.confidence
        local = ctx.local_trend.value if ctx.local_trend else "unknown"
        if ctx.local_trend is Regime.DOWNTREND and confidence >= threshold:
            return self.allow(f"exception: local trend DOWNTREND, confidence "
                              f"{confidence:.2f} >= {threshold:.2f}")
        return self.deny(f"SHORT blocked: global regime UPTREND (local trend {local}, "
                         f"confidence {confidence:.2f}, exception needs DOWNTREND and "
                         f">= {threshold:.2f})")
