"""Every component id of the dashboard, in one place.

Ids are kebab-case and namespaced by card (``header-``, ``kpi-``, ...), so two
cards can never collide and tests and browser checks refer to the same names.
Pattern-matching ids are dicts whose ``type`` comes from here too.
"""

from __future__ import annotations

# live updates
POLL_INTERVAL = "live-poll-interval"
CONTROL_VERSION = "live-control-version"

# header
HEADER_MODE = "header-mode-badge"
HEADER_STATUS = "header-status-badge"
HEADER_REGIME = "header-regime-badge"
HEADER_KILL = "header-kill-badge"
HEADER_MONITOR_AGE = "header-monitor-age"

# KPI cards
KPI_ROW = "kpi-row"
KPI_VALUE = "kpi-value"  # pattern type: {"type": KPI_VALUE, "kpi": tile key}

# positions
POSITIONS_TABLE = "positions-table"
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
FLAG_ACK_BUTTON = "flags-ack-button"  # pattern type: {"type": FLAG_ACK_BUTTON, "flag": id}

# safety rules
RULES_CARD = "rules-card"
RULE_SWITCH = "rules-switch"  # pattern type: {"type": RULE_SWITCH, "rule": name}
RULE_PARAM = "rules-param"  # pattern type: {"type": RULE_PARAM, "rule": name, "param": p}
RULE_SAVE = "rules-save"  # pattern type: {"type": RULE_SAVE, "rule": name}
RULE_MESSAGE = "rules-message"  # pattern type: {"type": RULE_MESSAGE, "rule": name}

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

# activity log
ACTIVITY_LIST = "activity-list"
ACTIVITY_CURSOR = "activity-cursor"
