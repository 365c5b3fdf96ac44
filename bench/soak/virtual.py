"""``python -m bench.soak.virtual``: the soak on the virtual clock, so a failing seed replays.

The wall-clock soak (``python -m bench.soak``) drives the bot through threads and
real time, so a finding depends on scheduling and cannot be re-run exactly. Here
the whole bot runs as a replay (``bot.replay``: one thread, the venue on a manual
clock, every job called in virtual time) with the replay's seeded faults armed
around its entries, and the venue ledger is then judged by the same independent
``audit_ledger`` the soak uses. Same data, settings, fault rate and seed give the
same ledger hash and the same verdict: re-running the printed command reproduces a
failure to the ledger entry.

On the virtual clock the monitor runs once a bar, so a loss the venue causes (a
silent cancel, a stop lost or stuck at its trigger) is judged against one bar plus
the trigger grace, not the live poll's 10 s: that cadence is the replay's, not the
bot's (docs/REPLAY.md). The first round trip takes no virtual time at all: any naked
millisecond after an entry that no fault explains is a finding.

Exit code 0 when every target holds, 1 when one is missed, 2 on bad options.
"""

from __future__ import annotations

import argparse
import json
import logging
import shlex
import sys
import tempfile
from dataclasses import asdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bench.soak.ledger_audit import AlgoFlags, FaultWindow, LedgerAudit, NakedSpan, audit_ledger
from bench.soak.report import REPAIR_CAUSES, unexcused_spans
from bot.replay.config import parse_assignment
from bot.replay.data import Window, parse_day
from bot.replay.errors import ReplayInputError
from bot.replay.faults import parse_kinds
from bot.replay.session import BAR_MS, ReplayConfig, ReplaySession
from bot.replay.synthetic import PRICES, write_dataset

FIRST_DAY = date(2026, 1, 1)
# the daily-loss trip would HALT a run whose faults cost money and the entries would stop
KEEP_TRADING = {"QT_DAILY_LOSS_LIMIT": "1"}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.soak.virtual", description=__doc__.split(
        "\n\n")[0])
    p.add_argument("--seed", type=int, default=7, help="venue and fault seed")
    p.add_argument("--fault-rate", type=float, default=0.3,
                   help="share of the executor's runs with entries that get a fault")
    p.add_argument("--kinds", default="", help="comma-separated fault kinds (default: all)")
    p.add_argument("--days", type=int, default=7, help="replayed days of synthetic data")
    p.add_argument("--history", type=int, default=14, help="days of synthetic history first")
    p.add_argument("--symbols", type=int, default=7, help="synthetic symbols (BTCUSDT first)")
    p.add_argument("--data", type=Path, default=None,
                   help="a folder of Binance 1m kline files instead of synthetic data")
    p.add_argument("--from", dest="first", default=None, help="with --data: first day")
    p.add_argument("--to", dest="last", default=None, help="with --data: last day")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="QT_NAME=VALUE")
    p.add_argument("--json", type=Path, default=None, help="write the figures here")
    p.add_argument("--ledger", type=Path, default=None, help="write the venue ledger (JSONL)")
    p.add_argument("--log", type=Path, default=None, help="the bot's log file (default: none)")
    p.add_argument("--log-level", default="WARNING")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    command = "python -m bench.soak.virtual " + shlex.join(
        list(argv if argv is not None else sys.argv[1:]))
    handler: logging.Handler = (logging.FileHandler(args.log, mode="w") if args.log
                                else logging.NullHandler())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logging.basicConfig(level=args.log_level.upper(), handlers=[handler], force=True)
    try:
        kinds = parse_kinds(args.kinds)
        if not 0 < args.fault_rate <= 1:
            raise ValueError(f"--fault-rate {args.fault_rate}: a share in (0, 1]")
        overrides = {**KEEP_TRADING, "QT_PAPER_SEED": str(args.seed),
                     **dict(parse_assignment(item) for item in args.sets)}
        with tempfile.TemporaryDirectory(prefix="qs-vsoak-") as folder:
            data, window = _data(args, Path(folder))
            config = ReplayConfig(data, window, overrides, "virtual soak",
                                  fault_rate=args.fault_rate, fault_kinds=kinds)
            f = run(config, args.ledger)
    except (ValueError, ReplayInputError) as exc:
        print(f"bad option: {exc}", file=sys.stderr)
        return 2
    f["command"] = command
    t = targets(f)
    f["targets"] = t
    print(table(f, t))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(f, indent=2, default=str))
    return 0 if all(t.values()) else 1


def run(config: ReplayConfig, ledger_out: Path | None = None) -> dict[str, Any]:
    """Replay ``config`` to its end and audit the venue's ledger (the figures as one dict)."""
    with ReplaySession(config) as session:
        session.start()
        while session.step():
            pass
        venue, c = session.venue, session.components
        assert venue is not None and session.faults is not None
        with venue.engine.lock:
            ledger = [e.to_json() for e in venue.engine.ledger.since(0)]
            flags = {a.algo_id: AlgoFlags(a.close_position, a.reduce_only, a.activate_price)
                     for a in venue.engine.algos.values()}
        grace_ms = int(c.protection.config.triggering_grace_s * 1000)
        windows = [FaultWindow("*", i.kind, i.from_id, i.to_id)
                   for i in session.faults.injected]
        audit = audit_ledger(ledger, flags, windows, session.now_ms, grace_ms)
        injected: dict[str, int] = {}
        for i in session.faults.injected:
            injected[i.kind] = injected.get(i.kind, 0) + 1
        facts = {"bars": session.bars, "ledger_hash": session.ledger_hash(),
                 "ledger_entries": len(ledger), "job_errors": session.job_errors,
                 "faults_injected": dict(sorted(injected.items())), "grace_ms": grace_ms}
    if ledger_out is not None:
        ledger_out.write_text("".join(json.dumps(e) + "\n" for e in ledger))
    return figures(audit, facts)


