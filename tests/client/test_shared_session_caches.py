"""Sessions that share what calls without options send (plans, origins' headers, requests)
still send each their own settings: headers, auth, timeout, raise_for_status."""

from __future__ import annotations

import pytest
from multidict import CIMultiDict, CIMultiDictProxy

from aiotape import BasicAuth, ClientResponseError, ClientSession, ClientTimeout
from aiotape.transport import ChunkedBody, Request, Response
from tests.transports import RecordingTransport

URL = "http://127.0.0.1:1/shared/a"


async def _sent(session: ClientSession, transport: RecordingTransport) -> Request:
    async with session.get(URL) as resp:
        await resp.read()
    return transport.requests[-1]


async def test_sessions_with_and_without_headers_of_their_own_each_send_theirs() -> None:
    transport = RecordingTransport()
    async with (
        ClientSession(transport=transport) as bare,
        ClientSession(transport=transport, headers={"X-Own": "1"}) as own,
        ClientSession(transport=transport, auth=BasicAuth("u", "p")) as authed,
        ClientSession(transport=transport, skip_auto_headers=["User-Agent"]) as skipping,
    ):
        for _ in range(2):
            plain = await _sent(bare, transport)
            with_header = await _sent(own, transport)
            with_auth = await _sent(authed, transport)
            without_agent = await _sent(skipping, transport)
            assert "X-Own" not in plain.headers
            assert "Authorization" not in plain.headers
            assert "User-Agent" in plain.headers
            assert with_header.headers["X-Own"] == "1"
            assert "Authorization" not in with_header.headers
            assert with_auth.headers["Authorization"] == BasicAuth("u", "p").encode()
            assert "User-Agent" not in without_agent.headers
        bare.headers["X-Later"] = "2"
        later = await _sent(bare, transport)
        assert later.headers["X-Later"] == "2"
        del bare.headers["X-Later"]
        assert "X-Later" not in (await _sent(bare, transport)).headers
    second = ClientSession(transport=transport)
    async with second:
        assert "X-Later" not in (await _sent(second, transport)).headers


async def test_sessions_with_other_timeouts_send_their_own() -> None:
    transport = RecordingTransport()
    short = ClientTimeout(total=7)
    equal = ClientTimeout(total=7)
    async with (
        ClientSession(transport=transport) as default,
        ClientSession(transport=transport, timeout=short) as first,
        ClientSession(transport=transport, timeout=equal) as second,
    ):
        assert (await _sent(default, transport)).timeout is default.timeout
        assert (await _sent(first, transport)).timeout is short
        assert (await _sent(second, transport)).timeout is equal


class _Teapot(RecordingTransport):
    async def handle(self, request: Request) -> Response:
        self.requests.append(request)
        return Response(418, "I'm a teapot", CIMultiDictProxy(CIMultiDict()), ChunkedBody([]))


async def test_sessions_with_other_raise_for_status_each_keep_theirs() -> None:
    transport = _Teapot()
    async with (
        ClientSession(transport=transport) as lenient,
        ClientSession(transport=transport, raise_for_status=True) as strict,
    ):
        async with lenient.get(URL) as resp:
            assert resp.status == 418
        with pytest.raises(ClientResponseError):
            await strict.get(URL)
        async with lenient.get(URL) as resp:
            assert resp.status == 418
