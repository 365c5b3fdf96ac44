"""Every component id of the dashboard, in one place.

Ids are kebab-case and namespaced by card (``header-``, ``kpi-``, ...), so two
cards can never collide and tests and browser checks refer to the same names.
Pattern-matching ids are dicts whose ``type`` comes from here too.
"""

from __future__ import annotations

import json

# live updates
POLL_INTERVAL = "live-poll-interval"
CONTROL_VERSION = "live-control-version"
LIVE_HEARTBEAT = "live-heartbeat"  # a new value on every poll that reached the page
LIVE_WATCHDOG = "live-watchdog-interval"  # browser-only tick of the connection watchdog
CONNECTION_STATUS = "connection-status"  # "updated 3 s ago" or the DISCONNECTED banner

# header
HEADER_MODE = "header-mode-badge"
HEADER_STATUS = "header-status-badge"
HEADER_REGIME = "header-regime-badge"
HEADER_KILL = "header-kill-badge"
HEADER_MONITOR_AGE = "header-monitor-age"
HEADER_CLOCK = "header-bot-clock"
HEADER_FLAGS = "header-flags-badge"  # unacknowledged red flags
HEADER_STREAM = "header-stream-badge"  # the user-data stream: UP / DOWN / OFF
HEADER_BUDGET = "header-budget"  # the exchange's request weight used this minute

# KPI cards
KPI_ROW = "kpi-row"
KPI_VALUE = "kpi-value"  # pattern type: {"type": KPI_VALUE, "kpi": tile key}

# positions
POSITIONS_TABLE = "positions-table"
POSITIONS_CARDS = "positions-cards"  # one card per position, shown on narrow screens
POSITIONS_EMPTY = "positions-empty"
POSITIONS_SIGNATURE = "positions-signature"

# charts
CHART_SYMBOL = "chart-symbol-select"
CHART_PRICE = "chart-price-graph"
CHART_TICK = "chart-refresh-interval"
CHART_EQUITY = "chart-equity-graph"
CHART_REGIME = "chart-regime-graph"
CHART_REGIME_INPUTS = "chart-regime-inputs"
CHART_HISTORY_SIGNATURE = "chart-history-signature"

# red flags
FLAGS_LIST = "flags-list"
FLAGS_SIGNATURE = "flags-signature"
FLAGS_ACK_RESULT = "flags-ack-result"
# pattern type: {"type": FLAG_ACK_BUTTON, "flag": id}: acknowledges the incident whose first
# flag has that id
FLAG_ACK_BUTTON = "flags-ack-button"
FLAGS_ACK_ALL = "flags-ack-all-button"
FLAGS_COUNT = "flags-unacknowledged"  # the unacknowledged count, for the tab title
FLAGS_BADGE = "flags-count-badge"
FLAGS_TITLE = "flags-title-sink"  # output of the browser-side title update

# safety rules
RULES_CARD = "rules-card"
RULE_SWITCH = "rules-switch"  # pattern type: {"type": RULE_SWITCH, "rule": name}
RULE_PARAM = "rules-param"  # pattern type: {"type": RULE_PARAM, "rule": name, "param": p}
RULE_SAVE = "rules-save"  # pattern type: {"type": RULE_SAVE, "rule": name}
RULE_MESSAGE = "rules-message"  # pattern type: {"type": RULE_MESSAGE, "rule": name}
# switching a rule off: a confirmation that asks why
RULES_MODAL = "rules-confirm-modal"
RULES_MODAL_BODY = "rules-confirm-body"
RULES_REASON = "rules-confirm-reason"
RULES_CONFIRM = "rules-confirm-button"
RULES_CANCEL = "rules-cancel-button"
RULES_PENDING = "rules-pending"  # the rule waiting for the confirmation
RULES_MODAL_ERROR = "rules-confirm-error"

