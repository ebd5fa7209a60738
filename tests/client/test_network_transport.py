"""NetworkTransport against real sockets: raw asyncio peers on 127.0.0.1 that misbehave."""

from __future__ import annotations

import asyncio
import itertools
import socket
import ssl
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from httptools import HttpParserError
from yarl import URL

from aiotape.client.dial import Resolver, connection_key, open_connection
from aiotape.client.error_mapping import IncompleteResponse, translate
from aiotape.client.exceptions import (
    ClientConnectionError,
    ClientConnectorCertificateError,
    ClientConnectorDNSError,
    ClientConnectorError,
    ClientConnectorSSLError,
    ClientOSError,
    ClientPayloadError,
    ClientResponseError,
    ConnectionKey,
    ConnectionTimeoutError,
    InvalidURL,
    ServerDisconnectedError,
    SocketTimeoutError,
)
from aiotape.client.network import NetworkTransport
from aiotape.client.pool import TCPConnector
from aiotape.client.timeouts import ClientTimeout
from aiotape.client.transport import Request, Response
from tests.servers import RawServer, serve_app

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
Peer = RawServer
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


@pytest.fixture
def serve(
    raw_server: Callable[[Handler], Awaitable[Peer]],
) -> Callable[[Handler], Awaitable[Peer]]:
    """``await serve(handler)``: conftest's raw asyncio server."""
    return raw_server


@pytest.fixture
async def transport() -> AsyncIterator[NetworkTransport]:
    net = NetworkTransport()
    yield net
    await net.aclose()


async def read_request(reader: asyncio.StreamReader, peer: Peer | None = None) -> bytes:
    """Read one request head and its Content-Length body; return the head."""
    head = await reader.readuntil(b"\r\n\r\n")
    if peer is not None:
        peer.heads.append(head)
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            await reader.readexactly(int(value))
    return head


def request(url: URL | str, method: str = "GET", **kwargs: Any) -> Request:
    url = URL(url)
    return Request.build(method, url, {"Host": f"{url.host}:{url.port}"}, **kwargs)


async def read_all(resp: Response) -> bytes:
    parts = []
    while chunk := await resp.body.read_chunk():
        parts.append(chunk)
    return b"".join(parts)


async def fetch(net: NetworkTransport, url: URL | str, **kwargs: Any) -> tuple[int, bytes]:
    resp = await net.handle(request(url, **kwargs))
    return resp.status, await read_all(resp)


def keep_alive(response: bytes = OK) -> Handler:
    """Answer every request on the connection with ``response``."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            await read_request(reader)
            writer.write(response)
            await writer.drain()

    return handler


def answer_once(response: bytes) -> Handler:
    """Answer the first request with ``response`` and wait for the client to go away."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(response)
        await writer.drain()
        await reader.read()

    return handler


def after_first(first: Handler, then: Handler) -> Handler:
    """The first connection runs ``first``, later ones ``then``."""
    accepted = itertools.count()

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await (first if next(accepted) == 0 else then)(reader, writer)

    return handler


def abort_with_reset(writer: asyncio.StreamWriter) -> None:
    """Close the server side with a TCP RST instead of a FIN."""
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


# -- requests and keep-alive --------------------------------------------------------------
async def test_sends_exactly_the_request_headers(
    serve: Callable[[Handler], Awaitable[Peer]], transport: NetworkTransport
) -> None:
    heads: list[bytes] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        heads.append(await read_request(reader))
        writer.write(OK)

    peer = await serve(handler)
    req = Request.build("GET", peer.url / "p" % {"q": "1"}, [("Host", "h"), ("X-A", "1")])
    resp = await transport.handle(req)
    await read_all(resp)
    assert heads == [b"GET /p?q=1 HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n\r\n"]


