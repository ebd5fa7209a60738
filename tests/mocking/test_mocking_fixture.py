"""The http_mock fixture's verdicts, checked by running inner test files with pytester."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

INI = """
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
"""


@pytest.fixture
def inner(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini(INI)
    return pytester


def test_unmatched_request_fails_the_test_at_teardown_even_if_swallowed(
    inner: pytest.Pytester,
) -> None:
    inner.makepyfile(
        """
        import aiotape

        async def test_swallows(http_mock):
            http_mock.get("http://api.test/items", json=[])
            async with aiotape.ClientSession() as session:
                await (await session.get("http://api.test/items")).read()
                try:
                    await session.get("http://api.test/missing")
                except aiotape.ClientConnectionError:
                    pass
        """
    )
    result = inner.runpytest_inprocess()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*No mock route matches GET http://api.test/missing",
            "*Registered routes, closest first:",
            "*GET http://api.test/items [[]called 1 time(s)[]]",
        ]
    )


def test_unused_route_fails_the_test_at_teardown(inner: pytest.Pytester) -> None:
    inner.makepyfile(
        """
        def test_registers_only(http_mock):
            http_mock.post("http://api.test/never", status=201)
        """
    )
    result = inner.runpytest_inprocess()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        ["*1 mock route(s) were never called*", "*POST http://api.test/never*"]
    )


def test_marker_option_allows_unused_routes(inner: pytest.Pytester) -> None:
    inner.makepyfile(
        """
        import pytest

        @pytest.mark.http_mock(assert_all_called=False)
        def test_registers_only(http_mock):
            http_mock.get("http://api.test/optional")
        """
    )
    result = inner.runpytest_inprocess("--strict-markers")
    result.assert_outcomes(passed=1)


def test_unused_routes_are_not_reported_when_the_test_failed(inner: pytest.Pytester) -> None:
    inner.makepyfile(
        """
        def test_fails_early(http_mock):
            http_mock.get("http://api.test/never")
            assert False, "the real failure"
        """
    )
    result = inner.runpytest_inprocess()
    result.assert_outcomes(failed=1)
    assert "never called" not in result.stdout.str()


def test_unknown_marker_option_is_rejected(inner: pytest.Pytester) -> None:
    inner.makepyfile(
        """
        import pytest

        @pytest.mark.http_mock(assert_all_used=False)
        def test_typo(http_mock):
            pass
        """
    )
    result = inner.runpytest_inprocess()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*takes only keyword options*assert_all_used*"])


def test_mocking_ends_with_the_test(inner: pytest.Pytester) -> None:
    inner.makepyfile(
        """
        from aiotape.client.transport import current_override

        def test_mocked(http_mock):
            assert current_override() is not None

        def test_after():
            assert current_override() is None
        """
    )
    inner.runpytest_inprocess().assert_outcomes(passed=2)


def test_websocket_handler_error_fails_the_test_at_teardown(inner: pytest.Pytester) -> None:
    inner.makepyfile(
        """
        import aiotape

        async def broken(ws):
            raise RuntimeError("handler bug")

        async def test_client_ignores_it(http_mock):
            http_mock.ws("ws://api.test/chat", broken)
            async with aiotape.ClientSession() as session:
                async with session.ws_connect("ws://api.test/chat") as ws:
                    msg = await ws.receive()
            assert msg.data == aiotape.WSCloseCode.INTERNAL_ERROR
        """
    )
    result = inner.runpytest_inprocess()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*websocket handler of*raised*", "*RuntimeError: handler bug"])
