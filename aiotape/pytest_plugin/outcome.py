"""How each test went, noted once for the plugin's fixtures (teardown) and its summary.

Most runs need only the failures, and pytest reports those through a hook it calls for
nothing else: ``pytest_exception_interact`` (a setup, body or teardown that raised, unless
the exception was a skip or an expected xfail). A passing test then costs no hook call.
Every outcome is noted from the reports (``pytest_runtest_logreport``, three hook calls a
test) only when the run needs it: ``--cassette-usage`` (whether each test passed),
``--verify-cassettes`` (whether it was skipped), or a test marked ``xfail`` (a strict one
whose body passes fails without an exception). The first cassette or ``http_mock`` test
starts the noting, so a run without one pays nothing a test.
"""

from __future__ import annotations

import pytest

from .verify import verifying

__all__ = ["pytest_configure_outcome"]  # and call_failed, not_passed, outcomes_of, track_outcomes

_OUTCOMES: pytest.StashKey[Outcomes] = pytest.StashKey()


class Outcomes:
    """The node ids of the tests whose setup or body did not pass (failed or skipped), and of
    those whose body failed, noted as they are reported. Until every outcome is noted (see
    :func:`track_outcomes`), the ones noted are the failures that raised.
    """

    def __init__(self) -> None:
        self.not_passed: set[str] = set()
        self.call_failed: set[str] = set()
        self.failures: _Failures | None = None
        self.reports: _Reports | None = None

    def note(self, report: pytest.TestReport) -> None:
        """Note ``report``, of a setup, body or teardown that did not pass."""
        when = report.when
        if when != "teardown":
            self.not_passed.add(report.nodeid)
            if when == "call" and report.failed:
                self.call_failed.add(report.nodeid)


class _Failures:
    """Notes the setups and bodies that failed by raising (pytest asks no other test)."""

    def __init__(self, outcomes: Outcomes) -> None:
        self._outcomes = outcomes

    def pytest_exception_interact(self, report: pytest.CollectReport | pytest.TestReport) -> None:
        """Note a failed test report (collection errors are not a test's)."""
        if isinstance(report, pytest.TestReport) and report.failed:
            self._outcomes.note(report)


class _Reports:
    """Notes every setup and body that did not pass, from its report."""

    def __init__(self, outcomes: Outcomes) -> None:
        self._outcomes = outcomes

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Note a report that did not pass."""
        if report.outcome != "passed":
            self._outcomes.note(report)


@pytest.hookimpl(specname="pytest_configure")
def pytest_configure_outcome(config: pytest.Config) -> None:
    """Make this run's (empty) outcomes; :func:`track_outcomes` starts noting them."""
    config.stash[_OUTCOMES] = Outcomes()


def outcomes_of(config: pytest.Config) -> Outcomes:
    """The run's outcomes (empty ones, never noted, if the plugin did not configure the run)."""
    outcomes = config.stash.get(_OUTCOMES, None)
    return Outcomes() if outcomes is None else outcomes


def track_outcomes(config: pytest.Config, *, xfail: bool = False) -> None:
    """Note outcomes from now on: called before the first test that reads them (a cassette
    or ``http_mock`` test) is set up, and again for such a test marked xfail (``xfail``).
    Failures are noted from the first call; every outcome from the first that needs them.
    """
    outcomes = config.stash.get(_OUTCOMES, None)
    if outcomes is None:
        return
    manager = config.pluginmanager
    if outcomes.failures is None:
        outcomes.failures = _Failures(outcomes)
        manager.register(outcomes.failures, "aiotape-outcomes")
        xfail = xfail or _every_outcome_read(config)
    if xfail and outcomes.reports is None:
        outcomes.reports = _Reports(outcomes)
        manager.register(outcomes.reports, "aiotape-outcome-reports")


def _every_outcome_read(config: pytest.Config) -> bool:
    """Whether the run reads skips as well as failures: the usage file, verify mode."""
    return config.getoption("cassette_usage", default=None) is not None or verifying(config)


def call_failed(item: pytest.Item) -> bool:
    """Whether ``item``'s body failed (its teardown checks then report nothing more)."""
    outcomes = item.config.stash.get(_OUTCOMES, None)
    return outcomes is not None and item.nodeid in outcomes.call_failed


def not_passed(item: pytest.Item) -> bool:
    """Whether ``item``'s setup or body did not pass (failed or skipped)."""
    outcomes = item.config.stash.get(_OUTCOMES, None)
    return outcomes is not None and item.nodeid in outcomes.not_passed
