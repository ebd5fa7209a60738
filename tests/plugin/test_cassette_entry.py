"""When a served test's cassette is entered and left, around its own function fixtures.

The cassette is entered where an autouse fixture would run: function fixtures' setup and
teardown requests are recorded, higher-scoped fixtures' are not; a test without fixtures
still gets its cassette; ``--setup-plan`` opens no cassette; a test marked at run time that
asks for ``vcr`` gets its cassette.
"""

from __future__ import annotations

import pytest

from tests.plugin.inner import (
    FETCH,
    INI,
    LiveServer,
    inner_tests,
    recorded_paths,
    run,
    write_cassette,
)

pytest_plugins = ["pytester"]


_TEARDOWN_TESTS = """
import asyncio

@pytest.fixture(scope="module")
def module_data():
    async def get():
        async with aiotape.ClientSession() as session:
            async with session.get(URL + "/module") as resp:
                return await resp.text()
    return asyncio.run(get())

@pytest.fixture
def around(module_data):
    async def get(path):
        async with aiotape.ClientSession() as session:
            async with session.get(URL + path) as resp:
                return await resp.text()
    yield asyncio.run(get("/setup"))
    asyncio.run(get("/teardown"))

@pytest.mark.vcr
def test_sync(around):
    assert around == "hello /setup"
"""


def test_function_fixture_teardown_is_recorded_module_fixture_is_not(
    pytester: pytest.Pytester, live_server: LiveServer
) -> None:
    inner_tests(pytester, f"URL = {live_server.url!r}\n" + _TEARDOWN_TESTS)
    run(pytester, "--record-mode=once").assert_outcomes(passed=1)
    assert live_server.hits == ["/module", "/setup", "/teardown"]
    assert recorded_paths(pytester, "test_sync", live_server.url) == ["/setup", "/teardown"]


def test_sync_test_without_fixtures_replays(pytester: pytest.Pytester) -> None:
    inner_tests(
        pytester,
        """
import asyncio

@pytest.mark.vcr
def test_bare():
    asyncio.run(fetch("/bare"))
""",
    )
    write_cassette(pytester, "test_bare", "/bare")
    run(pytester).assert_outcomes(passed=1)


def test_unmatched_request_in_a_test_without_fixtures_errors_at_teardown(
    pytester: pytest.Pytester,
) -> None:
    inner_tests(
        pytester,
        """
import asyncio

@pytest.mark.vcr
def test_swallowed():
    try:
        asyncio.run(fetch("/other"))
    except Exception:
        pass
""",
    )
    write_cassette(pytester, "test_bare", "/bare")
    write_cassette(pytester, "test_swallowed", "/known")
    result = run(pytester)
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*1 request did not match the cassette*"])


def test_setup_plan_opens_no_cassette(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(
        test_inner=FETCH
        + """
@pytest.fixture
def data():
    return 1

@pytest.mark.vcr
async def test_planned(data):
    await fetch("/planned")
"""
    )
    broken = pytester.path / "cassettes" / "test_inner" / "test_planned.yaml"
    broken.parent.mkdir(parents=True)
    broken.write_text("interactions: [{request: 1}]\n")
    result = run(pytester, "--setup-plan")
    assert result.ret == 0
    run(pytester).assert_outcomes(errors=1)  # the same cassette, really opened


def test_vcr_fixture_of_a_test_marked_at_run_time_is_its_cassette(
    pytester: pytest.Pytester,
) -> None:
    inner_tests(
        pytester,
        """
@pytest.fixture
def marked(request):
    request.applymarker(pytest.mark.vcr)

async def test_late(marked, vcr):
    await fetch("/late")
    assert vcr is not None and vcr.play_count == 1
""",
    )
    write_cassette(pytester, "test_late", "/late")
    run(pytester).assert_outcomes(passed=1)
