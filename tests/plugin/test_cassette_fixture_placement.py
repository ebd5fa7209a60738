"""Which tests get a cassette, and where it is entered among their fixtures.

A collection hook picks ``vcr``-marked tests (marked on the function, class, module, by
parametrization or by a conftest hook) and, with ``--block-network``, the tests it guards.
Their cassette is entered where an autouse fixture would run: after session-scoped
fixtures, before the test's own function-scoped ones.
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


_ORDER_TESTS = """
import asyncio

@pytest.fixture(scope="session")
def warmed():
    async def warm():
        async with aiotape.ClientSession() as session:
            async with session.get(URL + "/session") as resp:
                return await resp.text()
    return asyncio.run(warm())

@pytest.fixture
async def prepared(warmed):
    async with aiotape.ClientSession() as session:
        async with session.get(URL + "/function") as resp:
            return await resp.text()

@pytest.fixture
async def used():
    async with aiotape.ClientSession() as session:
        async with session.get(URL + "/usefixtures") as resp:
            await resp.read()

@pytest.mark.vcr
@pytest.mark.usefixtures("used")
async def test_order(prepared, vcr):
    assert prepared == "hello /function" and vcr is not None
    async with aiotape.ClientSession() as session:
        async with session.get(URL + "/test") as resp:
            assert await resp.text() == "hello /test"
"""


def test_function_fixtures_record_and_session_fixtures_do_not(
    pytester: pytest.Pytester, live_server: LiveServer
) -> None:
    inner_tests(pytester, f"URL = {live_server.url!r}\n" + _ORDER_TESTS)
    run(pytester, "--record-mode=once").assert_outcomes(passed=1)
    assert live_server.hits == ["/session", "/usefixtures", "/function", "/test"]
    assert recorded_paths(pytester, "test_order", live_server.url) == [
        "/usefixtures",
        "/function",
        "/test",
    ]


_MARKED_TESTS = """
URL = {url!r}
pytestmark = pytest.mark.vcr

async def test_module_mark():
    await fetch("/module", url=URL)

@pytest.mark.vcr
class TestMarked:
    async def test_in_class(self):
        await fetch("/class", url=URL)

@pytest.mark.usefixtures("aiotape_cassette")
async def test_usefixtures():
    await fetch("/usefixtures", url=URL)

async def test_requests_vcr(vcr):
    await fetch("/vcr", url=URL)
    assert vcr.play_count == 1
"""

_CONFTEST_MARKS = """
import pytest

def pytest_collection_modifyitems(items):
    for item in items:
        if "conftest" in item.name:
            item.add_marker(pytest.mark.vcr)
"""

_UNMARKED_TESTS = """
URL = {url!r}

async def test_by_conftest():
    await fetch("/conftest", url=URL)

@pytest.mark.parametrize("path", [pytest.param("/param", marks=pytest.mark.vcr), "/live"])
async def test_param(path, request):
    if path == "/live":
        async with aiotape.ClientSession() as session:
            async with session.get(URL + path) as resp:
                assert await resp.text() == "hello /live"
    else:
        await fetch(path, url=URL)

def test_plain(request):  # beside pytest-recording, its autouse `vcr` (ours) requests it
    beside = request.config.pluginmanager.has_plugin("recording")
    assert ("aiotape_cassette" in request.fixturenames) == beside
"""


@pytest.mark.parametrize("extra", [(), ("-p", "recording")], ids=["alone", "beside-recording"])
def test_marked_tests_replay_however_they_are_marked(
    pytester: pytest.Pytester, live_server: LiveServer, extra: tuple[str, ...]
) -> None:
    pytester.makeini(INI)
    pytester.makeconftest(_CONFTEST_MARKS)
    pytester.makepyfile(
        test_inner=FETCH + _MARKED_TESTS.format(url=live_server.url),
        test_unmarked=FETCH + _UNMARKED_TESTS.format(url=live_server.url),
    )
    for name, path in [
        ("test_module_mark", "/module"),
        ("TestMarked.test_in_class", "/class"),
        ("test_usefixtures", "/usefixtures"),
        ("test_requests_vcr", "/vcr"),
    ]:
        write_cassette(pytester, name, path, url=live_server.url)
    tapes = pytester.path / "cassettes" / "test_unmarked"
    tapes.mkdir(parents=True)
    for name, path in [("test_by_conftest", "/conftest"), ("test_param[-param]", "/param")]:
        write_cassette(pytester, name, path, url=live_server.url).rename(tapes / f"{name}.yaml")
    args = ("-p", "no:cacheprovider") if extra else ("-p", "no:recording", "-p", "no:cacheprovider")
    pytester.runpytest_inprocess(*args).assert_outcomes(passed=8)
    assert live_server.hits == ["/live"]


def test_block_network_marker_guards_only_its_test(
    pytester: pytest.Pytester, live_server: LiveServer
) -> None:
    inner_tests(
        pytester,
        f"""
URL = {live_server.url!r}

@pytest.mark.block_network
async def test_blocked():
    await fetch("/blocked", url=URL)

async def test_free():
    async with aiotape.ClientSession() as session:
        async with session.get(URL + "/free") as resp:
            assert await resp.text() == "hello /free"
""",
    )
    result = run(pytester)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["FAILED test_inner.py::test_blocked - *NetworkB*"])
    assert live_server.hits == ["/free"]


def test_block_network_guards_doctests_too(
    pytester: pytest.Pytester, live_server: LiveServer
) -> None:
    host, port = live_server.url.removeprefix("http://").split(":")
    pytester.makeini(INI)
    pytester.makepyfile(
        helper=f'''
def connect():
    """
    >>> import socket
    >>> with socket.socket() as sock:
    ...     try:
    ...         sock.connect(({host!r}, {port}))
    ...     except Exception as error:
    ...         print(type(error).__name__)
    NetworkBlockedError
    """
'''
    )
    result = run(pytester, "--doctest-modules", "--block-network")
    result.assert_outcomes(passed=1)
    assert live_server.hits == []
