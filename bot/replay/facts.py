"""Everything the report shows, read once from a finished replay: the bot's database (trades,
events, equity, regime) and the venue's ledger. Plain JSON-ready values, so the report, the
JSON file and the dashboard page all read the same numbers.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from bot.domain import EventKind
from bot.domain.client_ids import parse as parse_client_id
from bot.replay.counterfactual import BlockedShort, simulate
from bot.replay.ledger_facts import StopFill, naked_spells, stop_fills
from bot.replay.session import ReplaySession
from bot.store.schema import signals

SHORT_BLOCK_RULE = "uptrend_short_block"
STOP_REASON = "stop"
WORST = 10


@dataclass
class RunFacts:
    label: str
    overrides: dict[str, str]
    first_day: str
    last_day: str
    symbols: list[str]
    risk_per_trade: float
    bars: int
    wall_s: float
    ledger_hash: str
    ledger_entries: int
    job_errors: int
    equity: list[tuple[str, float]] = field(default_factory=list)
    trades: list[dict[str, Any]] = field(default_factory=list)
    stop_hits: list[dict[str, Any]] = field(default_factory=list)
    ladder: list[dict[str, Any]] = field(default_factory=list)
    emergencies: list[dict[str, Any]] = field(default_factory=list)
    kill_switch: list[dict[str, Any]] = field(default_factory=list)
    faults: list[dict[str, Any]] = field(default_factory=list)
    naked: list[dict[str, Any]] = field(default_factory=list)
    instant_round_trips: int = 0
    blocked_shorts: list[dict[str, Any]] = field(default_factory=list)
    regime: list[tuple[str, str]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def collect(session: ReplaySession, wall_s: float) -> RunFacts:
    c = session.components
    store = c.store
    settings = session.settings
    window = session.config.window
    assert session.venue is not None
    ledger = session.venue.engine.ledger.since(0)
    facts = RunFacts(
        label=session.config.label, overrides=dict(session.config.overrides),
        first_day=window.first.isoformat(), last_day=window.last.isoformat(),
        symbols=list(session.data.symbols), risk_per_trade=float(settings.risk_per_trade),
        bars=session.bars, wall_s=round(wall_s, 3), ledger_hash=session.ledger_hash(),
        ledger_entries=len(ledger), job_errors=session.job_errors)
    facts.equity = [(_iso(p.at), float(p.equity))
                    for p in store.equity_curve(limit=10**9)]
    trades = list(reversed(store.trades(limit=10**9)))
    facts.trades = [_trade_row(t) for t in trades]
    facts.stop_hits = _stop_hits(trades, stop_fills(ledger), facts.risk_per_trade)
    facts.ladder = [_event_row(e) for e in store.events(kinds=[EventKind.STOP_RETRY])]
    facts.emergencies = [_event_row(e) for e in store.events(kinds=[EventKind.EMERGENCY_CLOSE])]
    facts.kill_switch = [_event_row(e) for e in store.events(kinds=[EventKind.KILL_SWITCH])]
    if session.faults is not None:
        facts.faults = [{"at": _iso_ms(f.at_ms), "kind": f.kind, "detail": f.detail}
                        for f in session.faults.injected]
    spells, facts.instant_round_trips = naked_spells(ledger, session.now_ms)
    facts.naked = [{"symbol": s.symbol, "from": _iso_ms(s.start_ms), "seconds": s.seconds}
                   for s in spells]
    facts.blocked_shorts = _blocked_shorts(session, facts)
    facts.regime = [(_iso(v.computed_at), v.regime.value)
                    for v in store.regime_history(limit=10**9) if v.computed_at is not None]
    facts.summary = summarize(facts, float(settings.paper_balance))
    return facts


def _trade_row(t: Any) -> dict[str, Any]:
    return {"id": t.id, "symbol": t.symbol, "direction": t.direction.value,
            "quantity": _f(t.quantity), "entry": _f(t.entry_price), "stop": _f(t.stop_price),
            "target": _f(t.take_profit), "exit": _f(t.exit_price), "reason": t.close_reason,
            "pnl_usdt": _f(t.pnl_usdt), "fees_usdt": _f(t.fees_usdt),
            "pnl_pct_equity": _f(t.pnl_pct_equity), "opened": _iso(t.opened_at),
            "closed": _iso(t.closed_at), "key": t.position_key}


def _stop_hits(trades: list[Any], fills: list[StopFill], risk: float) -> list[dict[str, Any]]:
    """Each trade closed by its stop: the loss against the configured risk, and how much of
    it the gap (price beyond the trigger when it fired) and the slippage (fill beyond that
    price) added; fees are the trade's own."""
    by_key: dict[tuple[str, str], StopFill] = {}
    by_symbol: dict[str, list[StopFill]] = defaultdict(list)
    for fill in fills:
        cid = parse_client_id(fill.client_id)
        if cid is not None:
            by_key[(fill.symbol, cid.key)] = fill
        by_symbol[fill.symbol].append(fill)
    rows = []
    for t in trades:
        if t.close_reason != STOP_REASON or t.pnl_usdt is None or t.closed_at is None:
            continue
        closed_ms = int(t.closed_at.timestamp() * 1000)
        fill = by_key.get((t.symbol, t.position_key)) or next(
            (f for f in reversed(by_symbol[t.symbol]) if f.time_ms <= closed_ms), None)
        qty = t.quantity
        loss = -float(t.pnl_usdt)
        pct = float(t.pnl_pct_equity) if t.pnl_pct_equity else None
        equity = abs(float(t.pnl_usdt) / (pct / 100)) if pct else None
        budget = risk * equity if equity else None
        at_stop = float(qty * abs(t.entry_price - fill.trigger)) if fill else None
        rows.append({
            "id": t.id, "symbol": t.symbol, "direction": t.direction.value,
            "closed": _iso(t.closed_at), "loss_usdt": loss, "risk_usdt": budget,
            "loss_r": loss / budget if budget else None,
            "at_stop_usdt": at_stop,
            "gap_usdt": float(qty * fill.gap) if fill else None,
            "slippage_usdt": float(qty * fill.slippage) if fill else None,
            "fees_usdt": _f(t.fees_usdt), "trigger": _f(fill.trigger) if fill else None,
            "fired_at": _f(fill.price_at_trigger) if fill else None,
            "fill": _f(fill.fill) if fill else None,
        })
    return rows


