"""Content-Length bodies streamed with ``iter_chunked`` / ``iter_any`` / ``readexactly``,
side by side with aiohttp.

aiotape counts such a body's bytes around httptools and cuts them into pieces straight from
the socket read; these pin that the bytes, the piece sizes a reader asks for, the errors,
the timeouts and the pooled connection are what aiohttp gives (the peers are the whole-body
tests').
"""

from __future__ import annotations

import asyncio
import random
from types import ModuleType
from typing import Any

import pytest

import aiotape
from tests.client.test_parity_whole_body import (
    BODY,
    GZIPPED,
    SIZE,
    Reply,
    _blank_lines,
    _closing,
    _gzipped,
    _head,
    _serve,
    _stalled,
    _trailing,
    _truncated,
    _whole,
)
from tests.parity import both, outcome
from tests.servers import StartRaw

SMALL = BODY[:3000]


async def _small(writer: asyncio.StreamWriter) -> None:
    writer.write(_head(len(SMALL)) + SMALL)


async def _uneven(writer: asyncio.StreamWriter) -> None:
    writer.write(_head(SIZE))
    start, sizes = 0, random.Random(3)
    while start < SIZE:
        step = sizes.choice((1, 17, 4096, 65535, 65537, 300_000))
        writer.write(BODY[start : start + step])
        await writer.drain()
        start += step


async def _chunked_reads(resp: Any, size: int) -> tuple[int, bool]:
    """The body's hash read with ``iter_chunked(size)``, and whether no piece was larger."""
    pieces = [piece async for piece in resp.content.iter_chunked(size)]
    return hash(b"".join(pieces)), all(0 < len(piece) <= size for piece in pieces)


async def _stream_twice(
    raw_server: StartRaw, reply: Reply, size: int = 2**16, **options: Any
) -> list[Any]:
    """Per client, on a server of its own: each of two streamed reads (hash and piece-size
    check, or the error) and how many connections the server saw."""

    async def call(lib: ModuleType) -> Any:
        server = await _serve(raw_server, reply)
        results = []
        async with lib.ClientSession(**options) as session:
            for _ in range(2):
                async with session.get(server.url) as resp:
                    results.append(await outcome(_chunked_reads(resp, size)))
        return results, server.connections

    return await both(call)


@pytest.mark.parametrize(
    ("reply", "body"),
    [(_whole, BODY), (_small, SMALL), (_uneven, BODY), (_blank_lines, BODY), (_closing, BODY)],
    ids=["keep-alive", "small", "uneven-writes", "blank-lines", "connection-close"],
)
@pytest.mark.parametrize("size", [1000, 2**16, 2**20])
async def test_streamed_body_and_connection_reuse_match_aiohttp(
    raw_server: StartRaw, reply: Reply, body: bytes, size: int
) -> None:
    theirs, ours = await _stream_twice(raw_server, reply, size)
    assert ours == theirs
    assert ours[0] == [(hash(body), True)] * 2


async def test_streamed_body_with_bytes_after_it_drops_the_connection(
    raw_server: StartRaw,
) -> None:
    # aiohttp may take the bytes for the next response (racy, so not compared).
    server = await _serve(raw_server, _trailing)
    async with aiotape.ClientSession() as session:
        for _ in range(2):
            async with session.get(server.url) as resp:
                assert await _chunked_reads(resp, 2**16) == (hash(BODY), True)
    assert server.connections == 2


async def test_streamed_body_cut_short_raises_client_payload_error_like_aiohttp(
    raw_server: StartRaw,
) -> None:
    theirs, ours = await _stream_twice(raw_server, _truncated)
    assert ours == theirs
    assert ours[0][0][0] == "ClientPayloadError"
    assert f"received {SIZE // 2} of {SIZE} bytes" in ours[0][0][1]


@pytest.mark.parametrize(
    "timeout", [{"sock_read": 0.3}, {"total": 0.5}], ids=["sock_read", "total"]
)
async def test_streamed_body_stalling_mid_body_times_out_like_aiohttp(
    raw_server: StartRaw, timeout: dict[str, float]
) -> None:
    async def call(lib: ModuleType) -> Any:
        server = await _serve(raw_server, _stalled)
        received = 0
        async with lib.ClientSession(timeout=lib.ClientTimeout(**timeout)) as session:
            resp = await session.get(server.url)
            try:
                async for piece in resp.content.iter_chunked(2**16):
                    received += len(piece)
            except Exception as exc:
                error = type(exc).__name__
            resp.release()
            return error, received, resp.closed

    theirs, ours = await both(call)
    assert ours == theirs
    assert ours[:2] in (("SocketTimeoutError", SIZE // 2), ("TimeoutError", SIZE // 2))


@pytest.mark.parametrize("auto_decompress", [True, False])
async def test_streamed_gzip_body_matches_aiohttp(
    raw_server: StartRaw, auto_decompress: bool
) -> None:
    theirs, ours = await _stream_twice(raw_server, _gzipped, auto_decompress=auto_decompress)
    assert ours == theirs
    assert ours[0][0] == (hash(BODY if auto_decompress else GZIPPED), True)


async def test_streamed_body_read_in_exact_pieces_and_any_matches_aiohttp(
    raw_server: StartRaw,
) -> None:
    async def call(lib: ModuleType) -> Any:
        server = await _serve(raw_server, _uneven)
        async with lib.ClientSession() as session, session.get(server.url) as resp:
            head = await resp.content.readexactly(100_003)
            rest = [piece async for piece in resp.content.iter_any()]
            return hash(head + b"".join(rest)), resp.content.at_eof()

    assert await both(call) == [(hash(BODY), True)] * 2