# kill switch
KILL_HALT = "kill-halt-button"
KILL_FLATTEN = "kill-flatten-button"
KILL_RESUME = "kill-resume-button"
KILL_MODAL = "kill-confirm-modal"
KILL_MODAL_BODY = "kill-confirm-body"
KILL_REASON = "kill-confirm-reason"
KILL_CONFIRM = "kill-confirm-button"
KILL_CANCEL = "kill-cancel-button"
KILL_PENDING = "kill-pending-action"
KILL_RESULT = "kill-result"
KILL_STATE = "kill-state-text"
KILL_FLATTEN_LIST = "kill-flatten-positions"

# activity log
ACTIVITY_LIST = "activity-list"
ACTIVITY_CURSOR = "activity-cursor"
ACTIVITY_LEVEL = "activity-level"
ACTIVITY_SYMBOL = "activity-symbol"
ACTIVITY_KIND = "activity-kind"
ACTIVITY_SEARCH = "activity-search"

# notifications
NOTIFY_CARD = "notify-card"
NOTIFY_CHANNELS = "notify-channels"
NOTIFY_SUMMARY = "notify-summary"
NOTIFY_HISTORY = "notify-history"
NOTIFY_SIGNATURE = "notify-signature"
NOTIFY_TEST = "notify-test-button"
NOTIFY_TEST_RESULT = "notify-test-result"
NOTIFY_LEVEL = "notify-level"  # pattern type: {"type": NOTIFY_LEVEL, "category": name}
NOTIFY_LEVEL_MSG = "notify-level-message"  # pattern type: same keys as NOTIFY_LEVEL


# pages (tabs); the books' cards refresh on their own slow interval, only while shown
PAGE_ACTIVE = "page-active"  # the tab shown: live, trades, performance, signals, audit
PAGE_TAB = "page-tab"  # pattern type: {"type": PAGE_TAB, "tab": tab} (a tab button)
PAGE_PANEL = "page-panel"  # pattern type: {"type": PAGE_PANEL, "tab": tab}
BOOKS_INTERVAL = "books-refresh-interval"

# closed trades
CLOSED_TRADES = "closed-trades"
TRADES_TABLE = "closed-trades-table"
TRADES_SUMMARY = "closed-trades-summary"
TRADES_PAGER = "closed-trades-pager"
TRADES_SYMBOL = "closed-trades-symbol"
TRADES_REASON = "closed-trades-reason"
TRADES_SIDE = "closed-trades-side"
TRADES_EXPORT = "closed-trades-export"
TRADES_DOWNLOAD = "closed-trades-download"


# performance
PERFORMANCE = "performance"
PERF_VALUE = "performance-value"  # pattern type: {"type": PERF_VALUE, "tile": tile key}
PERF_BY_SYMBOL = "performance-by-symbol"
PERF_BY_REASON = "performance-by-reason"
PERF_DAILY = "performance-daily-graph"
PERF_EQUITY = "performance-equity-graph"
PERF_RANGE = "performance-equity-range"
PERF_SIGNATURE = "performance-signature"


# signals and their decisions
SIGNALS = "signals"
SIGNALS_TABLE = "signals-table"
SIGNALS_SUMMARY = "signals-summary"
SIGNALS_PAGER = "signals-pager"
SIGNALS_VERDICT = "signals-verdict"
SIGNALS_SYMBOL = "signals-symbol"
SIGNALS_RULE = "signals-rule"


# audit trail
AUDIT = "audit"
AUDIT_TABLE = "audit-table"


def dom_id(component_id: str | dict) -> str:
    """The DOM ``id`` Dash gives a component: pattern ids become JSON with sorted keys.

    Needed where plain HTML refers to a component by id (``<label for=...>``); the
    format is dash-renderer's ``stringifyId``.
    """
    if isinstance(component_id, str):
        return component_id
    parts = (
        f"{json.dumps(k, ensure_ascii=False)}:{json.dumps(v, ensure_ascii=False)}"
        for k, v in sorted(component_id.items())
    )
    return "{" + ",".join(parts) + "}"
