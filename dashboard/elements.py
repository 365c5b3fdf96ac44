"""Table cells as Dash's wire JSON, for the tables the dashboard redraws often.

Building each cell as a component object (with its prop validation) costs more than
the rest of a callback once a table has thousands of cells; the renderer only ever
sees this JSON anyway (``positions`` explains the measurement).
"""

from __future__ import annotations


def el(kind: str, children: object, **props: object) -> dict:
    """An html element (``Tr``, ``Td``, ``Span``...) in Dash's wire format."""
    props["children"] = children
    return {"type": kind, "namespace": "dash_html_components", "props": props}


def tone_class(base: str, tone: str) -> str:
    """``base`` plus a Bootstrap text colour when there is one (``success``, ``danger``)."""
    return f"{base} text-{tone}" if tone else base


def sign_tone(value: object) -> str:
    """Green for a gain, red for a loss, nothing for zero or unknown."""
    try:
        return "success" if value > 0 else ("danger" if value < 0 else "")  # type: ignore[operator]
    except TypeError:
        return ""