async def test_response_carries_status_reason_version_and_headers(
    serve: Callable[[Handler], Awaitable[Peer]], transport: NetworkTransport
) -> None:
    peer = await serve(
        answer_once(
            b"HTTP/1.0 418 I'm a teapot\r\nX-A: 1\r\nx-a: 2\r\nContent-Length: 3\r\n\r\ntea"
        )
    )
    resp = await transport.handle(request(peer.url))
    assert (resp.status, resp.reason, resp.version) == (418, "I'm a teapot", (1, 0))
    assert resp.headers.getall("X-A") == ["1", "2"]
    assert resp.raw_headers[0] == (b"X-A", b"1")
    assert await read_all(resp) == b"tea"


async def test_header_injection_is_refused_before_connecting(
    serve: Callable[[Handler], Awaitable[Peer]], transport: NetworkTransport
) -> None:
    peer = await serve(keep_alive())
    req = Request.build("GET", peer.url, [("Host", "h"), ("X-A", "1\r\nX-Evil: 1")])
    with pytest.raises(ValueError, match="Newline or carriage return"):
        await transport.handle(req)
    assert peer.connections == 0


async def test_url_without_host_is_invalid(transport: NetworkTransport) -> None:
    with pytest.raises(InvalidURL):
        await transport.handle(Request.build("GET", "/relative", {}))


async def test_interim_100_continue_is_skipped(
    serve: Callable[[Handler], Awaitable[Peer]], transport: NetworkTransport
) -> None:
    peer = await serve(answer_once(b"HTTP/1.1 100 Continue\r\n\r\n" + OK))
    assert await fetch(transport, peer.url) == (200, b"ok")


async def test_bytes_body_is_sent_after_the_head(
    serve: Callable[[Handler], Awaitable[Peer]], transport: NetworkTransport
) -> None:
    received: list[bytes] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        received.append(await reader.readexactly(5))
        writer.write(OK)

    peer = await serve(handler)
    req = Request.build("POST", peer.url, [("Host", "h"), ("Content-Length", "5")], body=b"hello")
    await read_all(await transport.handle(req))
    assert received == [b"hello"]


@dataclass(frozen=True)
class Reuse:
    """Two requests to one peer, and how many connections the peer must have seen."""

    peer: Callable[[], Handler]
    connections: int
    body: bytes = b"ok"
    method: str = "GET"
    first_asks_to_close: bool = False
    connector: dict[str, Any] = field(default_factory=dict)


async def answer_then_hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    writer.write(OK)


