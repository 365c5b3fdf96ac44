"""Every control has a name of its own (the browser check with axe is in tests/browser)."""

from __future__ import annotations

from dash import html

from dashboard import ids, rules
from dashboard.ids import dom_id
from tests.fixtures.dashboard import default_rules


def _text(node) -> str:
    if isinstance(node, str):
        return node
    if isinstance(node, list | tuple):
        return "".join(_text(n) for n in node)
    return _text(getattr(node, "children", "") or "")


def _components(rule_list):
    return list(rules.layout(rule_list)._traverse())


def test_a11y_save_buttons_when_several_rules_then_each_names_its_rule():
    saves = [c for c in _components(default_rules())
             if isinstance(getattr(c, "id", None), dict) and c.id["type"] == ids.RULE_SAVE]
    names = [_text(b.children) for b in saves]
    assert len(names) == 3 and len(set(names)) == 3
    assert "Save uptrend short block" in names


def test_a11y_rule_inputs_when_rendered_then_each_has_a_label_pointing_at_it():
    comps = _components(default_rules())
    inputs = [c for c in comps
              if isinstance(getattr(c, "id", None), dict) and c.id["type"] == ids.RULE_PARAM]
    label_targets = {getattr(c, "html_for", None) for c in comps}
    assert inputs and all(dom_id(i.id) in label_targets for i in inputs)


def test_a11y_rule_switches_when_rendered_then_labelled_with_rule_title():
    switches = [c for c in _components(default_rules())
                if isinstance(getattr(c, "id", None), dict) and c.id["type"] == ids.RULE_SWITCH]
    labels = [_text(s.label) for s in switches]
    assert "Uptrend short block enabled" in labels[1] and all(labels)


def test_a11y_dom_id_when_pattern_id_then_matches_dash_renderer_stringify():
    pattern = {"type": ids.RULE_PARAM, "rule": "r", "param": "limit"}
    assert dom_id(pattern) == '{"param":"limit","rule":"r","type":"rules-param"}'
    assert dom_id("plain-id") == "plain-id"
    assert isinstance(html.Label("x", htmlFor=dom_id(pattern)), html.Label)
