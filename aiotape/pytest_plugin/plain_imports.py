"""aiotape's own modules load as plain bytecode under pytest, not through its assertion rewriter.

pytest marks every module of a ``pytest11`` plugin's distribution for assertion rewriting, so
the whole client, imported by a test, would load through its import hook (a cached rewritten
file read object by object): ~190M instructions, ~50 ms, per run for aiotape's modules. Nothing
in aiotape has an assertion a test reads, so the plugin takes its package off pytest's list
(pytest offers no public call for that: with another pytest, nothing changes). It does so when
this module is imported, first of the plugin's, so the plugin's other modules load plain too,
and again when the plugin is registered, in case it was imported before pytest marked it.
"""

from __future__ import annotations

import sys

import pytest

__all__ = ["pytest_addhooks_plain_imports"]

_PACKAGE = __name__.partition(".")[0]


def _unmark(hook: object) -> None:
    """Take aiotape off the list of pytest's rewriting import hook ``hook`` (if it is one)."""
    marked = getattr(hook, "_must_rewrite", None)
    remembered = getattr(hook, "_marked_for_rewrite_cache", None)
    if isinstance(marked, set) and isinstance(remembered, dict) and _PACKAGE in marked:
        marked.discard(_PACKAGE)
        remembered.clear()


for _finder in sys.meta_path:
    _unmark(_finder)


@pytest.hookimpl(specname="pytest_addhooks")
def pytest_addhooks_plain_imports(pluginmanager: pytest.PytestPluginManager) -> None:
    """Unmark aiotape for assertion rewriting (if it was imported before pytest marked it)."""
    _unmark(getattr(pluginmanager, "rewrite_hook", None))
