"""``python -m bot.replay``: replay Binance kline files through the bot on a virtual clock.

    python -m bot.replay --data DIR --from 2026-01-01 --to 2026-03-31 \
        [--set QT_NAME=value ...] [--compare QT_A=1,QT_B=2 ...] [--seed N] [--out reports/]
        [--faults RATE [--fault-kinds KIND,...]] [--jobs N] [--http] [--quiet]

Progress on stderr; the ledger hash of each run, and the paths of the HTML report and
the JSON of its figures, on stdout. Bad input (data, dates, settings) stops before
anything runs, with a message naming the file and line, or the setting: exit code 2.
"""

from __future__ import annotations

import argparse
import logging
import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.replay.config import check_overrides, parse_assignment, parse_compare
from bot.replay.data import Window, parse_day
from bot.replay.errors import ReplayInputError
from bot.replay.facts import RunFacts
from bot.replay.faults import FaultKind, parse_kinds
from bot.replay.progress import Progress
from bot.replay.report import write_report
from bot.replay.run import run_replays
from bot.replay.session import ReplayConfig

EXIT_BAD_INPUT = 2


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bot.replay",
        description="Replay Binance 1m kline files through the bot on a virtual clock.")
    p.add_argument("--data", required=True, type=Path,
                   help="folder of SYMBOL-1m-YYYY-MM[.csv|.zip] / SYMBOL-1m-YYYY-MM-DD files")
    p.add_argument("--from", dest="first", required=True, help="first day, YYYY-MM-DD (UTC)")
    p.add_argument("--to", dest="last", required=True, help="last day, YYYY-MM-DD (included)")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="QT_NAME=VALUE",
                   help="a bot setting for the run (repeatable)")
    p.add_argument("--compare", action="append", default=[], metavar="QT_A=1,QT_B=2",
                   help="also run with these settings on top of --set (repeatable)")
    p.add_argument("--seed", type=int, help="the venue's seed (QT_PAPER_SEED)")
    p.add_argument("--out", type=Path, default=Path("reports"),
                   help="where the HTML, the JSON and the log go (default reports/)")
    p.add_argument("--http", action="store_true",
                   help="talk to the venue over loopback HTTP instead of in-process (slower; "
                        "same ledger)")
    p.add_argument("--faults", type=float, default=0.0, metavar="RATE",
                   help="inject a seeded fault around this share of the executor's entries")
    p.add_argument("--fault-kinds", default="", metavar="KIND,KIND",
                   help=f"which faults (default all: {', '.join(k.value for k in FaultKind)})")
    p.add_argument("--jobs", type=int, default=0, metavar="N",
                   help="with --compare, runs at once (default: one per core, at most one "
                        "per run)")
    p.add_argument("--quiet", action="store_true", help="no progress line")
    return p


def configs(args: argparse.Namespace) -> list[ReplayConfig]:
    """Every run asked for, each settings set checked before any data is read."""
    window = Window(parse_day(args.first, "--from"), parse_day(args.last, "--to"))
    base = dict(parse_assignment(item) for item in args.sets)
    if args.seed is not None:
        base["QT_PAPER_SEED"] = str(args.seed)
    runs = [(("base" if args.compare else "run"), base)]
    for text in args.compare:
        runs.append((text, {**base, **parse_compare(text)}))
    for _, overrides in runs:
        check_overrides(overrides)
    if not args.data.is_dir():
        raise ReplayInputError(f"--data {args.data}: no such folder")
    if args.jobs < 0:
        raise ReplayInputError(f"--jobs {args.jobs}: how many runs at once, 1 or more")
    if not 0 <= args.faults <= 1:
        raise ReplayInputError(f"--faults {args.faults}: a share of the entries, in [0, 1]")
    try:
        kinds = parse_kinds(args.fault_kinds)
    except ValueError as exc:
        raise ReplayInputError(f"--fault-kinds: {exc}") from None
    return [ReplayConfig(args.data, window, overrides, label, http=args.http,
                         fault_rate=args.faults, fault_kinds=kinds)
            for label, overrides in runs]


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    command = "python -m bot.replay " + shlex.join(list(argv if argv is not None
                                                        else sys.argv[1:]))
    try:
        runs = configs(args)
    except ReplayInputError as exc:
        return _bad_input(exc)
    args.out.mkdir(parents=True, exist_ok=True)
    log_path = args.out / "replay.log"
    handler = _log_to(log_path, runs[0].overrides.get("QT_LOG_LEVEL", "WARNING"))
    try:
        jobs = args.jobs or min(len(runs), os.cpu_count() or 1)
        results: list[RunFacts] = run_replays(runs, jobs, None if args.quiet else _progress)
        for config, facts in zip(runs, results, strict=True):
            print(f"{config.label}: ledger {facts.ledger_hash}  ({facts.ledger_entries:,} "
                  f"entries, {facts.bars:,} bars in {facts.wall_s:,.1f} s, "
                  f"{facts.summary['bars_per_s'] or 0:,.0f} bars/s)")
            if facts.job_errors:
                print(f"{config.label}: {facts.job_errors} job error(s), see {log_path}")
    except ReplayInputError as exc:
        return _bad_input(exc)
    finally:
        _unlog(handler)
    html_path, json_path = write_report(results, args.out, command)
    print(f"report: {html_path}")
    print(f"figures: {json_path}")
    return 0


def _progress(total: int, label: str) -> Progress:
    return Progress(total, label)


def _bad_input(exc: ReplayInputError) -> int:
    print(f"replay: {exc}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _log_to(path: Path, level: str) -> logging.Handler:
    """The bot's log lines go to a file (stderr is the progress line's); WARNING unless
    ``--set QT_LOG_LEVEL=...`` asks for more."""
    handler = logging.FileHandler(path, mode="w", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    handler.previous_level = root.level  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    return handler


def _unlog(handler: logging.Handler) -> None:
    root = logging.getLogger()
    root.removeHandler(handler)
    root.setLevel(getattr(handler, "previous_level", logging.WARNING))
    handler.close()
