"""The replay's fingerprint: sha256 over the venue ledger's stable fields.

Every field of every ledger entry except ``wallTime`` (the real time it was
written), in ledger order, as canonical JSON (sorted keys, no spaces), one line
per entry. Two replays of the same data, settings and seed must print the same hash.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any, Protocol

STABLE_FIELDS = ("id", "time", "action", "actor", "book", "symbol", "orderId", "algoId",
                 "clientId", "side", "type", "quantity", "price", "status", "details")


class _Entry(Protocol):
    def to_json(self) -> dict[str, Any]: ...


def ledger_hash(entries: Iterable[_Entry]) -> str:
    digest = hashlib.sha256()
    for entry in entries:
        raw = entry.to_json()
        stable = {name: raw.get(name) for name in STABLE_FIELDS}
        digest.update(json.dumps(stable, sort_keys=True, separators=(",", ":"),
                                 default=str).encode())
        digest.update(b"\n")
    return digest.hexdigest()
