"""The receive path of small responses: head fields as they arrive, bodies that arrive with
their head (read in one step), and truncation seen through ``read()`` and ``content``."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from httptools import HttpParserError

import aiotape
from aiotape.client.http11 import ResponseParser
from tests.servers import StartRaw, read_head


def parse(data: bytes, **limits: int) -> ResponseParser:
    parser = ResponseParser(**limits)
    parser.start("GET")
    parser.feed(data)
    return parser


def header_lines(count: int, prefix: bytes) -> bytes:
    return b"".join(b"%s-%d: v\r\n" % (prefix, i) for i in range(count))


def test_interim_headers_do_not_count_toward_the_final_heads_limit() -> None:
    interim = b"HTTP/1.1 103 Early Hints\r\n" + header_lines(10, b"Link") + b"\r\n"
    final = b"HTTP/1.1 200 OK\r\n" + header_lines(9, b"X") + b"Content-Length: 0\r\n\r\n"
    parser = parse(interim + final, max_headers=10)
    assert parser.head is not None
    assert len(parser.head.headers) == 10
    assert "Link-0" not in parser.head.headers


def test_trailers_are_counted_apart_from_the_head() -> None:
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n" + header_lines(9, b"X")
    parser = parse(head + b"\r\n0\r\n" + header_lines(10, b"T") + b"\r\n", max_headers=10)
    assert parser.keep_alive
    with pytest.raises(HttpParserError, match="Too many trailers"):
        parse(head + b"\r\n0\r\n" + header_lines(11, b"T") + b"\r\n", max_headers=10)


def test_fields_are_decoded_and_raw_headers_keep_the_bytes() -> None:
    parser = parse(
        b"HTTP/1.1 200 OK\r\nX-Name: caf\xc3\xa9 \t\r\nX-Bad: \xff\r\nContent-Length: 0\r\n\r\n"
    )
    assert parser.head is not None
    assert parser.head.headers["X-Name"] == "café"
    assert parser.head.headers["X-Bad"] == b"\xff".decode("utf-8", "surrogateescape")
    assert parser.head.raw_headers[:2] == ((b"X-Name", b"caf\xc3\xa9"), (b"X-Bad", b"\xff"))


async def test_small_bodies_read_in_one_step_on_one_connection(raw_server: StartRaw) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for i in range(6):
            await read_head(reader)
            body = b"body %d" % i
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))

    bodies = {}
    for name, session_class in (
        ("aiohttp", aiohttp.ClientSession),
        ("aiotape", aiotape.ClientSession),
    ):
        server = await raw_server(handler)
        async with session_class() as session:
            got = []
            for _ in range(3):
                async with session.get(server.url) as resp:
                    got.append(await resp.read())
                    got.append(await resp.read())  # the body is kept
        bodies[name] = (got, server.connections)
    assert bodies["aiotape"] == bodies["aiohttp"]
    assert bodies["aiotape"] == ([b"body 0"] * 2 + [b"body 1"] * 2 + [b"body 2"] * 2, 1)


async def test_truncated_body_fails_read_and_content_alike(raw_server: StartRaw) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_head(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
        await writer.drain()

    seen = {}
    for name, session_class, error in (
        ("aiohttp", aiohttp.ClientSession, aiohttp.ClientPayloadError),
        ("aiotape", aiotape.ClientSession, aiotape.ClientPayloadError),
    ):
        server = await raw_server(handler)
        async with session_class() as session:
            async with session.get(server.url) as resp:
                with pytest.raises(error) as raised:
                    await resp.read()
                seen[name] = (type(raised.value).__name__, resp.content.exception() is not None)
    assert seen["aiotape"] == seen["aiohttp"] == ("ClientPayloadError", True)
