"""The one error a replay raises for bad input: the CLI prints it and exits 2.

Where the problem is in a file, the message names the file and the line
(``BTCUSDT-1m-2026-02.csv line 17: open_time is not after the previous row's``);
where it is a setting, the ``QT_*`` name; where it is the folder, the file expected.
"""

from __future__ import annotations


class ReplayInputError(ValueError):
    """Data, dates or settings a replay cannot run on; nothing was replayed."""
