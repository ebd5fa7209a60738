"""A run without cassette or ``http_mock`` tests registers none of the plugin's per-test hooks;
the first such test registers them before its setup is reported (its failure is then known
at teardown: an unused route is not reported as a second error)."""

from __future__ import annotations

import pytest

from tests.plugin.inner import INI

pytest_plugins = ["pytester"]


def test_plain_tests_leave_the_per_test_hooks_unregistered(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(
        """
        def test_plain(request):
            manager = request.config.pluginmanager
            assert not manager.has_plugin("aiotape-outcomes")
            assert not manager.has_plugin("aiotape-cassette-entry")
        """
    )
    pytester.runpytest("-p", "no:recording").assert_outcomes(passed=1)


def test_a_failing_http_mock_test_still_gets_one_failure(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(
        """
        def test_plain():
            pass

        def test_mocked(http_mock, request):
            http_mock.get("http://api.test/never")
            assert request.config.pluginmanager.has_plugin("aiotape-outcomes")
            assert False, "the body fails"
        """
    )
    result = pytester.runpytest("-p", "no:recording")
    result.assert_outcomes(passed=1, failed=1)  # no teardown error for the unused route
    result.stdout.fnmatch_lines(["*the body fails*"])
