"""How each test went, noted once for the plugin's fixtures (teardown) and its summary.

A plain ``pytest_runtest_logreport`` on a per-run object notes the node ids of the tests that
did not pass (a hook wrapper around ``pytest_runtest_makereport`` costs every test of a suite
three generator round trips through pluggy). The object is registered by the first cassette or
``http_mock`` test, so a run without one pays nothing a test.
"""

from __future__ import annotations

import pytest

__all__ = ["pytest_configure_outcome"]  # and call_failed, not_passed, outcomes_of, track_outcomes

_OUTCOMES: pytest.StashKey[Outcomes] = pytest.StashKey()


class Outcomes:
    """The node ids of the tests whose setup or body did not pass (failed or skipped), and of
    those whose body failed, noted from their reports as they are logged.
    """

    def __init__(self) -> None:
        self.not_passed: set[str] = set()
        self.call_failed: set[str] = set()
        self.tracking = False

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Note a setup or call report that did not pass."""
        if report.outcome != "passed":
            when = report.when
            if when != "teardown":
                self.not_passed.add(report.nodeid)
                if when == "call" and report.failed:
                    self.call_failed.add(report.nodeid)


@pytest.hookimpl(specname="pytest_configure")
def pytest_configure_outcome(config: pytest.Config) -> None:
    """Make this run's (empty) outcomes; :func:`track_outcomes` starts noting them."""
    config.stash[_OUTCOMES] = Outcomes()


def outcomes_of(config: pytest.Config) -> Outcomes:
    """The run's outcomes (empty ones, never noted, if the plugin did not configure the run)."""
    outcomes = config.stash.get(_OUTCOMES, None)
    return Outcomes() if outcomes is None else outcomes


def track_outcomes(config: pytest.Config) -> None:
    """Note outcomes from now on: called before the first test that reads them (a cassette
    or ``http_mock`` test) is set up, so that a run without one pays no hook call a report."""
    outcomes = config.stash.get(_OUTCOMES, None)
    if outcomes is not None and not outcomes.tracking:
        outcomes.tracking = True
        config.pluginmanager.register(outcomes, "aiotape-outcomes")


def call_failed(item: pytest.Item) -> bool:
    """Whether ``item``'s body failed (its teardown checks then report nothing more)."""
    outcomes = item.config.stash.get(_OUTCOMES, None)
    return outcomes is not None and item.nodeid in outcomes.call_failed


def not_passed(item: pytest.Item) -> bool:
    """Whether ``item``'s setup or body did not pass (failed or skipped)."""
    outcomes = item.config.stash.get(_OUTCOMES, None)
    return outcomes is not None and item.nodeid in outcomes.not_passed
