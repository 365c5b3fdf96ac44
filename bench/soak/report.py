"""Figures and targets of a soak run: one dict (written as JSON) and a printed table.

All naked times are in wall seconds: the ledger's venue milliseconds divided
by the run's speed factor (the venue clock runs ``speed`` times the wall clock).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from bench.soak.harness import SoakOutcome
from bench.soak.ledger_audit import NakedSpan

# naked spans the venue opened, each repaired by the bot (the stream's targeted check, or
# the poll): judged per cause against one monitor cycle + 1 s
REPAIR_CAUSES = {"silent_cancel": "silent cancel", "outside": "outside fill",
                 "venue_lost": "stop lost at trigger", "stuck": "stuck beyond grace"}


def unexcused_spans(spans: list[NakedSpan]) -> list[NakedSpan]:
    """Naked time the invariant does not excuse: not the first round trip, not the close a
    fired stop makes (up to its fill, or its child's expiry), not a loss the venue caused
    being repaired (judged per cause), not the recovery from a fault injected into that
    very entry."""
    return [s for s in spans if (
        (s.cause == "entry" and s.ended_by != "immediate" and not s.fault)
        or (s.cause == "closing" and s.ended_by not in ("closed", "child_expired"))
        or s.cause in ("bot_cancel", "other"))]


def _pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))]


def _s(span: NakedSpan, speed: float) -> float:
    return span.ms / speed / 1000


def figures(out: SoakOutcome) -> dict[str, Any]:
    cfg, a = out.cfg, out.audit
    speed = cfg.speed
    entry = [s for s in a.spans if s.cause == "entry"]
    clean = [s for s in entry if not s.fault]
    faulted = [s for s in entry if s.fault]
    immediate = [_s(s, speed) * 1000 for s in clean if s.ended_by == "immediate"]
    slow_immediate = [v for v in immediate if v > cfg.rtt_budget_ms]
    unexcused = unexcused_spans(a.spans)
    beyond_rtt_s = sum(_s(s, speed) for s in unexcused) + sum(
        (v - cfg.rtt_budget_ms) / 1000 for v in slow_immediate)
    dup_grace_ms = cfg.monitor_interval_s * 2 * 1000 * speed
    duplicates = [(sym, ms) for sym, ms in a.duplicate_spans_ms if ms > dup_grace_ms]
    orphan_grace_ms = cfg.monitor_interval_s * 3 * 1000 * speed
    late_orphans = [ms for _, ms in a.orphan_ms if ms > orphan_grace_ms]
    all_s = [_s(s, speed) for s in a.spans]
    bm = out.bot_metrics
    return {
        "run": {"entries_asked": cfg.entries, "fault_rate": cfg.fault_rate, "speed": speed,
                "seed": cfg.seed, "symbols": cfg.symbols,
                "monitor_interval_s": cfg.monitor_interval_s,
                "wall_s": round(out.wall_s, 1), "drive_s": round(out.drive_s, 1),
                "entries_per_s": round(a.entries / out.drive_s, 2) if out.drive_s else None,
                "ledger_entries": out.ledger_size, "bot_events": out.event_count,
                "kill_switch": out.kill_state},
        "venue": {"entries": a.entries, "trades": dict(sorted(a.trades.items())),
                  "emergency_closes": a.emergency_closes, "liquidations": a.liquidations,
                  "stops_placed": a.stops_placed, "stop_cancels_by_bot": a.stop_cancels_by_bot,
                  "silent_cancels": a.silent_cancels},
        "naked": {
            "beyond_first_round_trip_s": round(beyond_rtt_s, 4),
            "unexcused_spans": len(unexcused) + len(slow_immediate),
            "entry_windows": len(entry),
            "first_round_trip_ms_p50": _r(_pct(immediate, 50)),
            "first_round_trip_ms_p99": _r(_pct(immediate, 99)),
            "first_round_trip_ms_max": _r(max(immediate, default=None)),
            "fault_recovery_spans": len(faulted),
            "fault_recovery_s_total": round(sum(_s(s, speed) for s in faulted), 3),
            "fault_recovery_ms_max": _r(max((_s(s, speed) * 1000 for s in faulted),
                                            default=None)),
            "fault_recovery_by_end": _count(s.ended_by for s in faulted),
            "longest_naked_s": _r(max(all_s, default=None), 3),
            "open_at_end": sum(1 for s in a.spans if s.ended_by == "open_at_end"),
            # of the unexcused: entries that met a stuck stop of their side on the book
            "unexcused_after_stuck": sum(1 for s in unexcused if s.stuck_on_book),
            "unexcused_after_stuck_s": round(sum(_s(s, speed) for s in unexcused
                                                 if s.stuck_on_book), 4),
            "examples_unexcused": [asdict(s) for s in unexcused[:100]],
        },
        "repair_budget_s": cfg.repair_budget_s,
        "repair": {cause: _repairs([s for s in a.spans if s.cause == cause], speed,
                                   cfg.repair_budget_s) for cause in REPAIR_CAUSES},
        "venue_losses": {"silent_cancels": a.silent_cancels, "outside_fills": a.outside_fills,
                         "stops_lost_at_trigger": a.stops_lost_at_trigger,
                         "stuck_triggers": a.stuck_triggers},
        "doubled_entries": len(a.doubled_entries),
        "doubled_examples": a.doubled_entries[:10],
        "emergency_closes_of_covered": len(a.emergency_closes_covered),
        "emergency_covered_examples": a.emergency_closes_covered[:10],
        "stream": out.stream,
        "cancels_of_covering_stops_while_open": len(a.cancel_breaches),
        "cancel_breaches": [asdict(b) for b in a.cancel_breaches[:10]],
        "duplicates": {"spans_over_grace": len(duplicates),
                       "max_ms_wall": _r(max((ms / speed for _, ms in a.duplicate_spans_ms),
                                             default=None)),
                       "observer_duplicate_samples": out.observer.duplicate_samples},
        "orphans": {"seen": len(a.orphan_ms), "removed_late": len(late_orphans),
                    "open_at_end": a.orphans_open_at_end},
        "events_lost": len(out.lost),
        "lost_examples": [asdict(x) for x in out.lost[:10]],
        "observer": {"samples": out.observer.samples,
                     "position_samples": out.observer.position_samples,
                     "naked_samples": out.observer.naked_samples,
                     "longest_naked_ms": _r(out.observer.longest_ms),
                     "max_open_positions": out.observer.max_open_positions,
                     "max_open_algo_orders": out.observer.max_open_algos},
        "driver": asdict(out.driver),
        "bot_metrics": None if bm is None else {
            "sl_attempts": bm.sl_attempts, "sl_placed": bm.sl_placed,
            "sl_success_rate": bm.sl_success_rate,
            "fill_to_stop_p50_ms": bm.fill_to_stop_p50_ms,
            "fill_to_stop_p99_ms": bm.fill_to_stop_p99_ms,
            "emergency_closes": bm.emergency_closes,
            "stops_canceled_while_open": bm.stops_canceled_while_open,
            "rejected_would_trigger": bm.rejected_would_trigger},
    }


def _repairs(spans: list[NakedSpan], speed: float, budget_s: float) -> dict[str, Any]:
    """Repair times of one cause, wall seconds. A span the bot did not end itself (the
    position closed first, or it was still open at the end) is late once over budget."""
    times = [_s(s, speed) for s in spans if s.ended_by == "monitor"]
    late = [s for s in spans if _s(s, speed) > budget_s]
    return {"spans": len(spans), "repaired": len(times),
            "p50_s": _r(_pct(times, 50), 3), "max_s": _r(max(times, default=None), 3),
            "late": sum(1 for s in late if not s.fault),
            "late_under_fault": sum(1 for s in late if s.fault),
            "not_repaired": _count(s.ended_by for s in spans if s.ended_by != "monitor"),
            "examples_late": [asdict(s) for s in late[:5]]}


def targets(f: dict[str, Any], cfg_entries: int, cfg_fault_rate: float) -> dict[str, bool]:
    n = f["naked"]
    budget = f["repair_budget_s"]
    return {
        "entries reached": f["venue"]["entries"] >= cfg_entries,
        "0 naked s beyond the first round trip": n["unexcused_spans"] == 0,
        **{f"{label} repaired within one cycle + 1 s ({budget:g} s)":
           f["repair"][cause]["late"] == 0 for cause, label in REPAIR_CAUSES.items()},
        "0 doubled entries": f["doubled_entries"] == 0,
        "0 emergency closes of a covered position": f["emergency_closes_of_covered"] == 0,
        "0 cancels of covering stops": f["cancels_of_covering_stops_while_open"] == 0,
        "0 duplicate covering stops": f["duplicates"]["spans_over_grace"] == 0,
        "0 lost events": f["events_lost"] == 0,
        "0 liquidations": f["venue"]["liquidations"] == 0,
        "0 naked at end": n["open_at_end"] == 0,
        "faults injected": cfg_fault_rate == 0 or sum(f["driver"]["injected"].values()) > 0,
        **({"stream up at the end": f["stream"]["state"] == "UP"} if f["stream"] else {}),
    }


def table(f: dict[str, Any], t: dict[str, bool]) -> str:
    n, v = f["naked"], f["venue"]
    rows = [
        ("entries (venue ledger)", v["entries"]),
        ("trades closed", sum(v["trades"].values())),
        ("  by closer", ", ".join(f"{k} {c}" for k, c in v["trades"].items())),
        ("faults injected (drawn)", f"{sum(f['driver']['injected'].values())} "
                                    f"({sum(f['driver']['drawn'].values())})"),
        ("emergency closes (of a covered position)",
         f"{v['emergency_closes']} ({f['emergency_closes_of_covered']})"),
        ("doubled entries", f["doubled_entries"]),
        ("liquidations", v["liquidations"]),
        ("naked s beyond first round trip (spans, after a stuck stop)",
         f"{n['beyond_first_round_trip_s']} ({n['unexcused_spans']}, "
         f"{n['unexcused_after_stuck']})"),
        ("first round trip p50 / p99 / max ms",
         f"{n['first_round_trip_ms_p50']} / {n['first_round_trip_ms_p99']} / "
         f"{n['first_round_trip_ms_max']}"),
        ("fault recoveries (spans, total s, max ms)",
         f"{n['fault_recovery_spans']}, {n['fault_recovery_s_total']}, "
         f"{n['fault_recovery_ms_max']}"),
        *((f"repair: {label} (spans, p50 / max s, late)",
           f"{r['spans']} ({r['p50_s']} / {r['max_s']}, {r['late']})")
          for label, r in ((label, f["repair"][cause])
                           for cause, label in REPAIR_CAUSES.items())),
        ("stream (state, reconnects, events, checks)",
         "off" if not f["stream"] else
         f"{f['stream']['state']}, {f['stream']['reconnects']}, {f['stream']['events']}, "
         f"{f['stream']['targeted_checks']}"),
        ("longest naked interval s", n["longest_naked_s"]),
        ("cancels of covering stops while open", f["cancels_of_covering_stops_while_open"]),
        ("duplicate covering stops", f["duplicates"]["spans_over_grace"]),
        ("orphans seen / late / at end",
         f"{f['orphans']['seen']} / {f['orphans']['removed_late']} / "
         f"{f['orphans']['open_at_end']}"),
        ("events lost", f["events_lost"]),
        ("observer samples / longest naked ms",
         f"{f['observer']['samples']} / {f['observer']['longest_naked_ms']}"),
        ("wall s (driving)", f"{f['run']['wall_s']} ({f['run']['drive_s']})"),
    ]
    width = max(len(r[0]) for r in rows) + 2
    lines = [f"{name:<{width}}{value}" for name, value in rows]
    lines.append("")
    lines += [f"[{'PASS' if ok else 'FAIL'}] {name}" for name, ok in t.items()]
    return "\n".join(lines)


def _r(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def _count(values: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return out
