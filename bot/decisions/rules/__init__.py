"""Trade-opportunity filter rules: one small module per rule, ordered by the rule book."""

from bot.decisions.rules.base import ParamSpec, Rule, RuleContext, Verdict
from bot.decisions.rules.rulebook import RuleBook, RuleDefaults, RuleState, default_rules

__all__ = ["ParamSpec", "Rule", "RuleBook", "RuleContext", "RuleDefaults", "RuleState",
           "Verdict", "default_rules"]
