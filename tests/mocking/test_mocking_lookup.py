"""MockRouter lookups stay right when routes change between requests to the same URL object."""

from __future__ import annotations

import json

import pytest
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from aiotape.client.transport import Request, Response
from aiotape.mocking import Call, MockRouter, NoMatchingRoute

URL_ONE = URL("http://api.test/one")


def request(method: str = "GET", url: URL = URL_ONE) -> Request:
    """A request whose URL object is reused, as a session's URL cache hands it out."""
    return Request(method, url, CIMultiDictProxy(CIMultiDict({"Host": "api.test"})))


async def answer(response: Response) -> object:
    body = b""
    while chunk := await response.body.read_chunk():
        body += chunk
    return json.loads(body)


async def test_route_added_after_an_unmatched_request_answers_the_same_url() -> None:
    router = MockRouter()
    with pytest.raises(NoMatchingRoute):
        await router.handle(request())
    router.get(str(URL_ONE), json="late")
    assert await answer(await router.handle(request())) == "late"


async def test_route_added_for_an_answered_url_takes_its_turn_next() -> None:
    router = MockRouter()
    router.get(str(URL_ONE), json=1)
    assert await answer(await router.handle(request())) == 1
    router.get(str(URL_ONE), json=2)
    assert await answer(await router.handle(request())) == 2
    assert await answer(await router.handle(request())) == 2


async def test_same_url_object_with_another_method_is_looked_up_apart() -> None:
    router = MockRouter()
    router.get(str(URL_ONE), json="get")
    assert await answer(await router.handle(request())) == "get"
    with pytest.raises(NoMatchingRoute):
        await router.handle(request("POST"))


async def test_reset_forgets_remembered_lookups() -> None:
    router = MockRouter()
    router.get(str(URL_ONE), json="before")
    await router.handle(request())
    router.reset()
    with pytest.raises(NoMatchingRoute):
        await router.handle(request())


async def test_a_recorded_call_equals_one_built_by_its_constructor() -> None:
    router = MockRouter()
    route = router.get(str(URL_ONE), json=1)
    sent = request()
    await router.handle(sent)
    call = route.calls[0]
    built = Call("GET", URL_ONE, sent.headers, b"", sent, route)
    assert call == built
    assert repr(call) == repr(built)
    assert (call.request, call.route) == (sent, route)
