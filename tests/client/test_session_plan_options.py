"""Calls whose options only change what their hops send (headers, params, body, cookies,
auth) follow the session's settings as calls without options do."""

from __future__ import annotations

import gzip

import pytest
from multidict import CIMultiDict, CIMultiDictProxy

from aiotape import ClientResponseError, ClientSession, ClientTimeout
from aiotape.transport import ChunkedBody, Request, Response
from tests.transports import RecordingTransport

HOP_OPTIONS = [
    {},
    {"headers": {"X-A": "1"}},
    {"params": {"q": "1"}},
    {"json": {"a": 1}},
    {"data": b"x"},
    {"cookies": {"c": "1"}},
    {"expect100": False},
    {"trace_request_ctx": object()},
]


class Gzipped(RecordingTransport):
    """Answers 404 with a gzip-encoded body."""

    async def handle(self, request: Request) -> Response:
        self.requests.append(request)
        headers = CIMultiDictProxy(CIMultiDict({"Content-Encoding": "gzip"}))
        return Response(404, "Not Found", headers, ChunkedBody([gzip.compress(b"body")]))


@pytest.mark.parametrize("options", HOP_OPTIONS)
async def test_hop_options_keep_the_session_settings(options: dict[str, object]) -> None:
    transport = Gzipped()
    timeout = ClientTimeout(total=7, sock_read=3)
    async with ClientSession(
        transport=transport, timeout=timeout, auto_decompress=False, read_bufsize=1024
    ) as session:
        async with session.post("http://api.test/x", **options) as resp:  # type: ignore[arg-type]
            assert await resp.read() == gzip.compress(b"body")
            assert resp._read_bufsize == 1024
    (sent,) = transport.requests
    assert sent.timeout is timeout
    assert sent.deadline is not None and sent.deadline - sent.started >= 7


@pytest.mark.parametrize("options", HOP_OPTIONS)
async def test_hop_options_keep_the_session_raise_for_status(options: dict[str, object]) -> None:
    async with ClientSession(transport=Gzipped(), raise_for_status=True) as session:
        with pytest.raises(ClientResponseError) as raised:
            await session.post("http://api.test/x", **options)  # type: ignore[arg-type]
    assert raised.value.status == 404


async def test_a_plan_option_beside_hop_options_still_counts() -> None:
    async with ClientSession(transport=Gzipped(), raise_for_status=True) as session:
        resp = await session.get("http://api.test/x", headers={"X": "1"}, raise_for_status=False)
        assert resp.status == 404
        assert await resp.read() == b"body"