def _blocked_shorts(session: ReplaySession, facts: RunFacts) -> list[dict[str, Any]]:
    c = session.components
    denied = [e for e in c.store.events(kinds=[EventKind.DECISION_DENIED])
              if e.details.get("rule") == SHORT_BLOCK_RULE]
    if not denied:
        return []
    ids = [str(e.details.get("signal_id")) for e in denied]
    with c.store.engine.connect() as conn:
        rows = {r.id: r for r in conn.execute(select(signals).where(signals.c.id.in_(ids)))}
    equity_at = _equity_lookup(facts.equity)
    shorts: dict[str, list[BlockedShort]] = defaultdict(list)
    for event, signal_id in zip(denied, ids, strict=True):
        row = rows.get(signal_id)
        if row is None or row.stop_price is None:
            continue
        at_ms = int(event.at.timestamp() * 1000)
        shorts[event.symbol or row.symbol].append(BlockedShort(
            symbol=row.symbol, at_ms=at_ms - at_ms % 60_000, stop=float(row.stop_price),
            target=float(row.target_price) if row.target_price is not None else None,
            equity=equity_at(at_ms), risk=facts.risk_per_trade))
    out = []
    for symbol, group in sorted(shorts.items()):
        for s in simulate(group, session.data.files[symbol], session.config.window.end_ms):
            out.append({"symbol": s.symbol, "at": _iso_ms(s.at_ms), "entry": s.entry,
                        "stop": s.stop, "target": s.target, "exit": s.exit,
                        "exit_at": _iso_ms(s.exit_ms) if s.exit_ms else None,
                        "outcome": s.outcome, "r": s.r_multiple, "pnl_usdt": s.pnl_usdt})
    return sorted(out, key=lambda r: r["at"])


