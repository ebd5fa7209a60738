"""How each test went, noted once for the plugin's fixtures (teardown) and its summary."""

from __future__ import annotations

from collections.abc import Generator

import pytest

__all__ = ["pytest_runtest_makereport_outcome"]

CALL_FAILED = pytest.StashKey[bool]()
"""Set on an item whose test body failed (teardown checks then report nothing more)."""

NOT_PASSED = pytest.StashKey[bool]()
"""Set on an item whose setup or body did not pass (failed or skipped)."""


@pytest.hookimpl(specname="pytest_runtest_makereport", wrapper=True)
def pytest_runtest_makereport_outcome(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Stash CALL_FAILED / NOT_PASSED on the item from its setup and call reports."""
    report = yield
    if report.when in ("setup", "call") and not report.passed:
        item.stash[NOT_PASSED] = True
        if report.when == "call" and report.failed:
            item.stash[CALL_FAILED] = True
    return report
