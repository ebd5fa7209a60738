"""Request injection: CR, LF, NUL (and other non-token bytes) never reach the socket.

A recording server on 127.0.0.1 keeps every byte it receives. Each bad request must fail
with a clear error; a good request sent afterwards must be the only thing the server ever saw.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from http.cookies import CookieError
from typing import Any

import pytest
from yarl import URL

import aiotape
from tests.servers import StartRaw

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


@dataclass
class Recorder:
    """What a server received: the bytes of each connection, in order of acceptance."""

    url: URL
    received: list[bytearray] = field(default_factory=list)


@pytest.fixture
async def recorder(raw_server: StartRaw) -> Recorder:
    """A server that records everything and answers each request head with ``OK``."""
    rec = Recorder(URL("http://127.0.0.1"))

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        data = bytearray()
        rec.received.append(data)
        while chunk := await reader.read(65536):
            data += chunk
            if data.endswith(b"\r\n\r\n"):
                writer.write(OK)

    rec.url = (await raw_server(handler)).url
    return rec


@pytest.fixture
async def session() -> AsyncIterator[aiotape.ClientSession]:
    async with aiotape.ClientSession() as client:
        yield client


async def assert_only_the_good_request_arrived(
    session: aiotape.ClientSession, recorder: Recorder
) -> None:
    async with session.get(recorder.url / "good") as resp:
        assert await resp.read() == b"ok"
    assert len(recorder.received) == 1
    assert bytes(recorder.received[0]).startswith(b"GET /good HTTP/1.1\r\n")


@pytest.mark.parametrize(
    "method", ["GET\r\nX-Evil: 1", "GET\n", "GE\x00T", "GET / HTTP/1.1\r\n\r\nGET", "G T", ""]
)
async def test_method_with_control_characters_is_refused(
    session: aiotape.ClientSession, recorder: Recorder, method: str
) -> None:
    with pytest.raises(ValueError, match=r"[Mm]ethod"):
        await session.request(method, recorder.url / "bad")
    await assert_only_the_good_request_arrived(session, recorder)


@pytest.mark.parametrize("path", ["/a b", "/a\x00b", "/a\x7f", "/a\tb", "/a\r\nX-Evil: 1"])
async def test_raw_target_with_whitespace_or_controls_is_invalid_url(
    session: aiotape.ClientSession, recorder: Recorder, path: str
) -> None:
    url = URL.build(
        scheme="http", host="127.0.0.1", port=recorder.url.port, path=path, encoded=True
    )
    with pytest.raises(aiotape.InvalidURL, match="request target"):
        await session.get(url)
    await assert_only_the_good_request_arrived(session, recorder)


async def test_newlines_in_a_url_string_never_split_the_request_line(
    session: aiotape.ClientSession, recorder: Recorder
) -> None:
    async with session.get(f"{recorder.url}/a\r\nX-Evil: 1?q=\r\n2") as resp:
        await resp.read()
    request_line, _, headers = bytes(recorder.received[0]).partition(b"\r\n")
    assert request_line.count(b" ") == 2
    assert b"X-Evil" not in headers


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Value": "a\r\nX-Evil: 1"},
        {"X-Value": "a\nX-Evil: 1"},
        {"X-Value": "a\rb"},
        {"X-Value": "a\x00b"},
        {"X\r\nX-Evil": "1"},
        {"X-Evil: 1\r\nX": "1"},
        {"X-Name: smuggled": "1"},
        {"X Name": "1"},
        {"X\x00": "1"},
        {"": "1"},
        {"Host": "h\r\nX-Evil: 1"},
    ],
    ids=lambda headers: repr(headers),
)
async def test_header_with_control_characters_is_refused(
    session: aiotape.ClientSession, recorder: Recorder, headers: dict[str, str]
) -> None:
    with pytest.raises(ValueError, match="Newline or carriage return"):
        await session.get(recorder.url / "bad", headers=headers)
    await assert_only_the_good_request_arrived(session, recorder)


async def test_session_default_header_with_newline_is_refused(recorder: Recorder) -> None:
    async with aiotape.ClientSession(headers={"X-Default": "a\r\nX-Evil: 1"}) as client:
        with pytest.raises(ValueError, match="Newline or carriage return"):
            await client.get(recorder.url / "bad")
    assert recorder.received == []


@pytest.mark.parametrize("value", ["1\r\nX-Evil: 1", "1\n2", "1\r", "1\x00"])
async def test_cookie_value_with_control_characters_is_refused(
    session: aiotape.ClientSession, recorder: Recorder, value: str
) -> None:
    with pytest.raises(ValueError, match="contains CR, LF or NUL"):
        await session.get(recorder.url / "bad", cookies={"a": value})
    await assert_only_the_good_request_arrived(session, recorder)


async def test_cookie_name_with_newline_is_refused(
    session: aiotape.ClientSession, recorder: Recorder
) -> None:
    with pytest.raises(CookieError, match="Illegal key"):
        await session.get(recorder.url / "bad", cookies={"a\r\nX-Evil": "1"})
    await assert_only_the_good_request_arrived(session, recorder)


async def test_jar_drops_a_cookie_with_a_newline(recorder: Recorder) -> None:
    async with aiotape.ClientSession(cookie_jar=aiotape.CookieJar(unsafe=True)) as client:
        client.cookie_jar.update_cookies({"a": "1\r\nX-Evil: 1"}, URL(recorder.url))
        async with client.get(recorder.url / "good") as resp:
            await resp.read()
    assert b"X-Evil" not in recorder.received[0]
    assert b"Cookie" not in recorder.received[0]


async def test_websocket_handshake_header_with_newline_is_refused(
    session: aiotape.ClientSession, recorder: Recorder
) -> None:
    kwargs: dict[str, Any] = {"headers": {"X-Value": "a\r\nX-Evil: 1"}}
    with pytest.raises(ValueError):
        await session.ws_connect(recorder.url.with_scheme("ws") / "bad", **kwargs)
    await assert_only_the_good_request_arrived(session, recorder)