KEEP_ALIVE = {
    "keep-alive response is reused": Reuse(keep_alive, 1),
    "HEAD response keeps the connection reusable": Reuse(
        lambda: keep_alive(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"),
        1,
        body=b"",
        method="HEAD",
    ),
    "Connection: close response is not reused": Reuse(
        lambda: answer_once(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"),
        2,
        body=b"",
    ),
    "request asking to close is not reused": Reuse(keep_alive, 2, first_asks_to_close=True),
    "server closing an idle connection does not fail the next GET": Reuse(
        lambda: answer_then_hang_up, 2
    ),
    "expired idle connection is not reused": Reuse(
        keep_alive, 2, connector={"keepalive_timeout": 0}
    ),
    "force_close never reuses": Reuse(keep_alive, 2, connector={"force_close": True}),
    "bytes after the response prevent reuse": Reuse(
        lambda: after_first(answer_once(OK + b"HTTP/1.1 200 OK\r\n"), keep_alive()), 2
    ),
}


@pytest.mark.parametrize("case", KEEP_ALIVE.values(), ids=list(KEEP_ALIVE))
async def test_connection_reuse(serve: Callable[[Handler], Awaitable[Peer]], case: Reuse) -> None:
    peer = await serve(case.peer())
    net = NetworkTransport(TCPConnector(**case.connector))
    try:
        for close in (case.first_asks_to_close, False):
            headers = [("Host", "h"), *([("Connection", "close")] if close else [])]
            resp = await net.handle(Request.build(case.method, peer.url, headers))
            assert (resp.status, await read_all(resp)) == (200, case.body)
    finally:
        await net.aclose()
    assert peer.connections == case.connections


async def test_close_delimited_body_is_read_to_eof(
    serve: Callable[[Handler], Awaitable[Peer]], transport: NetworkTransport
) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.0 200 OK\r\n\r\nuntil ")
        await writer.drain()
        writer.write(b"the end")

    peer = await serve(handler)
    assert await fetch(transport, peer.url) == (200, b"until the end")


async def test_chunks_arrive_as_the_server_sent_them(
    serve: Callable[[Handler], Awaitable[Peer]], transport: NetworkTransport
) -> None:
    sent = asyncio.Event()

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\none\r\n")
        await sent.wait()
        writer.write(b"3\r\ntwo\r\n0\r\n\r\n")
        await reader.read()

    peer = await serve(handler)
    resp = await transport.handle(request(peer.url))
    assert await resp.body.read_chunk() == b"one"
    sent.set()
    assert await resp.body.read_chunk() == b"two"
    assert await resp.body.read_chunk() == b""


@pytest.mark.parametrize("closer", ["keepalive_timeout", "aclose"])
async def test_idle_connection_is_closed(
    serve: Callable[[Handler], Awaitable[Peer]], closer: str
) -> None:
    """An idle pooled connection is closed when keepalive_timeout expires, or by aclose()."""
    closed = asyncio.Event()

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(OK)
        assert await reader.read() == b""
        closed.set()

    peer = await serve(handler)
    options = {"keepalive_timeout": 0.01} if closer == "keepalive_timeout" else {}
    net = NetworkTransport(TCPConnector(**options))
    try:
        await fetch(net, peer.url)
        if closer == "aclose":
            await net.aclose()
            assert net.connector.closed
        await closed.wait()
    finally:
        await net.aclose()
    assert peer.connections == 1


async def test_closed_connector_refuses_requests(
    serve: Callable[[Handler], Awaitable[Peer]],
) -> None:
    peer = await serve(keep_alive())
    net = NetworkTransport()
    await net.aclose()
    with pytest.raises(ClientConnectionError, match="Connector is closed"):
        await net.handle(request(peer.url))


async def test_localhost_falls_back_across_resolved_addresses(
    serve: Callable[[Handler], Awaitable[Peer]], transport: NetworkTransport
) -> None:
    peer = await serve(keep_alive())
    assert await fetch(transport, peer.url.with_host("localhost")) == (200, b"ok")


# -- no reuse after trouble ---------------------------------------------------------------
async def test_no_reuse_after_early_close(
    serve: Callable[[Handler], Awaitable[Peer]], transport: NetworkTransport
) -> None:
    partial = answer_once(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nfirst")
    peer = await serve(after_first(partial, keep_alive()))
    resp = await transport.handle(request(peer.url))
    assert await resp.body.read_chunk() == b"first"
    resp.body.close()
    assert await fetch(transport, peer.url) == (200, b"ok")
    assert peer.connections == 2


async def test_reading_after_early_close_raises(
    serve: Callable[[Handler], Awaitable[Peer]], transport: NetworkTransport
) -> None:
    peer = await serve(answer_once(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"))
    resp = await transport.handle(request(peer.url))
    resp.body.close()
    with pytest.raises(ClientConnectionError, match="Connection closed"):
        await resp.body.read_chunk()


async def test_no_reuse_after_error(
    serve: Callable[[Handler], Awaitable[Peer]], transport: NetworkTransport
) -> None:
    headed = asyncio.Event()

    async def bad_chunk(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        await headed.wait()
        writer.write(b"zz\r\n")
        await reader.read()

    peer = await serve(after_first(bad_chunk, keep_alive()))
    resp = await transport.handle(request(peer.url))
    headed.set()
    with pytest.raises(ClientPayloadError, match="chunk size"):
        await read_all(resp)
    assert await fetch(transport, peer.url) == (200, b"ok")
    assert peer.connections == 2


async def test_no_reuse_after_cancel(
    serve: Callable[[Handler], Awaitable[Peer]], transport: NetworkTransport
) -> None:
    asked = asyncio.Event()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        asked.set()
        await reader.read()

    peer = await serve(after_first(silent, keep_alive()))
    task = asyncio.create_task(transport.handle(request(peer.url)))
    await asked.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await fetch(transport, peer.url) == (200, b"ok")
    assert peer.connections == 2


# -- pool limits --------------------------------------------------------------------------
async def test_limit_per_host_queues_requests_on_one_connection(
    serve: Callable[[Handler], Awaitable[Peer]],
) -> None:
    peer = await serve(keep_alive())
    net = NetworkTransport(TCPConnector(limit_per_host=1))
    try:
        results = await asyncio.gather(*(fetch(net, peer.url) for _ in range(5)))
    finally:
        await net.aclose()
    assert results == [(200, b"ok")] * 5
    assert peer.connections == 1


async def test_limit_caps_connections_across_hosts(
    serve: Callable[[Handler], Awaitable[Peer]],
) -> None:
    first, second = await serve(keep_alive()), await serve(keep_alive())
    net = NetworkTransport(TCPConnector(limit=1))
    try:
        urls = [first.url, second.url] * 3
        results = await asyncio.gather(*(fetch(net, url) for url in urls))
    finally:
        await net.aclose()
    assert results == [(200, b"ok")] * 6
    assert (first.connections, second.connections) == (1, 1)


async def test_waiting_for_a_free_slot_counts_against_connect_timeout(
    serve: Callable[[Handler], Awaitable[Peer]],
) -> None:
    peer = await serve(answer_once(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"))
    net = NetworkTransport(TCPConnector(limit=1))
    try:
        held = await net.handle(request(peer.url))
        with pytest.raises(ConnectionTimeoutError, match="Connection timeout to host"):
            await net.handle(request(peer.url, timeout=ClientTimeout(connect=0.05)))
        held.body.close()
    finally:
        await net.aclose()


async def test_cancelled_slot_waiter_leaves_the_pool_usable(
    serve: Callable[[Handler], Awaitable[Peer]],
) -> None:
    finish = asyncio.Event()

    async def slow_then_keep_alive(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nok")
        await finish.wait()
        writer.write(b"ok")
        await keep_alive()(reader, writer)

    peer = await serve(slow_then_keep_alive)
    net = NetworkTransport(TCPConnector(limit=1))
    try:
        held = await net.handle(request(peer.url))
        waiting = asyncio.create_task(net.handle(request(peer.url)))
        await asyncio.sleep(0)  # let it reach the slot queue
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        finish.set()
        assert await read_all(held) == b"okok"
        assert await fetch(net, peer.url) == (200, b"ok")
    finally:
        await net.aclose()
    assert peer.connections == 1


async def test_closing_the_connector_fails_a_body_in_flight(
    serve: Callable[[Handler], Awaitable[Peer]],
) -> None:
    peer = await serve(answer_once(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"))
    net = NetworkTransport()
    resp = await net.handle(request(peer.url))
    await net.aclose()
    with pytest.raises(ClientConnectionError, match="Connector is closed"):
        await resp.body.read_chunk()


async def test_requests_with_different_ssl_settings_use_different_pools() -> None:
    url = URL("https://h.test/")
    verified = connection_key(request(url))
    unverified = connection_key(request(url, ssl=False))
    assert verified != unverified
    assert connection_key(request(url), default_ssl=False) == unverified


# -- stale keep-alive retry ---------------------------------------------------------------
def hang_up_on_second_request() -> Handler:
    """First connection answers once then closes on the next request; later ones serve."""

    async def stale(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(OK)
        await writer.drain()
        await reader.readuntil(b"\r\n\r\n")

    return after_first(stale, keep_alive())


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
async def test_idempotent_request_is_retried_once_on_a_stale_connection(
    serve: Callable[[Handler], Awaitable[Peer]], transport: NetworkTransport, method: str
) -> None:
    peer = await serve(hang_up_on_second_request())
    await fetch(transport, peer.url)
    assert await fetch(transport, peer.url, method=method) == (200, b"ok")
    assert peer.connections == 2


async def test_post_is_not_retried_on_a_stale_connection(
    serve: Callable[[Handler], Awaitable[Peer]], transport: NetworkTransport
) -> None:
    peer = await serve(hang_up_on_second_request())
    await fetch(transport, peer.url)
    with pytest.raises(ServerDisconnectedError):
        await fetch(transport, peer.url, method="POST", body=b"")
    assert peer.connections == 1


async def test_streamed_body_is_not_retried_on_a_stale_connection(
    serve: Callable[[Handler], Awaitable[Peer]], transport: NetworkTransport
) -> None:
    async def body() -> AsyncIterator[bytes]:
        yield b""

    peer = await serve(hang_up_on_second_request())
    await fetch(transport, peer.url)
    with pytest.raises(ServerDisconnectedError):
        await fetch(transport, peer.url, method="PUT", body=body())


async def test_fresh_connection_failure_is_not_retried(
    serve: Callable[[Handler], Awaitable[Peer]], transport: NetworkTransport
) -> None:
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)

    peer = await serve(hang_up)
    with pytest.raises(ServerDisconnectedError, match="Server disconnected"):
        await fetch(transport, peer.url)
    assert peer.connections == 1


# -- uploads ------------------------------------------------------------------------------
@pytest.fixture
async def echo_app() -> AsyncIterator[URL]:
    """aiohttp.web server whose ``/`` answers with the request body it received."""

    async def echo(req: web.Request) -> web.Response:
        return web.Response(body=await req.read())

    app = web.Application(client_max_size=2**30)
    app.router.add_route("*", "/", echo)
    async with serve_app(app) as url:
        yield url / ""


async def chunks_of(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def test_streamed_chunked_upload_arrives_byte_for_byte(
    echo_app: URL, transport: NetworkTransport
) -> None:
    data = bytes(range(256)) * 40
    req = Request.build(
        "POST",
        echo_app,
        [("Host", "h"), ("Transfer-Encoding", "chunked")],
        body=chunks_of(data, 1000),
    )
    resp = await transport.handle(req)
    assert await read_all(resp) == data


async def test_streamed_upload_with_content_length_is_sent_raw(
    echo_app: URL, transport: NetworkTransport
) -> None:
    data = b"0123456789" * 100
    req = Request.build(
        "PUT",
        echo_app,
        [("Host", "h"), ("Content-Length", str(len(data)))],
        body=chunks_of(data, 77),
    )
    assert await read_all(await transport.handle(req)) == data


async def test_large_streamed_upload_respects_write_flow_control(
    echo_app: URL, transport: NetworkTransport
) -> None:
    data = bytes(range(256)) * (4 * 4096)  # 4 MiB
    req = Request.build(
        "POST",
        echo_app,
        [("Host", "h"), ("Transfer-Encoding", "chunked")],
        body=chunks_of(data, 2**16),
    )
    assert await read_all(await transport.handle(req)) == data


async def test_upload_error_drops_the_connection_and_propagates(
    serve: Callable[[Handler], Awaitable[Peer]], transport: NetworkTransport
) -> None:
    async def failing() -> AsyncIterator[bytes]:
        yield b"part"
        raise RuntimeError("body source failed")

    peer = await serve(keep_alive())
    req = Request.build(
        "POST", peer.url, [("Host", "h"), ("Transfer-Encoding", "chunked")], body=failing()
    )
    with pytest.raises(ClientConnectionError, match="body source failed"):
        await transport.handle(req)
    assert await fetch(transport, peer.url) == (200, b"ok")
    assert peer.connections == 2


async def test_early_response_stops_an_endless_upload(
    serve: Callable[[Handler], Awaitable[Peer]], transport: NetworkTransport
) -> None:
    async def reject(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 413 Too Large\r\nContent-Length: 0\r\n\r\n")
        await asyncio.Event().wait()  # never reads the body

    async def endless() -> AsyncIterator[bytes]:
        while True:
            yield bytes(2**16)

    peer = await serve(after_first(reject, keep_alive()))
    req = Request.build(
        "POST", peer.url, [("Host", "h"), ("Transfer-Encoding", "chunked")], body=endless()
    )
    resp = await transport.handle(req)
    assert resp.status == 413
    assert await read_all(resp) == b""
    assert await fetch(transport, peer.url) == (200, b"ok")
    assert peer.connections == 2


# -- broken responses ---------------------------------------------------------------------
async def test_truncated_body_raises_client_payload_error(
    serve: Callable[[Handler], Awaitable[Peer]], transport: NetworkTransport
) -> None:
    async def truncate(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")

    peer = await serve(truncate)
    resp = await transport.handle(request(peer.url))
    assert await resp.body.read_chunk() == b"abc"
    with pytest.raises(ClientPayloadError, match="Response payload is not completed"):
        await resp.body.read_chunk()


async def test_truncated_chunked_body_raises_client_payload_error(
    serve: Callable[[Handler], Awaitable[Peer]], transport: NetworkTransport
) -> None:
    async def truncate(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel")

    peer = await serve(truncate)
    resp = await transport.handle(request(peer.url))
    with pytest.raises(ClientPayloadError, match="transfer length"):
        await read_all(resp)


async def test_close_before_any_byte_raises_server_disconnected(
    serve: Callable[[Handler], Awaitable[Peer]], transport: NetworkTransport
) -> None:
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)

    peer = await serve(hang_up)
    with pytest.raises(ServerDisconnectedError):
        await transport.handle(request(peer.url))


async def test_close_inside_the_head_raises_server_disconnected(
    serve: Callable[[Handler], Awaitable[Peer]], transport: NetworkTransport
) -> None:
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-")

    peer = await serve(hang_up)
    with pytest.raises(ServerDisconnectedError):
        await transport.handle(request(peer.url))


async def test_reset_before_the_head_raises_client_os_error(
    serve: Callable[[Handler], Awaitable[Peer]], transport: NetworkTransport
) -> None:
    async def reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        abort_with_reset(writer)

    peer = await serve(reset)
    with pytest.raises(ClientOSError):
        await transport.handle(request(peer.url))


async def test_reset_inside_the_body_raises_payload_error_naming_the_reset(
    serve: Callable[[Handler], Awaitable[Peer]], transport: NetworkTransport
) -> None:
    headed = asyncio.Event()

    async def reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
        await headed.wait()
        abort_with_reset(writer)

    peer = await serve(reset)
    resp = await transport.handle(request(peer.url))
    headed.set()
    with pytest.raises(ClientPayloadError, match="ConnectionResetError"):
        await read_all(resp)


async def test_bad_status_line_raises_response_error_400(
    serve: Callable[[Handler], Awaitable[Peer]], transport: NetworkTransport
) -> None:
    peer = await serve(answer_once(b"HTTX/1.1 200 OK\r\n\r\n"))
    with pytest.raises(ClientResponseError) as info:
        await transport.handle(request(peer.url))
    assert info.value.status == 400
    assert info.value.request_info.url == peer.url


async def test_header_over_limit_raises_response_error_400(
    serve: Callable[[Handler], Awaitable[Peer]],
) -> None:
    peer = await serve(answer_once(b"HTTP/1.1 200 OK\r\nX: " + b"a" * 200 + b"\r\n\r\n"))
    net = NetworkTransport(max_field_size=100)
    try:
        with pytest.raises(ClientResponseError, match="Header value is too long") as info:
            await net.handle(request(peer.url))
    finally:
        await net.aclose()
    assert info.value.status == 400


async def test_too_many_headers_raise_response_error_400(
    serve: Callable[[Handler], Awaitable[Peer]],
) -> None:
    lines = b"".join(b"X-%d: 1\r\n" % i for i in range(5))
    peer = await serve(answer_once(b"HTTP/1.1 200 OK\r\n" + lines + b"\r\n"))
    net = NetworkTransport(max_headers=4)
    try:
        with pytest.raises(ClientResponseError, match="Too many headers"):
            await net.handle(request(peer.url))
    finally:
        await net.aclose()


# -- connecting ---------------------------------------------------------------------------
async def test_connection_refused_raises_client_connector_error(
    refused_port: int, transport: NetworkTransport
) -> None:
    with pytest.raises(ClientConnectorError) as info:
        await transport.handle(request(f"http://127.0.0.1:{refused_port}/"))
    assert (info.value.host, info.value.port) == ("127.0.0.1", refused_port)
    assert str(info.value).startswith(f"Cannot connect to host 127.0.0.1:{refused_port} ssl:")


async def test_connect_timeout_on_full_backlog_raises_connection_timeout_error(
    full_backlog: int, transport: NetworkTransport
) -> None:
    url = f"http://127.0.0.1:{full_backlog}/"
    with pytest.raises(ConnectionTimeoutError, match="Connection timeout to host"):
        await transport.handle(request(url, timeout=ClientTimeout(connect=0.05)))


async def test_sock_connect_timeout_on_full_backlog_raises_connection_timeout_error(
    full_backlog: int, transport: NetworkTransport
) -> None:
    url = f"http://127.0.0.1:{full_backlog}/"
    with pytest.raises(ConnectionTimeoutError):
        await transport.handle(request(url, timeout=ClientTimeout(sock_connect=0.05)))


async def test_total_deadline_while_connecting_raises_plain_timeout_error(
    full_backlog: int, transport: NetworkTransport
) -> None:
    loop = asyncio.get_running_loop()
    url = f"http://127.0.0.1:{full_backlog}/"
    with pytest.raises(asyncio.TimeoutError) as info:
        await transport.handle(request(url, deadline=loop.time() + 0.05))
    assert type(info.value) is asyncio.TimeoutError


async def test_open_connection_is_usable_with_any_protocol(
    serve: Callable[[Handler], Awaitable[Peer]],
) -> None:
    peer = await serve(answer_once(OK))
    req = request(peer.url)
    key = connection_key(req)
    conn, protocol = await open_connection(key, req, asyncio.Protocol)
    try:
        assert conn.get_extra_info("peername")[1] == peer.url.port
        assert type(protocol) is asyncio.Protocol
    finally:
        conn.close()


async def test_resolver_caches_lookups() -> None:
    resolver = Resolver(ttl=None)
    first = await resolver.resolve("localhost", 80)
    assert await resolver.resolve("localhost", 80) is first


async def test_resolver_returns_ip_literals_without_lookup() -> None:
    infos = await Resolver().resolve("::1", 8080)
    assert infos == (
        (socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ("::1", 8080, 0, 0)),
    )


# -- timeouts -----------------------------------------------------------------------------
def first_chunk_then_silence(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> Any:
    async def handler() -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nfirst")
        await reader.read()

    return handler()


async def test_sock_read_timeout_after_first_chunk_raises_socket_timeout(
    serve: Callable[[Handler], Awaitable[Peer]], transport: NetworkTransport
) -> None:
    peer = await serve(first_chunk_then_silence)
    resp = await transport.handle(request(peer.url, timeout=ClientTimeout(sock_read=0.05)))
    assert await resp.body.read_chunk() == b"first"
    with pytest.raises(SocketTimeoutError, match="Timeout on reading data from socket"):
        await resp.body.read_chunk()


async def test_sock_read_timeout_before_the_head_raises_socket_timeout(
    serve: Callable[[Handler], Awaitable[Peer]], transport: NetworkTransport
) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        await reader.read()

    peer = await serve(silent)
    with pytest.raises(SocketTimeoutError):
        await transport.handle(request(peer.url, timeout=ClientTimeout(sock_read=0.05)))


async def test_total_deadline_while_reading_raises_plain_timeout_error(
    serve: Callable[[Handler], Awaitable[Peer]], transport: NetworkTransport
) -> None:
    peer = await serve(first_chunk_then_silence)
    loop = asyncio.get_running_loop()
    resp = await transport.handle(request(peer.url, deadline=loop.time() + 0.05))
    await resp.body.read_chunk()
    with pytest.raises(asyncio.TimeoutError) as info:
        await resp.body.read_chunk()
    assert type(info.value) is asyncio.TimeoutError


async def test_timed_out_connection_is_not_reused(
    serve: Callable[[Handler], Awaitable[Peer]], transport: NetworkTransport
) -> None:
    peer = await serve(after_first(first_chunk_then_silence, keep_alive()))
    resp = await transport.handle(request(peer.url, timeout=ClientTimeout(sock_read=0.05)))
    await resp.body.read_chunk()
    with pytest.raises(SocketTimeoutError):
        await resp.body.read_chunk()
    assert await fetch(transport, peer.url) == (200, b"ok")
    assert peer.connections == 2


# -- backpressure -------------------------------------------------------------------------
async def test_large_body_is_buffered_within_bounds(
    serve: Callable[[Handler], Awaitable[Peer]],
) -> None:
    size = 16 * 2**20
    piece = bytes(2**16)

    async def flood(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size)
        for _ in range(size // len(piece)):
            writer.write(piece)
            await writer.drain()
        await reader.read()

    peer = await serve(flood)
    net = NetworkTransport(read_bufsize=2**12)
    try:
        resp = await net.handle(request(peer.url))
        body = resp.body
        total = peak = 0
        while chunk := await body.read_chunk():
            total += len(chunk)
            for _ in range(4):  # a slow consumer: the socket outpaces it
                await asyncio.sleep(0)
            peak = max(peak, body.buffered)  # type: ignore[attr-defined]
    finally:
        await net.aclose()
    assert total == size
    assert peak <= 4 * 2**12 + 256 * 1024  # high-water mark plus at most one socket read


# -- the error boundary -------------------------------------------------------------------
KEY = ConnectionKey("h.test", 443, True, True)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (socket.gaierror(socket.EAI_NONAME, "Name or service not known"), ClientConnectorDNSError),
        (
            ssl.SSLCertVerificationError(1, "certificate verify failed"),
            ClientConnectorCertificateError,
        ),
        (ssl.SSLError(1, "handshake failure"), ClientConnectorSSLError),
        (ConnectionRefusedError(111, "Connection refused"), ClientConnectorError),
    ],
)
def test_connect_errors_map_to_connector_errors(error: OSError, expected: type[Exception]) -> None:
    mapped = translate(error, KEY, connecting=True)
    assert type(mapped) is expected


def test_os_error_on_an_established_connection_maps_to_client_os_error() -> None:
    mapped = translate(ConnectionResetError(104, "reset"), KEY)
    assert type(mapped) is ClientOSError
    assert mapped.args == (104, "reset")


def test_parser_error_after_the_head_maps_to_payload_error() -> None:
    mapped = translate(HttpParserError("bad chunk"), KEY, head_received=True)
    assert isinstance(mapped, ClientPayloadError)


def test_incomplete_response_without_head_maps_to_server_disconnected() -> None:
    mapped = translate(IncompleteResponse("gone", head_received=False), KEY)
    assert isinstance(mapped, ServerDisconnectedError)


def test_aiotape_errors_pass_through_translate() -> None:
    error = ServerDisconnectedError()
    assert translate(error, KEY, connecting=True) is error
