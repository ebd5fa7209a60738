"""What the plugin's teardown checks and usage file make of each test outcome.

A test whose body failed gets no second error for its unmatched requests or unused routes (a
strict xfail whose body passed failed too); an xfailed or xpassed body still gets them (as an
xfailed teardown, pytest's verdict on a failure of an xfail test); and
``--cassette-usage`` marks the cassette of a test that did not pass (failed, skipped,
xfailed, or whose setup failed) incomplete.
"""

from __future__ import annotations

import json

import pytest

from tests.plugin.inner import INI, inner_tests, run, write_cassette

pytest_plugins = ["pytester"]

_SWALLOW = """
async def swallow_unmatched():
    try:
        await fetch("/unmatched")
    except Exception:
        pass
"""


def _cassette_test(pytester: pytest.Pytester, tests: str) -> None:
    inner_tests(pytester, _SWALLOW + tests)
    for outcome in ("it", "passes", "fails", "skips", "xfails", "xpasses"):
        write_cassette(pytester, f"test_{outcome}", "/a")


def test_a_failing_body_gets_no_second_error_for_its_unmatched_requests(
    pytester: pytest.Pytester,
) -> None:
    _cassette_test(
        pytester,
        """
@pytest.mark.vcr
async def test_it():
    await swallow_unmatched()
    assert False, "the body fails"
""",
    )
    result = run(pytester)
    result.assert_outcomes(failed=1)
    assert "did not match the cassette" not in result.stdout.str()


@pytest.mark.parametrize(
    ("marker", "ini"), [("xfail(strict=True)", ""), ("xfail", "xfail_strict = true\n")]
)
def test_a_strict_xfail_whose_body_passes_fails_once(
    pytester: pytest.Pytester, marker: str, ini: str
) -> None:
    _cassette_test(
        pytester,
        f"""
@pytest.mark.{marker}
@pytest.mark.vcr
async def test_it():
    await fetch("/a")
    await swallow_unmatched()
""",
    )
    pytester.makeini(INI + ini)
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*XPASS(strict)*"])
    assert "did not match the cassette" not in result.stdout.str()


def test_an_xfailed_body_still_reports_its_unmatched_requests(pytester: pytest.Pytester) -> None:
    _cassette_test(
        pytester,
        """
@pytest.mark.xfail(strict=True)
@pytest.mark.vcr
async def test_it():
    await swallow_unmatched()
    assert False, "expected"
""",
    )
    run(pytester).assert_outcomes(xfailed=2)  # the body, and the teardown check


def test_a_setup_failure_after_the_cassette_is_entered_still_reports_unmatched_requests(
    pytester: pytest.Pytester,
) -> None:
    _cassette_test(
        pytester,
        """
@pytest.fixture
async def broken():
    await swallow_unmatched()
    raise RuntimeError("the fixture fails")

@pytest.mark.vcr
async def test_it(broken):
    pass
""",
    )
    result = run(pytester)
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        ["*RuntimeError: the fixture fails*", "*did not match the cassette*"]
    )


def test_the_usage_file_marks_the_cassettes_of_tests_that_did_not_pass_incomplete(
    pytester: pytest.Pytester,
) -> None:
    _cassette_test(
        pytester,
        """
@pytest.mark.vcr
async def test_passes():
    await fetch("/a")

@pytest.mark.vcr
async def test_fails():
    await fetch("/a")
    assert False

@pytest.mark.vcr
async def test_skips():
    await fetch("/a")
    pytest.skip("not today")

@pytest.mark.xfail
@pytest.mark.vcr
async def test_xfails():
    await fetch("/a")
    assert False

@pytest.mark.vcr
async def test_xpasses(request):
    request.applymarker(pytest.mark.xfail)
    await fetch("/a")
""",
    )
    result = run(pytester, "--cassette-usage=usage.json")
    result.assert_outcomes(passed=1, failed=1, skipped=1, xfailed=1, xpassed=1)
    document = json.loads((pytester.path / "usage.json").read_text())
    complete = {path.rsplit("/", 1)[-1]: e["complete"] for path, e in document["cassettes"].items()}
    assert complete == {
        "test_passes.yaml": True,
        "test_fails.yaml": False,
        "test_skips.yaml": False,
        "test_xfails.yaml": False,
        "test_xpasses.yaml": True,
    }


@pytest.mark.parametrize(
    ("marker", "outcomes"),
    [("xfail(strict=True)", {"failed": 1}), ("xfail", {"xpassed": 1, "xfailed": 1})],
)
def test_an_http_mock_test_marked_xfail_gets_its_unused_route_reported_unless_it_failed(
    pytester: pytest.Pytester, marker: str, outcomes: dict[str, int]
) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(
        f"""
        import pytest

        @pytest.mark.{marker}
        def test_mocked(http_mock):
            http_mock.get("http://api.test/never")
        """
    )
    run(pytester).assert_outcomes(**outcomes)  # the teardown check of an xfail test: xfailed


@pytest.mark.parametrize(
    ("args", "reports"), [((), False), (("--cassette-usage=usage.json",), True)]
)
def test_only_a_run_reading_every_outcome_hooks_every_report(
    pytester: pytest.Pytester, args: tuple[str, ...], reports: bool
) -> None:
    _cassette_test(
        pytester,
        f"""
@pytest.mark.vcr
async def test_it(request):
    await fetch("/a")
    manager = request.config.pluginmanager
    assert manager.has_plugin("aiotape-outcomes")
    assert manager.has_plugin("aiotape-outcome-reports") is {reports}
""",
    )
    run(pytester, *args).assert_outcomes(passed=1)