def summarize(facts: RunFacts, balance: float) -> dict[str, Any]:
    closed = [t for t in facts.trades if t["pnl_usdt"] is not None]
    pnls = [t["pnl_usdt"] for t in closed]
    wins = [p for p in pnls if p > 0]
    losses = [p for p in pnls if p <= 0]
    end = facts.equity[-1][1] if facts.equity else balance
    hits = facts.stop_hits
    beyond = [h for h in hits if h["loss_r"] is not None and h["loss_r"] > 1]
    shorts = [s for s in facts.blocked_shorts if s["pnl_usdt"] is not None]
    reasons: dict[str, int] = defaultdict(int)
    for t in closed:
        reasons[t["reason"] or "unknown"] += 1
    return {
        "start_equity": balance, "end_equity": end,
        "return_pct": (end / balance - 1) * 100 if balance else None,
        "max_drawdown_pct": max_drawdown_pct([e for _, e in facts.equity]),
        "trades": len(facts.trades), "closed_trades": len(closed),
        "open_at_end": len(facts.trades) - len(closed),
        "win_rate_pct": len(wins) / len(closed) * 100 if closed else None,
        "net_pnl_usdt": sum(pnls), "fees_usdt": sum(t["fees_usdt"] or 0 for t in closed),
        "profit_factor": sum(wins) / -sum(losses) if losses and sum(losses) < 0 else None,
        "exit_reasons": dict(sorted(reasons.items())),
        "stop_hits": len(hits),
        "mean_stop_loss_r": _mean([h["loss_r"] for h in hits]),
        "worst_stop_loss_r": max((h["loss_r"] for h in hits if h["loss_r"] is not None),
                                 default=None),
        "stop_hits_beyond_risk": len(beyond),
        "gap_usdt": sum(h["gap_usdt"] or 0 for h in hits),
        "slippage_usdt": sum(h["slippage_usdt"] or 0 for h in hits),
        "ladder_rungs": len(facts.ladder), "emergency_closes": len(facts.emergencies),
        "kill_switch_changes": len(facts.kill_switch),
        "faults_injected": len(facts.faults),
        "halted_at": next((k["at"] for k in facts.kill_switch
                           if k["details"].get("state") != "RUNNING"), None),
        "naked_seconds": sum(n["seconds"] for n in facts.naked),
        "naked_spells": len(facts.naked),
        "shorts_blocked": len(facts.blocked_shorts),
        "blocked_shorts_pnl_usdt": sum(s["pnl_usdt"] for s in shorts),
        "blocked_shorts_mean_r": _mean([s["r"] for s in shorts]),
        "regime_changes": sum(1 for a, b in zip(facts.regime, facts.regime[1:], strict=False)
                              if a[1] != b[1]),
        "bars": facts.bars, "wall_s": facts.wall_s,
        "bars_per_s": facts.bars / facts.wall_s if facts.wall_s else None,
        "job_errors": facts.job_errors, "ledger_hash": facts.ledger_hash,
    }


def worst_stop_hits(facts: RunFacts, n: int = WORST) -> list[dict[str, Any]]:
    ranked = [h for h in facts.stop_hits if h["loss_r"] is not None]
    return sorted(ranked, key=lambda h: h["loss_r"], reverse=True)[:n]


def max_drawdown_pct(values: list[float]) -> float:
    peak, worst = float("-inf"), 0.0
    for v in values:
        peak = max(peak, v)
        if peak > 0:
            worst = max(worst, (peak - v) / peak * 100)
    return worst


def drawdown_series(values: list[float]) -> list[float]:
    peak, out = float("-inf"), []
    for v in values:
        peak = max(peak, v)
        out.append(-(peak - v) / peak * 100 if peak > 0 else 0.0)
    return out


def _equity_lookup(points: list[tuple[str, float]]) -> Callable[[int], float]:
    """Equity at a time: the last point at or before it (the first point before any)."""
    times = [datetime.fromisoformat(at).timestamp() * 1000 for at, _ in points]
    values = [v for _, v in points]

    def at(ms: int) -> float:
        if not values:
            return 0.0
        return values[max(0, bisect_right(times, ms) - 1)]
    return at


def _event_row(e: Any) -> dict[str, Any]:
    return {"at": _iso(e.at), "symbol": e.symbol, "code": e.code, "message": e.message,
            "details": {k: str(v) for k, v in (e.details or {}).items()}}


def _mean(values: list[Any]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def _f(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _iso(at: datetime | None) -> str | None:
    if at is None:
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat()


def _iso_ms(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat()
