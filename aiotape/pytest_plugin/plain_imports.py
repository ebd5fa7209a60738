"""aiotape's own modules load as plain bytecode under pytest, not through its assertion rewriter.

pytest marks every module of a ``pytest11`` plugin's distribution for assertion rewriting, so
the whole client, imported by a test, would load through its import hook (a cached rewritten
file read object by object): ~190M instructions, ~50 ms, per run for aiotape's modules. Nothing
in aiotape has an assertion a test reads, so the plugin takes its package off pytest's list
(pytest offers no public call for that: with another pytest, nothing changes).
"""

from __future__ import annotations

import pytest

__all__ = ["pytest_addhooks_plain_imports"]

_PACKAGE = __name__.partition(".")[0]


@pytest.hookimpl(specname="pytest_addhooks")
def pytest_addhooks_plain_imports(pluginmanager: pytest.PytestPluginManager) -> None:
    """Unmark aiotape for assertion rewriting (the plugin's own modules are loaded already)."""
    hook = getattr(pluginmanager, "rewrite_hook", None)
    marked = getattr(hook, "_must_rewrite", None)
    remembered = getattr(hook, "_marked_for_rewrite_cache", None)
    if isinstance(marked, set) and isinstance(remembered, dict):
        marked.discard(_PACKAGE)
        remembered.clear()
