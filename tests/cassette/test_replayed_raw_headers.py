"""A replayed response's ``raw_headers`` (derived from the recorded headers when first read)
are what aiohttp gives for the same server response: bytes, names as sent, order kept (a
cassette keeps the values of one name together, under its first spelling: a repeated name
is sent so here)."""

from __future__ import annotations

from pathlib import Path

import aiohttp

import aiotape
from aiotape.cassettes import use_cassette
from aiotape.client.transport import header_bytes
from tests.cassette.test_cassette_roundtrip import Offline
from tests.servers import StartRaw, answering

HEAD = (
    b"HTTP/1.1 200 OK\r\n"
    b"content-TYPE: text/plain; charset=latin-1\r\n"
    b"Set-Cookie: a=1; Path=/\r\n"
    b"X-Repeated: one\r\n"
    b"X-Repeated: two\r\n"
    b"X-Empty: \r\n"
    b"Content-Length: 2\r\n"
    b"\r\n"
)


async def test_replayed_raw_headers_equal_aiohttps(raw_server: StartRaw, tmp_path: Path) -> None:
    server = await raw_server(answering(HEAD + b"ok"))
    url = f"{server.url}/raw"
    async with aiohttp.ClientSession() as session, session.get(url) as resp:
        expected = resp.raw_headers
        assert await resp.read() == b"ok"
    path = tmp_path / "raw.yaml"
    with use_cassette(path, record_mode="once"):
        async with aiotape.ClientSession() as session, session.get(url) as resp:
            recorded_live = resp.raw_headers
            assert await resp.read() == b"ok"
    with use_cassette(path, record_mode="none"):
        async with aiotape.ClientSession(transport=Offline()) as session:
            async with session.get(url) as resp:
                replayed_headers = list(resp.headers.items())
                replayed = resp.raw_headers
                assert resp.raw_headers is replayed  # derived once
                assert await resp.read() == b"ok"
    assert recorded_live == expected
    assert replayed == expected
    assert all(type(n) is bytes and type(v) is bytes for n, v in replayed)
    assert replayed == header_bytes(replayed_headers)


def test_header_bytes_undo_the_parsers_decoding() -> None:
    """Values were decoded as UTF-8 with surrogates escaped, names as latin-1."""
    pairs = [("X-A", "caf\xe9"), ("X-Snow", "\u2603"), ("X-Raw", "caf\udce9"), ("N\xe9", "v")]
    assert header_bytes(pairs) == (
        (b"X-A", b"caf\xc3\xa9"),
        (b"X-Snow", "\u2603".encode()),
        (b"X-Raw", b"caf\xe9"),
        (b"N\xe9", b"v"),
    )
    assert header_bytes([("X-\u2603", "\ud800")]) == (("X-\u2603".encode(), b"\xed\xa0\x80"),)
    assert header_bytes([]) == ()
