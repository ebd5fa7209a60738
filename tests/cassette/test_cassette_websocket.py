"""Websocket sessions: record the handshake and every message, replay them offline."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import WSMsgType as ServerMsgType
from aiohttp import web
from yarl import URL

import aiotape
from aiotape.cassettes import WebSocketMismatchError, load_cassette, use_cassette
from aiotape.client.transport import Request, Response, WebSocketChannel, WSMsgType
from tests.servers import serve_app


class Offline:
    """A session transport that fails the test if replay touches the network."""

    async def handle(self, request: Request) -> Response:
        raise AssertionError(f"network used during replay: {request.url}")

    async def connect_ws(self, request: Request, **options: object) -> WebSocketChannel:
        raise AssertionError(f"network used during replay: {request.url}")

    async def aclose(self) -> None:
        """Nothing to release."""


async def _chat(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(protocols=("chat",))
    await ws.prepare(request)
    await ws.send_str("welcome")
    await ws.ping(b"are-you-there")
    async for msg in ws:
        if msg.type is ServerMsgType.TEXT:
            if msg.data == "bye":
                await ws.close(code=4000, message=b"see you")
                break
            await ws.send_str(msg.data.upper())
        elif msg.type is ServerMsgType.BINARY:
            await ws.send_bytes(msg.data[::-1])
    return ws


@pytest.fixture
async def ws_server() -> AsyncIterator[URL]:
    app = web.Application()
    app.router.add_get("/chat", _chat)
    async with serve_app(app) as url:
        yield url


async def _conversation(session: aiotape.ClientSession, base: URL) -> list[Any]:
    transcript: list[Any] = []
    async with session.ws_connect(base / "chat", protocols=("chat",)) as ws:
        transcript.append(ws.protocol)
        transcript.append(await ws.receive_str())
        await ws.send_str("hello")
        transcript.append(await ws.receive_str())
        await ws.send_bytes(b"\x01\x02\x03")
        transcript.append(await ws.receive_bytes())
        await ws.send_str("bye")
        msg = await ws.receive()
        transcript.append((msg.type, msg.data, msg.extra))
        transcript.append(ws.close_code)
    return transcript


async def test_websocket_session_replays_the_same_transcript(
    ws_server: URL, tmp_path: Path
) -> None:
    path = tmp_path / "ws.yaml"
    with use_cassette(path, record_mode="once"):
        async with aiotape.ClientSession() as session:
            live = await _conversation(session, ws_server)
    with use_cassette(path) as cassette:
        async with aiotape.ClientSession(transport=Offline()) as session:
            replayed = await _conversation(session, ws_server)
    assert live == replayed
    assert live[-2:] == [(WSMsgType.CLOSE, 4000, "see you"), 4000]
    assert cassette.all_played


async def test_websocket_messages_are_stored_with_direction_and_type(
    ws_server: URL, tmp_path: Path
) -> None:
    path = tmp_path / "ws.yaml"
    with use_cassette(path, record_mode="once"):
        async with aiotape.ClientSession() as session:
            await _conversation(session, ws_server)
    [interaction] = load_cassette(path)
    assert interaction.response is not None and interaction.response.status == 101
    assert interaction.websocket is not None and interaction.websocket.protocol == "chat"
    frames = [(f.direction, f.type, f.data) for f in interaction.websocket.frames]
    assert [f for f in frames if f[1] in (WSMsgType.TEXT, WSMsgType.BINARY)] == [
        ("recv", WSMsgType.TEXT, "welcome"),
        ("send", WSMsgType.TEXT, "hello"),
        ("recv", WSMsgType.TEXT, "HELLO"),
        ("send", WSMsgType.BINARY, b"\x01\x02\x03"),
        ("recv", WSMsgType.BINARY, b"\x03\x02\x01"),
        ("send", WSMsgType.TEXT, "bye"),
    ]
    assert ("recv", WSMsgType.PING, b"are-you-there") in frames
    assert ("send", WSMsgType.PONG, b"are-you-there") in frames
    assert ("recv", WSMsgType.CLOSE, 4000) in frames
    closes = [
        (f.direction, f.extra) for f in interaction.websocket.frames if f.type is WSMsgType.CLOSE
    ]
    assert closes == [("recv", "see you"), ("send", "")]  # reasons stored as text, not "b''"


async def test_client_message_diverging_from_the_recording_fails_naming_both(
    ws_server: URL, tmp_path: Path
) -> None:
    path = tmp_path / "ws.yaml"
    with use_cassette(path, record_mode="once"):
        async with aiotape.ClientSession() as session:
            await _conversation(session, ws_server)
    with use_cassette(path) as cassette:
        session = aiotape.ClientSession(transport=Offline())
        async with session, session.ws_connect(ws_server / "chat", protocols=("chat",)) as ws:
            assert await ws.receive_str() == "welcome"
            with pytest.raises(WebSocketMismatchError) as info:
                await ws.send_str("goodbye")
    message = str(info.value)
    assert "the client sent TEXT 'goodbye', but the recording expects TEXT 'hello'" in message
    assert str(path) in message
    assert cassette.unmatched == [info.value]


async def test_rejected_handshake_replays_as_the_same_handshake_error(
    ws_server: URL, tmp_path: Path
) -> None:
    async def attempt(session: aiotape.ClientSession) -> tuple[Any, ...]:
        with pytest.raises(aiotape.WSServerHandshakeError) as info:
            await session.ws_connect(ws_server / "missing")
        return info.value.status, info.value.message

    path = tmp_path / "ws.yaml"
    with use_cassette(path, record_mode="once"):
        async with aiotape.ClientSession() as session:
            live = await attempt(session)
    with use_cassette(path):
        async with aiotape.ClientSession(transport=Offline()) as session:
            replayed = await attempt(session)
    assert live == replayed
    assert live[0] == 404
