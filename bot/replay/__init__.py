"""Replay: the real bot on a virtual clock against the paper venue replaying Binance klines.

Deterministic (same data, settings and seed give the same venue ledger and ledger
hash), as fast as the machine allows, with a report of what the safety rules did
and cost. See docs/REPLAY.md.

- ``session``: ``ReplaySession`` builds the bot with ``bot.runtime.assembly.build`` on a
  ``PaperExchange`` with a ``ManualClock`` and a ``WindowedReplayMarket``, and steps it
  bar by bar, running each job when its interval has elapsed in virtual time
  (``schedule``); ``transport`` hands the bot's HTTP requests to the venue in-process.
- ``data`` and ``config``: the files and the ``QT_*`` settings a replay accepts, checked
  before it starts (``ReplayInputError`` names the file and line, or the setting).
- ``facts``, ``ledger_facts``, ``counterfactual``: what the report shows, from the bot's
  database and the venue's ledger; ``figures`` and ``report`` draw and write it.
- ``faults``: seeded faults around the entries (``--faults``), reproducible like the rest.
- ``cli``: ``python -m bot.replay``; ``synthetic``: kline files for tests and benchmarks;
  ``bench``: ``python -m bot.replay.bench``, speed and memory on synthetic data.
"""

from bot.replay.errors import ReplayInputError
from bot.replay.ledger_hash import ledger_hash
from bot.replay.session import ReplayConfig, ReplaySession

__all__ = ["ReplayConfig", "ReplayInputError", "ReplaySession", "ledger_hash"]
