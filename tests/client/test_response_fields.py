"""What a ClientResponse takes from its wire response and RequestInfo, and a session that is
closed or detached after plain calls refusing the same calls again."""

from __future__ import annotations

import pytest
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

import aiotape
from aiotape.client.request_info import RequestInfo
from aiotape.client.response import ClientResponse
from aiotape.transport import ChunkedBody, Response
from tests.transports import RecordingTransport


def _wire(raw: tuple[tuple[bytes, bytes], ...] | None = ()) -> Response:
    headers = CIMultiDictProxy(CIMultiDict({"Content-Type": "text/plain", "X-Name": "é"}))
    return Response(200, "OK", headers, ChunkedBody([b"body"]), raw_headers=raw)


def _info(url: URL, method: str = "GET") -> RequestInfo:
    return RequestInfo(url.with_fragment(None), method, CIMultiDictProxy(CIMultiDict()), url)


def test_response_of_its_request_infos_url_shares_that_url() -> None:
    url = URL("http://h.test/a#part")
    info = _info(url)
    resp = ClientResponse("GET", url, _wire(), request_info=info)
    assert resp.real_url is url
    assert resp.url is info.url
    assert resp.method == "GET"


def test_response_given_another_url_and_method_keeps_them() -> None:
    info = _info(URL("http://h.test/b"))
    resp = ClientResponse("POST", URL("http://h.test/a#part"), _wire(), request_info=info)
    assert resp.real_url == URL("http://h.test/a#part")
    assert resp.url == URL("http://h.test/a")
    assert resp.method == "POST"
    assert resp.request_info is info


def test_raw_headers_are_the_wire_responses_when_it_has_them() -> None:
    raw = ((b"content-type", b"text/plain"), (b"x-name", b"\xc3\xa9"))
    resp = ClientResponse(
        "GET", URL("http://h.test/"), _wire(raw), request_info=_info(URL("http://h.test/"))
    )
    assert resp.raw_headers is raw
    assert resp.raw_headers is raw  # kept


def test_raw_headers_are_the_headers_encoded_when_the_wire_has_none() -> None:
    url = URL("http://h.test/")
    resp = ClientResponse("GET", url, _wire(None), request_info=_info(url))
    assert resp.raw_headers == ((b"Content-Type", b"text/plain"), (b"X-Name", "é".encode()))


@pytest.mark.parametrize("how", ["close", "detach"])
async def test_session_refuses_a_plain_call_it_made_before_once_closed(how: str) -> None:
    transport = RecordingTransport()
    session = aiotape.ClientSession(transport=transport)
    async with session.get("http://h.test/items") as resp:
        assert resp.status == 200
    if how == "close":
        await session.close()
    else:
        session.detach()
    with pytest.raises(RuntimeError, match="Session is closed"):
        await session.get("http://h.test/items")
    with pytest.raises(RuntimeError, match="Session is closed"):
        await session.get("http://h.test/other")
    assert len(transport.requests) == 1
    assert session.closed
