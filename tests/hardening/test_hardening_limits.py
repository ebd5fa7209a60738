"""Limits: head sizes (aiohttp's max_line_size / max_field_size / max_headers), read_bufsize
and decompression bombs, through ClientSession against raw servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import tracemalloc
import zlib
from collections.abc import Awaitable, Callable, Iterator

import brotli  # type: ignore[import-untyped]
import pytest
from yarl import URL

import aiotape

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
Serve = Callable[[Handler], Awaitable[URL]]
MIB = 2**20


def answer(response: bytes) -> Handler:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(response)
        await writer.drain()
        await reader.read()

    return handler


async def get_status(url: URL, **session_options: int) -> int:
    async with aiotape.ClientSession(**session_options) as session:  # type: ignore[arg-type]
        async with session.get(url) as resp:
            await resp.read()
            return resp.status


# -- the response head ------------------------------------------------------------------------
async def test_status_line_over_max_line_size_is_a_400_response_error(serve: Serve) -> None:
    url = await serve(answer(b"HTTP/1.1 200 " + b"R" * 200 + b"\r\nContent-Length: 0\r\n\r\n"))
    with pytest.raises(aiotape.ClientResponseError, match="Status line is too long") as info:
        await get_status(url, max_line_size=100)
    assert info.value.status == 400


async def test_status_line_within_max_line_size_is_accepted(serve: Serve) -> None:
    url = await serve(answer(b"HTTP/1.1 200 " + b"R" * 80 + b"\r\nContent-Length: 0\r\n\r\n"))
    assert await get_status(url, max_line_size=100) == 200


async def test_header_value_over_max_field_size_is_a_400_response_error(serve: Serve) -> None:
    url = await serve(answer(b"HTTP/1.1 200 OK\r\nX-Big: " + b"v" * 101 + b"\r\n\r\n"))
    with pytest.raises(aiotape.ClientResponseError, match="Header value is too long") as info:
        await get_status(url, max_field_size=100)
    assert info.value.status == 400


async def test_header_name_over_max_field_size_is_a_400_response_error(serve: Serve) -> None:
    url = await serve(answer(b"HTTP/1.1 200 OK\r\n" + b"X" * 101 + b": v\r\n\r\n"))
    with pytest.raises(aiotape.ClientResponseError, match="Header name is too long"):
        await get_status(url, max_field_size=100)


async def test_more_headers_than_max_headers_is_a_400_response_error(serve: Serve) -> None:
    headers = b"".join(b"X-%d: v\r\n" % i for i in range(11))
    url = await serve(answer(b"HTTP/1.1 200 OK\r\n" + headers + b"Content-Length: 0\r\n\r\n"))
    with pytest.raises(aiotape.ClientResponseError, match="Too many headers"):
        await get_status(url, max_headers=10)


async def test_exactly_max_headers_are_accepted(serve: Serve) -> None:
    headers = b"".join(b"X-%d: v\r\n" % i for i in range(9))
    url = await serve(answer(b"HTTP/1.1 200 OK\r\n" + headers + b"Content-Length: 0\r\n\r\n"))
    assert await get_status(url, max_headers=10) == 200


def endless(start: bytes) -> Handler:
    """Send ``start``, then ``v`` bytes until the client hangs up (a line that never ends)."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(start)
        piece = b"v" * 65536
        while True:
            writer.write(piece)
            await writer.drain()

    return handler


async def test_endless_head_is_cut_off_with_a_400_response_error(serve: Serve) -> None:
    url = await serve(endless(b"HTTP/1.1 200 OK\r\nX-Endless: "))
    with pytest.raises(aiotape.ClientResponseError, match="Got more than") as info:
        await get_status(url)
    assert info.value.status == 400


async def test_endless_trailer_is_cut_off_with_a_payload_error(serve: Serve) -> None:
    url = await serve(
        endless(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\nX-T: ")
    )
    async with aiotape.ClientSession() as session:
        async with session.get(url) as resp:
            with pytest.raises(aiotape.ClientPayloadError, match="without the end of a line"):
                await resp.read()


# -- read_bufsize ----------------------------------------------------------------------------
async def flood(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """16 MiB of body, written as fast as the client takes it."""
    size = 16 * MIB
    piece = bytes(65536)
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size)
    for _ in range(size // len(piece)):
        writer.write(piece)
        await writer.drain()
    await reader.read()


async def test_read_bufsize_bounds_what_a_slow_reader_has_buffered(serve: Serve) -> None:
    url = await serve(flood)
    connector = aiotape.TCPConnector()
    async with aiotape.ClientSession(connector=connector, read_bufsize=2**12) as session:
        async with session.get(url) as resp:
            (conn,) = connector._in_use
            total = peak = 0
            async for chunk in resp.content.iter_any():
                total += len(chunk)
                for _ in range(4):  # a slow consumer: the socket outpaces it
                    await asyncio.sleep(0)
                peak = max(peak, conn.buffered)
    assert total == 16 * MIB
    assert peak <= 4 * 2**12 + 256 * 1024  # high-water mark plus at most one socket read


async def test_read_bufsize_bounds_readline(serve: Serve) -> None:
    line = b"x" * 5000 + b"\n"
    url = await serve(answer(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(line) + line))
    async with aiotape.ClientSession(read_bufsize=2**11) as session:
        async with session.get(url) as resp:
            with pytest.raises(ValueError, match="Chunk too big"):
                await resp.content.readline()


# -- decompression bombs ---------------------------------------------------------------------
BOMB_DECODED = 10 * 1024 * MIB  # what the server would send if the client kept reading
READ_DECODED = 200 * MIB  # what the client reads before it lets go
MEMORY_BOUND = 16 * MIB


def compressed_zeros(coding: str) -> Iterator[bytes]:
    """``coding``-compressed zeros, one piece per MiB, made lazily up to ``BOMB_DECODED``.

    For gzip and deflate, full flushes make every block after the first identical, so the
    server compresses two MiB in all.
    """
    zeros = bytes(MIB)
    blocks = BOMB_DECODED // MIB
    if coding == "br":
        brotli_compressor = brotli.Compressor(quality=1)
        for _ in range(blocks):
            yield brotli_compressor.process(zeros)
        return
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31 if coding == "gzip" else 15)
    yield compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    for _ in range(blocks - 1):
        yield block


def bomb(coding: str) -> Handler:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Encoding: %s\r\nTransfer-Encoding: chunked\r\n\r\n"
            % coding.encode()
        )
        for piece in compressed_zeros(coding):
            if piece:
                writer.write(b"%x\r\n%b\r\n" % (len(piece), piece))
                await writer.drain()

    return handler


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br"])
async def test_streaming_a_decompression_bomb_keeps_memory_bounded(
    serve: Serve, coding: str
) -> None:
    url = await serve(bomb(coding))
    async with aiotape.ClientSession() as session:
        tracemalloc.start()
        try:
            async with session.get(url) as resp:
                decoded = 0
                async for chunk in resp.content.iter_chunked(64 * 1024):
                    decoded += len(chunk)
                    if decoded >= READ_DECODED:
                        break
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert decoded >= READ_DECODED
    assert peak < MEMORY_BOUND
