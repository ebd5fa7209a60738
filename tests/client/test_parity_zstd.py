"""zstd response bodies, decoded where aiohttp decodes them (compression.zstd / backports.zstd)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator
from types import ModuleType

import aiohttp
import pytest
from aiohttp import web
from yarl import URL

import aiotape
from aiotape.client.decoders import MAX_PIECE, make_decoder, pieces
from tests.servers import serve_app

zstd = pytest.importorskip("backports.zstd" if sys.version_info < (3, 14) else "compression.zstd")

BODY = b'{"greeting": "hello zstd"}' * 100


async def _zstd(request: web.Request) -> web.Response:
    frames = int(request.query.get("frames", "1"))
    payload = b"".join(zstd.compress(BODY) for _ in range(frames))
    if "truncate" in request.query:
        payload = payload[:-4]
    return web.Response(
        body=payload,
        headers={"Content-Encoding": "zstd", "Content-Type": "application/json"},
    )


async def _accept(request: web.Request) -> web.Response:
    return web.Response(text=request.headers.get("Accept-Encoding", ""))


@pytest.fixture
async def server() -> AsyncIterator[URL]:
    app = web.Application()
    app.router.add_get("/zstd", _zstd)
    app.router.add_get("/accept", _accept)
    async with serve_app(app) as url:
        yield url


async def _get(client: ModuleType, url: URL) -> tuple[int, bytes]:
    async with client.ClientSession() as session, session.get(url) as resp:
        return resp.status, await resp.read()


@pytest.mark.parametrize("frames", [1, 3])
async def test_zstd_body_decodes_as_with_aiohttp(server: URL, frames: int) -> None:
    url = (server / "zstd").with_query(frames=frames)
    theirs, ours = await _get(aiohttp, url), await _get(aiotape, url)
    assert ours == theirs == (200, BODY * frames)


async def test_accept_encoding_offers_zstd_as_aiohttp_does(server: URL) -> None:
    theirs, ours = await _get(aiohttp, server / "accept"), await _get(aiotape, server / "accept")
    assert ours == theirs
    assert b"zstd" in ours[1]


async def test_truncated_zstd_body_raises_client_payload_error(server: URL) -> None:
    """Deliberately stricter than aiohttp 3.14, which returns the partial body silently
    (aiotape raises for truncated gzip, deflate and br alike)."""
    url = (server / "zstd").with_query(truncate="1")
    status, partial = await _get(aiohttp, url)
    assert status == 200 and len(partial) < len(BODY)
    async with aiotape.ClientSession() as session, session.get(url) as resp:
        with pytest.raises(aiotape.ClientPayloadError, match="zstd"):
            await resp.read()


def test_a_zstd_bomb_decodes_in_bounded_pieces() -> None:
    bomb = zstd.compress(b"\0" * (20 * MAX_PIECE))
    decoder = make_decoder("zstd")
    assert decoder is not None
    sizes = [len(piece) for piece in pieces(decoder, bomb)]
    assert max(sizes) <= MAX_PIECE
    assert sum(sizes) + len(decoder.flush()) == 20 * MAX_PIECE


def test_without_a_zstd_module_zstd_is_neither_offered_nor_decoded() -> None:
    blocked = "backports.zstd" if sys.version_info < (3, 14) else "compression.zstd"
    code = (
        f"import sys; sys.modules[{blocked!r}] = None\n"
        "from aiotape.client.decoders import ACCEPT_ENCODING, make_decoder\n"
        "from aiotape.client.prepare import DEFAULT_HEADERS\n"
        "print(ACCEPT_ENCODING, make_decoder('zstd'), dict(DEFAULT_HEADERS)['Accept-Encoding'])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["gzip,", "deflate,", "br", "None", "gzip,", "deflate,", "br"]
