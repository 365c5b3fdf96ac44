"""Leave a symbol alone for a while after its stop failed.

A stop that was finally rejected or ended in an emergency close usually means
the market is gapping through levels; re-entering at once repeats the loss.
"""

from __future__ import annotations

from datetime import timedelta

from bot.decisions.rules.base import ParamSpec, ParamValue, Rule, RuleContext, Verdict


class StopFailureCooldown(Rule):
    name = "stop_failure_cooldown"
    title = "Cooldown after a failed stop"
    description = ("Denies entries on a symbol whose last stop failed (final rejection or "
                   "emergency close) within the cooldown.")
    params = (
        ParamSpec("minutes", int, 60, 0, 1440, "Minutes without entries after a failed stop"),
    )

    def evaluate(self, ctx: RuleContext, params: dict[str, ParamValue]) -> Verdict:
        failed_at = ctx.last_stop_failure_at
        cooldown = timedelta(minutes=int(params["minutes"]))
        if failed_at is not None and ctx.now - failed_at < cooldown:
            left = int((cooldown - (ctx.now - failed_at)).total_seconds() // 60) + 1
            return self.deny(f"stop failed on {ctx.signal.symbol} at {failed_at:%H:%M} UTC; "
                             f"cooldown {int(params['minutes'])} min ({left} min left)")
        return self.allow("no recent stop failure")
