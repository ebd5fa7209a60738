"""A response whose header values or reason phrase are not UTF-8 (a server sending latin-1)
records and replays: those values are written as ``!!binary`` (YAML cannot hold the lone
surrogates they decode to) and replay as aiohttp gives them live, to the byte."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest
import yaml

import aiotape
from aiotape.cassettes import load_cassette, use_cassette
from tests.cassette.test_cassette_roundtrip import Offline
from tests.servers import StartRaw, answering

HEAD = (
    b"HTTP/1.1 200 D\xe9j\xe0 vu\r\n"
    b"X-Name: caf\xe9\r\n"
    b"X-Plain: caf\xc3\xa9\r\n"
    b"Content-Length: 2\r\n"
    b"\r\n"
)


async def test_non_utf8_headers_and_reason_record_and_replay_as_aiohttp_sees_them(
    raw_server: StartRaw, tmp_path: Path
) -> None:
    server = await raw_server(answering(HEAD + b"ok"))
    url = f"{server.url}/latin"
    async with aiohttp.ClientSession() as session, session.get(url) as resp:
        expected = (resp.reason, list(resp.headers.items()), resp.raw_headers)
    path = tmp_path / "latin.yaml"
    with use_cassette(path, record_mode="once"):
        async with aiotape.ClientSession() as session, session.get(url) as resp:
            live = (resp.reason, list(resp.headers.items()), resp.raw_headers)
            assert await resp.read() == b"ok"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    response = document["interactions"][0]["response"]
    assert response["headers"]["X-Name"] == [b"caf\xe9"]
    assert response["headers"]["X-Plain"] == ["café"]
    assert response["status"]["message"] == b"D\xe9j\xe0 vu"
    with use_cassette(path, record_mode="none"):
        async with aiotape.ClientSession(transport=Offline()) as session:
            async with session.get(url) as resp:
                replayed = (resp.reason, list(resp.headers.items()), resp.raw_headers)
                assert await resp.read() == b"ok"
    assert live == expected
    assert replayed == expected
    assert load_cassette(path)[0].response is not None


async def test_the_json_serializer_says_it_cannot_hold_them(
    raw_server: StartRaw, tmp_path: Path
) -> None:
    server = await raw_server(answering(HEAD + b"ok"))
    cassette = use_cassette(tmp_path / "latin.json", record_mode="once", serializer="json")
    with pytest.raises(TypeError, match="binary, which JSON cannot hold"), cassette:
        async with aiotape.ClientSession() as session, session.get(f"{server.url}/j") as resp:
            await resp.read()
    assert not (tmp_path / "latin.json").exists()
