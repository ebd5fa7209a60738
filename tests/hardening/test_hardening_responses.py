"""Hostile responses the fuzzer does not generate: slow-loris peers, garbage redirects,
undecodable header parameters."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

import aiotape
from aiotape.client.exceptions import (
    InvalidUrlRedirectClientError,
    NonHttpUrlRedirectClientError,
    RequestInfo,
)
from aiotape.client.response import ClientResponse
from aiotape.client.transport import ChunkedBody, Response

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
Serve = Callable[[Handler], Awaitable[URL]]


def trickle(data: bytes) -> Handler:
    """Send ``data`` one byte every 10 ms, forever (a slow-loris peer)."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            for byte in data:
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(0.01)

    return handler


async def test_slow_loris_head_is_cut_by_the_total_timeout(serve: Serve) -> None:
    url = await serve(trickle(b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"a" * 10**6))
    connector = aiotape.TCPConnector()
    async with aiotape.ClientSession(connector=connector) as session:
        with pytest.raises(asyncio.TimeoutError):
            await session.get(url, timeout=aiotape.ClientTimeout(total=0.2, sock_read=0.1))
        assert connector._total == 0


async def test_slow_loris_body_is_cut_by_the_total_timeout(serve: Serve) -> None:
    async def slow_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n")
        await trickle(b"a")(reader, writer)

    url = await serve(slow_body)
    connector = aiotape.TCPConnector()
    async with aiotape.ClientSession(connector=connector) as session:
        async with session.get(url, timeout=aiotape.ClientTimeout(total=0.2)) as resp:
            with pytest.raises(asyncio.TimeoutError):
                await resp.read()
        assert connector._total == 0
        assert not any(connector._idle.values())


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("http://[::1", InvalidUrlRedirectClientError),
        ("http://127.0.0.1:99999/", InvalidUrlRedirectClientError),
        ("http://127.0.0.1:abc/", InvalidUrlRedirectClientError),
        ("ftp://127.0.0.1/file", NonHttpUrlRedirectClientError),
        ("javascript:alert(1)", NonHttpUrlRedirectClientError),
        ("http:///loop", InvalidUrlRedirectClientError),  # no host (aiohttp 3.14)
        ("http://", InvalidUrlRedirectClientError),
    ],
)
async def test_garbage_redirect_location_raises_a_client_error(
    serve: Serve, location: str, expected: type[Exception]
) -> None:
    response = f"HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n"

    async def redirect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            writer.write(response.encode())
            await reader.readuntil(b"\r\n\r\n")

    url = await serve(redirect)
    async with aiotape.ClientSession() as session:
        with pytest.raises(expected):
            await session.get(url)


def response_with(headers: dict[str, str]) -> ClientResponse:
    url = URL("http://h.test/")
    wire = Response(200, "OK", CIMultiDictProxy(CIMultiDict(headers)), ChunkedBody([b"body"]))
    info = RequestInfo(url, "GET", CIMultiDictProxy(CIMultiDict()), url)
    return ClientResponse("GET", url, wire, request_info=info)


@pytest.mark.parametrize("charset", ["\udcffutf-8", "utf-8\x00"])
async def test_undecodable_charset_falls_back_to_utf8(charset: str) -> None:
    resp = response_with({"Content-Type": f"text/plain; charset={charset}"})
    await resp.read()  # aiohttp needs the body to pick a fallback charset
    assert resp.get_encoding() == "utf-8"
