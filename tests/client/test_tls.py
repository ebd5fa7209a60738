"""HTTPS through NetworkTransport: a trustme CA and TLS servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import trustme
from yarl import URL

from aiotape.client.exceptions import (
    ClientConnectorCertificateError,
    ClientConnectorSSLError,
)
from aiotape.client.network import NetworkTransport
from aiotape.client.pool import TCPConnector
from aiotape.client.transport import Request
from tests.servers import StartRaw, tls_server_context

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
Serve = Callable[..., Awaitable[URL]]


@pytest.fixture(scope="module")
def server_context(ca: trustme.CA) -> ssl.SSLContext:
    """Server side: a certificate for 127.0.0.1, localhost and api.test."""
    return tls_server_context(ca.issue_cert("127.0.0.1", "localhost", "api.test"))


async def answer_all(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer every request on the connection with a small keep-alive response."""
    while True:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecret")
        await writer.drain()


@pytest.fixture
def serve(raw_server: StartRaw, server_context: ssl.SSLContext) -> Serve:
    """``await serve(handler, tls=True)``: https URL of a server running ``handler``."""

    async def start(handler: Handler = answer_all, *, tls: bool = True) -> URL:
        server = await raw_server(handler, ssl=server_context if tls else None)
        return server.url.with_scheme("https") / ""

    return start


@pytest.fixture
async def transport() -> AsyncIterator[NetworkTransport]:
    net = NetworkTransport()
    yield net
    await net.aclose()


async def get(net: NetworkTransport, url: URL, **kwargs: Any) -> tuple[int, bytes]:
    resp = await net.handle(Request.build("GET", url, {"Host": "127.0.0.1"}, **kwargs))
    parts = []
    while chunk := await resp.body.read_chunk():
        parts.append(chunk)
    return resp.status, b"".join(parts)


async def test_context_trusting_the_ca_verifies_the_server(
    serve: Serve, transport: NetworkTransport, trusting: ssl.SSLContext
) -> None:
    url = await serve()
    assert await get(transport, url, ssl=trusting) == (200, b"secret")


async def test_connector_ssl_context_applies_to_requests_without_ssl(
    serve: Serve, trusting: ssl.SSLContext
) -> None:
    url = await serve()
    net = NetworkTransport(TCPConnector(ssl=trusting))
    try:
        assert await get(net, url) == (200, b"secret")
    finally:
        await net.aclose()


async def test_default_context_rejects_an_unknown_ca(
    serve: Serve, transport: NetworkTransport
) -> None:
    url = await serve()
    with pytest.raises(ClientConnectorCertificateError) as info:
        await get(transport, url)
    assert isinstance(info.value.certificate_error, ssl.SSLCertVerificationError)
    assert info.value.host == "127.0.0.1"


async def test_wrong_hostname_is_rejected(
    serve: Serve, transport: NetworkTransport, trusting: ssl.SSLContext
) -> None:
    url = await serve()
    with pytest.raises(ClientConnectorCertificateError, match="match"):
        await get(transport, url, ssl=trusting, server_hostname="other.test")


async def test_server_hostname_overrides_the_name_checked(
    serve: Serve, transport: NetworkTransport, trusting: ssl.SSLContext
) -> None:
    url = await serve()
    assert await get(transport, url, ssl=trusting, server_hostname="api.test") == (
        200,
        b"secret",
    )


async def test_ssl_false_accepts_an_unverified_certificate(
    serve: Serve, transport: NetworkTransport
) -> None:
    url = await serve()
    assert await get(transport, url, ssl=False) == (200, b"secret")


async def test_tls_connection_is_reused(
    serve: Serve, transport: NetworkTransport, trusting: ssl.SSLContext
) -> None:
    accepted: list[int] = []

    async def counting(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(1)
        await answer_all(reader, writer)

    url = await serve(counting)
    await get(transport, url, ssl=trusting)
    await get(transport, url, ssl=trusting)
    assert len(accepted) == 1


async def test_plain_http_server_on_https_url_raises_ssl_error(
    serve: Serve, transport: NetworkTransport
) -> None:
    async def plain(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        await reader.read()

    url = await serve(plain, tls=False)
    with pytest.raises(ClientConnectorSSLError):
        await get(transport, url, ssl=False)


async def test_large_body_over_tls_arrives_intact(serve: Serve, trusting: ssl.SSLContext) -> None:
    data = bytes(range(256)) * 8192  # 2 MiB

    async def big(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(data) + data)
        await writer.drain()
        await reader.read()

    url = await serve(big)
    net = NetworkTransport(read_bufsize=2**12)
    try:
        assert await get(net, url, ssl=trusting) == (200, data)
    finally:
        await net.aclose()
