"""Habits from aioresponses and pytest-httpx that keep working with aiotape's mocks."""

from __future__ import annotations

import re
from typing import Any

import pytest
from yarl import URL

import aiotape
from aiotape.mocking import CallbackResult, MockResponse, MockRouter, NoMatchingRoute

API = "http://api.test"


async def statuses(url: str, count: int, method: str = "GET") -> list[int]:
    async with aiotape.ClientSession() as session:
        found = []
        for _ in range(count):
            async with session.request(method, url) as resp:
                found.append(resp.status)
        return found


# -- the same route registered more than once ----------------------------------------------------
async def test_repeated_registrations_answer_in_order_and_the_last_repeats(
    http_mock: MockRouter,
) -> None:
    for status in (201, 202, 203):
        http_mock.get(f"{API}/job", status=status)
    assert await statuses(f"{API}/job", 5) == [201, 202, 203, 203, 203]


async def test_order_holds_across_exact_and_regex_registrations(http_mock: MockRouter) -> None:
    http_mock.get(re.compile(r".*/job$"), status=201)
    http_mock.get(f"{API}/job", status=202)
    http_mock.get(re.compile(r"http://api\.test/.*"), status=203)
    assert await statuses(f"{API}/job", 4) == [201, 202, 203, 203]


async def test_repeat_true_answers_forever_before_later_registrations(
    http_mock: MockRouter,
) -> None:
    http_mock.get(f"{API}/job", status=200, repeat=True)
    later = http_mock.get(f"{API}/job", status=500)
    assert await statuses(f"{API}/job", 4) == [200, 200, 200, 200]
    later.assert_not_called()
    http_mock.reset()


async def test_repeat_n_answers_n_times_then_the_next_registration(http_mock: MockRouter) -> None:
    http_mock.get(f"{API}/job", status=503, repeat=2)
    http_mock.get(f"{API}/job", status=200)
    assert await statuses(f"{API}/job", 4) == [503, 503, 200, 200]


async def test_repeat_false_answers_once_as_in_aioresponses() -> None:
    router = MockRouter()
    router.get(f"{API}/once", repeat=False)
    async with aiotape.ClientSession(transport=router) as session:
        assert (await session.get(f"{API}/once")).status == 200
        with pytest.raises(NoMatchingRoute, match="used up"):
            await session.get(f"{API}/once")
    router.unmatched.clear()


async def test_a_used_up_last_route_hands_back_to_the_earlier_reusable_one(
    http_mock: MockRouter,
) -> None:
    http_mock.get(f"{API}/job", status=201)
    http_mock.get(f"{API}/job", status=202, repeat=1)
    assert await statuses(f"{API}/job", 3) == [201, 202, 201]


# -- add(url, method=...) ------------------------------------------------------------------------
async def test_add_takes_aioresponses_url_first_with_method_keyword(http_mock: MockRouter) -> None:
    route = http_mock.add(f"{API}/p", method="PATCH", status=204)
    assert await statuses(f"{API}/p", 1, "PATCH") == [204]
    route.assert_called_once()


async def test_add_with_url_alone_mocks_get(http_mock: MockRouter) -> None:
    http_mock.add(URL(f"{API}/g"), json={"ok": 1})
    assert await statuses(f"{API}/g", 1) == [200]


def test_add_refuses_a_method_given_twice() -> None:
    with pytest.raises(TypeError, match="method once"):
        MockRouter().add("GET", f"{API}/x", method="POST")


# -- aioresponses-style callbacks ----------------------------------------------------------------
async def test_url_kwargs_callback_gets_the_yarl_url_and_request_keywords(
    http_mock: MockRouter,
) -> None:
    seen: list[tuple[Any, dict[str, Any]]] = []

    def callback(url: URL, **kwargs: Any) -> CallbackResult:
        seen.append((url, kwargs))
        return CallbackResult(status=201, payload={"got": kwargs["json"]})

    http_mock.post(f"{API}/items?q=1", callback=callback)
    async with (
        aiotape.ClientSession() as session,
        session.post(
            f"{API}/items", params={"q": "1"}, json={"n": 2}, headers={"X-Test": "yes"}
        ) as resp,
    ):
        assert resp.status == 201
        assert resp.content_type == "application/json"
        assert await resp.json() == {"got": {"n": 2}}
    [(url, kwargs)] = seen
    assert url == URL(f"{API}/items?q=1")
    assert kwargs["params"] == {"q": "1"}
    assert kwargs["headers"]["X-Test"] == "yes"
    assert kwargs["data"] is None


async def test_async_url_kwargs_callback_sees_form_fields_as_data(http_mock: MockRouter) -> None:
    async def callback(url: URL, **kwargs: Any) -> CallbackResult:
        return CallbackResult(
            body=f"{url.path} {kwargs['data']['name']}", content_type="text/plain"
        )

    http_mock.post(f"{API}/form", callback=callback)
    async with (
        aiotape.ClientSession() as session,
        session.post(f"{API}/form", data={"name": "Ada"}) as resp,
    ):
        assert await resp.text() == "/form Ada"


async def test_url_kwargs_callback_returning_none_uses_the_route_answer(
    http_mock: MockRouter,
) -> None:
    raw: list[Any] = []
    http_mock.put(f"{API}/raw", status=202, callback=lambda url, **kw: raw.append(kw["data"]))
    assert await statuses(f"{API}/raw", 1, "PUT") == [202]
    assert raw == [None]


async def test_call_callback_still_gets_the_call(http_mock: MockRouter) -> None:
    http_mock.get(f"{API}/c", callback=lambda call: MockResponse(200, text=call.method))
    async with aiotape.ClientSession() as session, session.get(f"{API}/c") as resp:
        assert await resp.text() == "GET"


# -- unmatched requests --------------------------------------------------------------------------
async def test_unmatched_message_says_when_only_the_query_differs() -> None:
    router = MockRouter(assert_all_called=False)
    router.get(f"{API}/items?page=1")
    router.get(re.compile(r"http://api\.test/other$"))
    router.get(f"{API}/elsewhere?page=2")
    async with aiotape.ClientSession(transport=router) as session:
        with pytest.raises(NoMatchingRoute) as items:
            await session.get(f"{API}/items", params={"page": "2"})
        with pytest.raises(NoMatchingRoute) as other:
            await session.get(f"{API}/other?x=1")
    message = str(items.value)
    assert f"only the query differs from route GET {API}/items?page=1" in message
    assert "(request query: 'page=2')" in message
    assert "elsewhere" not in message.split("Registered routes")[0]
    assert "only the query differs from route GET re.compile(" in str(other.value)


async def test_unmatched_message_is_silent_about_query_when_the_path_differs() -> None:
    router = MockRouter(assert_all_called=False)
    router.get(f"{API}/items?page=1")
    async with aiotape.ClientSession(transport=router) as session:
        with pytest.raises(NoMatchingRoute) as caught:
            await session.get(f"{API}/item?page=1")
    assert "only the query differs" not in str(caught.value)
