"""MockRouter as a Transport: requests in, wire responses out (no session involved)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
from yarl import URL

import aiotape.mocking.router
from aiotape.client.exceptions import ClientConnectorError, ConnectionKey, SocketTimeoutError
from aiotape.client.timeouts import ClientTimeout
from aiotape.client.transport import Request, Response, current_override
from aiotape.mocking import Call, MockResponse, MockRouter, NoMatchingRoute, Route
from aiotape.mocking.routes import first_in_turn

API = "http://api.test"


async def read_all(response: Response) -> list[bytes]:
    chunks = []
    while chunk := await response.body.read_chunk():
        chunks.append(chunk)
    return chunks


async def body_of(response: Response) -> bytes:
    return b"".join(await read_all(response))


def timed(url: str, *, total: float | None = None, sock_read: float | None = None) -> Request:
    now = asyncio.get_running_loop().time()
    return Request.build(
        "GET",
        url,
        timeout=ClientTimeout(total=total, sock_read=sock_read),
        started=now,
        deadline=None if total is None else now + total,
    )


# -- responses ------------------------------------------------------------------------------------
async def test_json_route_answers_with_json_body_and_headers() -> None:
    router = MockRouter()
    router.get(f"{API}/items", json=[1, 2], headers={"X-Test": "1"})
    response = await router.handle(Request.build("GET", f"{API}/items"))
    assert response.status == 200
    assert response.reason == "OK"
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["X-Test"] == "1"
    assert response.headers["Content-Length"] == str(len(b"[1, 2]"))
    assert json.loads(await body_of(response)) == [1, 2]


async def test_text_route_sets_utf8_charset() -> None:
    router = MockRouter()
    router.get(f"{API}/t", text="Тест", content_type="text/html")
    response = await router.handle(Request.build("GET", f"{API}/t"))
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert await body_of(response) == "Тест".encode()


async def test_body_route_sends_bytes_as_octet_stream() -> None:
    router = MockRouter()
    router.get(f"{API}/b", body=b"\x00\x01", status=418, reason="Teapot")
    response = await router.handle(Request.build("GET", f"{API}/b"))
    assert (response.status, response.reason) == (418, "Teapot")
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert await body_of(response) == b"\x00\x01"


async def test_chunks_are_delivered_with_their_boundaries() -> None:
    router = MockRouter()
    router.get(f"{API}/stream", chunks=[b"ab", "cd", b"e"])
    response = await router.handle(Request.build("GET", f"{API}/stream"))
    assert response.headers["Transfer-Encoding"] == "chunked"
    assert "Content-Length" not in response.headers
    assert await read_all(response) == [b"ab", b"cd", b"e"]


async def test_head_request_gets_headers_without_body() -> None:
    router = MockRouter()
    router.head(f"{API}/h", body=b"12345")
    response = await router.handle(Request.build("HEAD", f"{API}/h"))
    assert response.headers["Content-Length"] == "5"
    assert await body_of(response) == b""


async def test_each_answer_has_its_own_body_stream() -> None:
    router = MockRouter()
    router.get(f"{API}/x", body=b"data")
    first = await router.handle(Request.build("GET", f"{API}/x"))
    second = await router.handle(Request.build("GET", f"{API}/x"))
    assert await body_of(first) == b"data"
    assert await body_of(second) == b"data"


def test_more_than_one_body_keyword_is_rejected() -> None:
    with pytest.raises(TypeError, match="at most one"):
        MockRouter().get(f"{API}/x", json={}, text="")


def test_relative_route_url_is_rejected() -> None:
    with pytest.raises(ValueError, match="absolute"):
        MockRouter().get("/items")


# -- matching -------------------------------------------------------------------------------------
async def test_query_parameter_order_does_not_matter() -> None:
    router = MockRouter()
    route = router.get(f"{API}/q?a=1&b=2", status=204)
    response = await router.handle(Request.build("GET", f"{API}/q?b=2&a=1"))
    assert response.status == 204
    assert route.call_count == 1


async def test_params_keyword_is_part_of_the_expected_query() -> None:
    router = MockRouter()
    router.get(f"{API}/q", params={"page": 2}, status=204)
    response = await router.handle(Request.build("GET", f"{API}/q?page=2"))
    assert response.status == 204
    with pytest.raises(NoMatchingRoute):
        await router.handle(Request.build("GET", f"{API}/q"))


async def test_url_without_query_does_not_match_request_with_query() -> None:
    router = MockRouter(assert_all_called=False)
    router.get(f"{API}/q")
    with pytest.raises(NoMatchingRoute):
        await router.handle(Request.build("GET", f"{API}/q?x=1"))


async def test_default_port_and_host_case_are_canonical() -> None:
    router = MockRouter()
    router.get(URL("HTTP://API.test:80/items"), status=204)
    response = await router.handle(Request.build("GET", "http://api.test/items"))
    assert response.status == 204


async def test_regex_route_matches_the_full_url_string() -> None:
    router = MockRouter()
    route = router.post(re.compile(r".*/items/\d+$"), status=201)
    response = await router.handle(Request.build("POST", f"{API}/items/42"))
    assert response.status == 201
    assert route.calls[0].url == URL(f"{API}/items/42")


async def test_method_must_match() -> None:
    router = MockRouter(assert_all_called=False)
    router.get(f"{API}/items")
    with pytest.raises(NoMatchingRoute):
        await router.handle(Request.build("POST", f"{API}/items"))


async def test_match_headers_requires_each_header_value() -> None:
    router = MockRouter()
    router.get(f"{API}/h", match_headers={"Authorization": "Bearer t"}, status=200)
    router.get(f"{API}/h", status=401)
    ok = await router.handle(Request.build("GET", f"{API}/h", {"authorization": "Bearer t"}))
    denied = await router.handle(Request.build("GET", f"{API}/h", {"Authorization": "Bearer x"}))
    assert (ok.status, denied.status) == (200, 401)


async def test_match_json_compares_decoded_body() -> None:
    router = MockRouter()
    router.post(f"{API}/j", match_json={"a": [1, 2]}, status=201)
    router.post(f"{API}/j", status=400)
    good = await router.handle(Request.build("POST", f"{API}/j", body=b'{"a":[1,2]}'))
    bad = await router.handle(Request.build("POST", f"{API}/j", body=b"not json"))
    assert (good.status, bad.status) == (201, 400)


async def test_match_data_compares_form_fields_in_any_order() -> None:
    router = MockRouter()
    router.post(f"{API}/f", match_data={"a": "1", "b": "x y"}, status=201)
    response = await router.handle(Request.build("POST", f"{API}/f", body=b"b=x+y&a=1"))
    assert response.status == 201


async def test_match_data_compares_raw_bytes() -> None:
    router = MockRouter(assert_all_called=False)
    router.put(f"{API}/raw", match_data=b"\x00\x01", status=204)
    with pytest.raises(NoMatchingRoute):
        await router.handle(Request.build("PUT", f"{API}/raw", body=b"\x00\x02"))


async def test_earliest_registered_route_wins_across_exact_and_regex() -> None:
    router = MockRouter(assert_all_called=False)
    router.get(re.compile(r".*/items"), status=201)
    router.get(f"{API}/items", status=202)
    response = await router.handle(Request.build("GET", f"{API}/items"))
    assert response.status == 201


async def test_used_up_route_falls_through_to_the_next_one() -> None:
    router = MockRouter()
    router.get(f"{API}/flaky", status=503, repeat=2)
    router.get(f"{API}/flaky", status=200)
    statuses = [(await router.handle(Request.build("GET", f"{API}/flaky"))).status for _ in "abc"]
    assert statuses == [503, 503, 200]


async def test_used_up_route_no_longer_matches() -> None:
    router = MockRouter()
    router.delete(f"{API}/once", repeat=1)
    await router.handle(Request.build("DELETE", f"{API}/once"))
    with pytest.raises(NoMatchingRoute, match="used up"):
        await router.handle(Request.build("DELETE", f"{API}/once"))


def test_repeat_must_be_positive() -> None:
    with pytest.raises(ValueError, match="repeat"):
        MockRouter().get(f"{API}/x", repeat=0)


async def test_lookup_checks_one_route_among_a_thousand(monkeypatch: pytest.MonkeyPatch) -> None:
    router = MockRouter()
    for i in range(1000):
        router.get(f"{API}/items/{i}", json=i)
    checked: list[Route] = []

    def counting(routes: Sequence[Route], *args: Any) -> Route | None:
        checked.extend(routes)
        return first_in_turn(routes, *args)

    monkeypatch.setattr(aiotape.mocking.router, "first_in_turn", counting)
    response = await router.handle(Request.build("GET", f"{API}/items/777"))
    assert json.loads(await body_of(response)) == 777
    assert checked == [router.routes[777]]


# -- unmatched requests ---------------------------------------------------------------------------
async def test_unmatched_request_names_request_and_routes_closest_first() -> None:
    router = MockRouter(assert_all_called=False)
    router.post(f"{API}/other", status=201)
    router.get(f"{API}/items/1")
    router.get("http://elsewhere.test/zzz")
    with pytest.raises(NoMatchingRoute) as info:
        await router.handle(Request.build("GET", f"{API}/items/2", body=b"payload"))
    message = str(info.value)
    assert message.startswith(f"No mock route matches GET {API}/items/2")
    assert "payload" in message
    lines = message.splitlines()
    assert lines.index(f"  GET {API}/items/1 [called 0 time(s)]") < lines.index(
        f"  POST {API}/other [called 0 time(s)]"
    )


async def test_unmatched_request_is_a_client_connection_error_and_is_remembered() -> None:
    from aiotape.client.exceptions import ClientConnectionError

    router = MockRouter()
    with pytest.raises(ClientConnectionError):
        await router.handle(Request.build("GET", f"{API}/nothing"))
    assert "No routes are registered." in str(router.unmatched[0])
    assert router.calls[0].route is None


async def test_unmatched_error_lists_at_most_ten_routes() -> None:
    router = MockRouter(assert_all_called=False)
    for i in range(15):
        router.get(f"{API}/r/{i}")
    with pytest.raises(NoMatchingRoute, match=r"\.\.\. and 5 more"):
        await router.handle(Request.build("GET", f"{API}/nothing"))


# -- delay, exceptions, callbacks -----------------------------------------------------------------
async def test_delay_below_total_timeout_answers_at_once() -> None:
    router = MockRouter()
    router.get(f"{API}/slow", delay=0.5, status=204)
    response = await router.handle(timed(f"{API}/slow", total=1))
    assert response.status == 204


async def test_delay_above_total_timeout_raises_plain_timeout_error() -> None:
    router = MockRouter()
    router.get(f"{API}/slow", delay=300)
    with pytest.raises(asyncio.TimeoutError) as info:
        await router.handle(timed(f"{API}/slow", total=1))
    assert type(info.value) is asyncio.TimeoutError


async def test_delay_above_sock_read_raises_socket_timeout_error() -> None:
    router = MockRouter()
    router.get(f"{API}/slow", delay=2)
    with pytest.raises(SocketTimeoutError, match="Timeout on reading data from socket"):
        await router.handle(timed(f"{API}/slow", total=10, sock_read=1))


async def test_delay_above_both_raises_for_the_tighter_timeout() -> None:
    router = MockRouter()
    router.get(f"{API}/slow", delay=300)
    with pytest.raises(asyncio.TimeoutError) as info:
        await router.handle(timed(f"{API}/slow", total=1, sock_read=2))
    assert type(info.value) is asyncio.TimeoutError


async def test_delay_without_timeouts_answers_at_once() -> None:
    router = MockRouter()
    router.get(f"{API}/slow", delay=10_000, status=204)
    response = await router.handle(timed(f"{API}/slow"))
    assert response.status == 204


async def test_exception_instance_is_raised_and_call_recorded() -> None:
    router = MockRouter()
    error = ClientConnectorError(
        ConnectionKey("api.test", 80, False, True), ConnectionRefusedError(111, "refused")
    )
    route = router.get(f"{API}/down", exception=error)
    with pytest.raises(ClientConnectorError) as info:
        await router.handle(Request.build("GET", f"{API}/down"))
    assert info.value is error
    assert route.called


async def test_exception_class_is_raised() -> None:
    router = MockRouter()
    router.get(f"{API}/down", exception=ConnectionResetError)
    with pytest.raises(ConnectionResetError):
        await router.handle(Request.build("GET", f"{API}/down"))


async def test_sync_callback_answers_from_the_request() -> None:
    router = MockRouter()

    def echo(call: Call) -> MockResponse:
        return MockResponse(201, json={"got": call.json(), "q": call.params["q"]})

    router.post(f"{API}/echo", callback=echo, params={"q": "1"})
    response = await router.handle(Request.build("POST", f"{API}/echo?q=1", body=b"[3]"))
    assert response.status == 201
    assert json.loads(await body_of(response)) == {"got": [3], "q": "1"}


async def test_async_callback_may_return_keywords_as_dict() -> None:
    router = MockRouter()

    async def answer(call: Call) -> dict[str, Any]:
        return {"status": 202, "text": call.method}

    router.put(f"{API}/cb", callback=answer)
    response = await router.handle(Request.build("PUT", f"{API}/cb"))
    assert response.status == 202
    assert await body_of(response) == b"PUT"


async def test_callback_returning_none_uses_the_route_response() -> None:
    router = MockRouter()
    seen: list[Call] = []
    router.get(f"{API}/cb", callback=seen.append, status=203)
    response = await router.handle(Request.build("GET", f"{API}/cb"))
    assert response.status == 203
    assert [str(call) for call in seen] == [f"GET {API}/cb"]


async def test_callback_returning_other_type_is_a_type_error() -> None:
    router = MockRouter()
    router.get(f"{API}/cb", callback=lambda call: 42)
    with pytest.raises(TypeError, match="MockResponse"):
        await router.handle(Request.build("GET", f"{API}/cb"))


# -- call records ---------------------------------------------------------------------------------
async def test_streamed_request_body_is_consumed_and_recorded() -> None:
    async def upload() -> AsyncIterator[bytes]:
        yield b'{"a"'
        yield b": 1}"

    router = MockRouter()
    route = router.post(f"{API}/up", match_json={"a": 1})
    await router.handle(Request.build("POST", f"{API}/up", body=upload()))
    assert route.calls[0].body == b'{"a": 1}'
    assert route.calls[0].json() == {"a": 1}


async def test_calls_record_method_url_headers_and_body() -> None:
    router = MockRouter()
    route = router.post(f"{API}/c")
    await router.handle(Request.build("POST", f"{API}/c", {"X-Id": "7"}, body=b"caf\xc3\xa9"))
    call = route.calls[0]
    assert (call.method, call.url, call.headers["x-id"]) == ("POST", URL(f"{API}/c"), "7")
    assert call.text() == "café"
    assert router.calls == [call]
    assert call.route is route


async def test_get_requests_filters_by_method_and_url() -> None:
    router = MockRouter()
    router.get(re.compile(".*"))
    router.post(re.compile(".*"))
    for method, path in [("GET", "/a"), ("POST", "/a"), ("GET", "/b")]:
        await router.handle(Request.build(method, API + path))
    assert [str(c) for c in router.get_requests(url=f"{API}/a")] == [
        f"GET {API}/a",
        f"POST {API}/a",
    ]
    assert [str(c) for c in router.get_requests(method="get")] == [f"GET {API}/a", f"GET {API}/b"]
    assert router.get_request("POST") is router.calls[1]
    assert router.get_request("PUT") is None


async def test_get_request_refuses_ambiguity() -> None:
    router = MockRouter()
    router.get(f"{API}/a")
    for _ in range(2):
        await router.handle(Request.build("GET", f"{API}/a"))
    with pytest.raises(AssertionError, match="at most one"):
        router.get_request(url=f"{API}/a")


async def test_assert_called_once_with_checks_json_headers_and_params() -> None:
    router = MockRouter()
    route = router.post(re.compile(r".*/items"))
    await router.handle(
        Request.build("POST", f"{API}/items?v=2", {"X-Key": "k"}, body=b'{"name": "a"}')
    )
    route.assert_called_once_with(json={"name": "a"}, headers={"X-Key": "k"}, params={"v": 2})
    with pytest.raises(AssertionError, match="does not match"):
        route.assert_called_once_with(json={"name": "b"})
    with pytest.raises(AssertionError, match="does not match"):
        route.assert_called_with(params={"v": 3})


async def test_assert_called_once_fails_after_two_calls() -> None:
    router = MockRouter()
    route = router.get(f"{API}/a")
    for _ in range(2):
        await router.handle(Request.build("GET", f"{API}/a"))
    route.assert_called()
    with pytest.raises(AssertionError, match="2 time"):
        route.assert_called_once()
    with pytest.raises(AssertionError, match="2 time"):
        route.assert_not_called()


def test_assert_called_with_fails_when_never_called() -> None:
    route = MockRouter().get(f"{API}/a")
    with pytest.raises(AssertionError, match="was not called"):
        route.assert_called_with(json=None)


# -- verification and activation ------------------------------------------------------------------
def test_unused_routes_are_problems_unless_disabled() -> None:
    router = MockRouter()
    router.get(f"{API}/never")
    assert "never called" in router.problems()[0]
    assert router.problems(check_unused=False) == []
    router.assert_all_called = False
    assert router.problems() == []


async def test_reset_forgets_routes_and_calls() -> None:
    router = MockRouter()
    router.get(f"{API}/a")
    await router.handle(Request.build("GET", f"{API}/a"))
    with pytest.raises(NoMatchingRoute):
        await router.handle(Request.build("GET", f"{API}/b"))
    router.reset()
    assert (router.routes, router.calls, router.problems()) == ([], [], [])


def test_context_manager_activates_the_router_for_every_session() -> None:
    assert current_override() is None
    with MockRouter(assert_all_called=False) as router:
        override = current_override()
        assert override is not None
        assert override(router) is router
    assert current_override() is None


def test_context_manager_exit_fails_on_unused_routes() -> None:
    with pytest.raises(AssertionError, match="never called"), MockRouter() as router:
        router.get(f"{API}/never")
    assert current_override() is None


def test_context_manager_exit_keeps_the_original_error() -> None:
    with pytest.raises(KeyError), MockRouter() as router:
        router.get(f"{API}/never")
        raise KeyError("boom")


def test_router_cannot_be_activated_twice() -> None:
    router = MockRouter(assert_all_called=False)
    with router, pytest.raises(RuntimeError, match="already active"), router:
        pass