def figures(a: LedgerAudit, facts: dict[str, Any]) -> dict[str, Any]:
    """Naked times in virtual seconds; repairs judged against one bar plus the grace."""
    unexcused = unexcused_spans(a.spans)
    budget_s = (BAR_MS + facts["grace_ms"]) / 1000 + 1
    return {
        **facts,
        "entries": a.entries, "trades": dict(sorted(a.trades.items())),
        "emergency_closes": a.emergency_closes, "liquidations": a.liquidations,
        "naked_beyond_first_round_trip_s": round(sum(s.ms for s in unexcused) / 1000, 3),
        "unexcused_spans": len(unexcused),
        "examples_unexcused": [asdict(s) for s in unexcused[:20]],
        "first_round_trip_max_ms": max((s.ms for s in a.spans if s.cause == "entry"
                                        and s.ended_by == "immediate"), default=None),
        "repair_budget_s": budget_s,
        "repair": {cause: _repairs([s for s in a.spans if s.cause == cause], budget_s)
                   for cause in REPAIR_CAUSES},
        "doubled_entries": a.doubled_entries,
        "emergency_closes_of_covered": a.emergency_closes_covered,
        "cancel_breaches": [asdict(b) for b in a.cancel_breaches],
        "open_at_end": sum(1 for s in a.spans if s.ended_by == "open_at_end"),
    }


def _repairs(spans: list[NakedSpan], budget_s: float) -> dict[str, Any]:
    late = [s for s in spans if s.ms / 1000 > budget_s]
    return {"spans": len(spans), "max_s": max((s.ms / 1000 for s in spans), default=None),
            "late": len(late), "examples_late": [asdict(s) for s in late[:5]]}


def targets(f: dict[str, Any]) -> dict[str, bool]:
    return {
        "faults injected": sum(f["faults_injected"].values()) > 0,
        "0 naked s beyond the first round trip": f["unexcused_spans"] == 0,
        **{f"{label} repaired within a bar + grace + 1 s ({f['repair_budget_s']:g} s)":
           f["repair"][cause]["late"] == 0 for cause, label in REPAIR_CAUSES.items()},
        "0 doubled entries": not f["doubled_entries"],
        "0 emergency closes of a covered position": not f["emergency_closes_of_covered"],
        "0 cancels of covering stops": not f["cancel_breaches"],
        "0 naked at end": f["open_at_end"] == 0,
        "0 job errors": f["job_errors"] == 0,
    }


def table(f: dict[str, Any], t: dict[str, bool]) -> str:
    rows = [
        ("ledger hash", f["ledger_hash"]),
        ("bars / ledger entries", f"{f['bars']:,} / {f['ledger_entries']:,}"),
        ("entries (venue ledger)", f["entries"]),
        ("trades closed by closer", ", ".join(f"{k} {v}" for k, v in f["trades"].items())),
        ("faults injected", ", ".join(f"{k} {v}" for k, v in f["faults_injected"].items())),
        ("emergency closes (of a covered position)",
         f"{f['emergency_closes']} ({len(f['emergency_closes_of_covered'])})"),
        ("naked s beyond first round trip (spans)",
         f"{f['naked_beyond_first_round_trip_s']} ({f['unexcused_spans']})"),
        *((f"repair: {label} (spans, max s, late)",
           f"{r['spans']} ({r['max_s']}, {r['late']})")
          for label, r in ((label, f["repair"][cause]) for cause, label in REPAIR_CAUSES.items())),
    ]
    width = max(len(r[0]) for r in rows) + 2
    lines = [f"{name:<{width}}{value}" for name, value in rows]
    lines += ["", *(f"[{'PASS' if ok else 'FAIL'}] {name}" for name, ok in t.items())]
    if f.get("command"):
        lines += ["", f"reproduce: {f['command']}"]
    return "\n".join(lines)


def _data(args: argparse.Namespace, folder: Path) -> tuple[Path, Window]:
    if args.data is not None:
        if not (args.first and args.last):
            raise ValueError("--data needs --from and --to")
        return args.data, Window(parse_day(args.first, "--from"), parse_day(args.last, "--to"))
    if args.days < 1 or args.history < 1 or not 1 <= args.symbols <= len(PRICES):
        raise ValueError(f"--days and --history at least 1, --symbols in 1..{len(PRICES)}")
    names = list(PRICES)[:args.symbols]
    write_dataset(folder, names, FIRST_DAY, args.history + args.days, seed=args.seed)
    start = FIRST_DAY + timedelta(days=args.history)
    return folder, Window(start, start + timedelta(days=args.days - 1))


if __name__ == "__main__":
    sys.exit(main())
