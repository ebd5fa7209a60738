"""The plugin entry (loaded by every pytest run) imports only what every run uses: checked in a
fresh interpreter (structural checks, never timings)."""

from __future__ import annotations

from tests.fresh_python import run_json

_LOADED_BY_THE_ENTRY = """
    import json, sys
    import pytest
    before = set(sys.modules)
    import aiotape.pytest_plugin
    print(json.dumps({{"loaded": [name for name in {names!r}
                                  if name in sys.modules and name not in before]}}))
"""


def _loaded_by_the_entry(*names: str) -> list[str]:
    loaded: list[str] = run_json(_LOADED_BY_THE_ENTRY.format(names=names))["loaded"]
    return loaded


def test_the_entry_leaves_hashlib_to_long_names_and_the_usage_file() -> None:
    assert _loaded_by_the_entry("hashlib", "_hashlib") == []


def test_the_entry_leaves_the_verify_run_to_verify_runs() -> None:
    assert _loaded_by_the_entry("aiotape.pytest_plugin.verify_run") == []


def test_the_entry_leaves_what_only_a_run_beside_pytest_recording_uses() -> None:
    assert _loaded_by_the_entry("aiotape.pytest_plugin.vcr_beside") == []
