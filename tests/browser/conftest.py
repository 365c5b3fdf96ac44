"""The paper venue for the end-to-end browser tests (test_app_e2e.py)."""

from __future__ import annotations

from tests.fixtures.paper import paper_clients_closed, paper_exchange  # noqa: F401
