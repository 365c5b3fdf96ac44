"""Turning decisions into positions (executor) and positions into nothing (flatten)."""

from bot.execution.executor import Executor, OpenResult, OpenStatus
from bot.execution.flatten import FlattenReport, flatten

__all__ = ["Executor", "FlattenReport", "OpenResult", "OpenStatus", "flatten"]
