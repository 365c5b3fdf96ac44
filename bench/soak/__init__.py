"""The soak: the whole bot against the paper exchange under injected faults, watched by an
observer that reads only the venue (its ledger and its books), never the bot's memory.

``python -m bench.soak --entries N --fault-rate R --json OUT`` runs it; modules:
``coverage`` (the observer's own protection rule), ``ledger_audit`` (exact replay of the
venue's ledger), ``observer`` (live sampling), ``faults`` (the schedule), ``driver`` (what
makes the entries), ``harness`` (assembly), ``report`` (targets, table, JSON), ``runner``
(the bot alone in a subprocess, for the crash tests).
"""
