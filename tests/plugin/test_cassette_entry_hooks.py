"""A served test's cassette is entered by hooks, not a fixture: what that must not change.

It is entered just before the test's first function-scoped fixture (or after its setup when
it has none) and left after their teardown; a test whose setup failed earlier leaves nothing
pending for the next one; the ``vcr`` fixture answers with the entered cassette; and a test
run again (as rerun plugins do) gets a fresh cassette.
"""

from __future__ import annotations

import pytest

from tests.plugin.inner import inner_tests, run, write_cassette

pytest_plugins = ["pytester"]


def test_a_setup_failing_before_function_fixtures_leaves_nothing_pending(
    pytester: pytest.Pytester,
) -> None:
    inner_tests(
        pytester,
        """
@pytest.fixture(scope="module")
def broken():
    raise RuntimeError("module fixture failed")

@pytest.fixture
def data():
    return 1

@pytest.mark.vcr
async def test_first(broken, data):
    await fetch("/first")

@pytest.mark.vcr
async def test_second(data, vcr):
    await fetch("/second")
    assert vcr.play_count == 1 and vcr.file.endswith("test_second.yaml")
""",
    )
    write_cassette(pytester, "test_first", "/first")
    write_cassette(pytester, "test_second", "/second")
    result = run(pytester)
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*RuntimeError: module fixture failed*"])


def test_the_vcr_fixture_is_the_cassette_entered_before_other_function_fixtures(
    pytester: pytest.Pytester,
) -> None:
    inner_tests(
        pytester,
        """
seen = []

@pytest.fixture
async def early():
    await fetch("/early")

@pytest.fixture
def late(vcr):
    seen.append(vcr)

@pytest.mark.vcr
async def test_shared(early, late, vcr):
    assert seen == [vcr] and vcr.play_count == 1
""",
    )
    write_cassette(pytester, "test_shared", "/early")
    run(pytester).assert_outcomes(passed=1)


def test_a_test_run_again_gets_a_fresh_cassette(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
from _pytest.runner import runtestprotocol

def pytest_runtest_protocol(item, nextitem):
    item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    for _ in range(2):  # as pytest-rerunfailures does: the same item, twice
        runtestprotocol(item, nextitem=nextitem, log=True)
    item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    return True
"""
    )
    inner_tests(
        pytester,
        """
cassettes = []

@pytest.fixture
def marked(request):  # marked at run time: its cassette comes from the vcr fixture
    request.applymarker(pytest.mark.vcr)

async def test_twice(marked, vcr):
    await fetch("/twice")
    cassettes.append(vcr)
    assert vcr.play_count == 1 and len(set(map(id, cassettes))) == len(cassettes)
""",
    )
    write_cassette(pytester, "test_twice", "/twice")
    run(pytester).assert_outcomes(passed=2)
