"""ClientWebSocketResponse's OPEN -> CLOSING -> CLOSED moves and the heartbeat they stop."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from multidict import CIMultiDict, CIMultiDictProxy

from aiotape import ServerTimeoutError
from aiotape.client.transport import ChunkedBody, Response, WSMessage, WSMsgType
from aiotape.client.websocket import ClientWebSocketResponse
from aiotape.client.ws_timeout import ClientWSTimeout

CLOSE_1000 = WSMessage(WSMsgType.CLOSE, 1000, "")


class PeerThatGoesQuiet:
    """A channel delivering ``script`` and then nothing until closed; it never answers."""

    protocol = None
    handshake = Response(
        101, "Switching Protocols", CIMultiDictProxy(CIMultiDict()), ChunkedBody(())
    )

    def __init__(self, script: Iterable[WSMessage] = ()) -> None:
        self.script = list(script)
        self.sent: list[WSMessage] = []
        self.gone = asyncio.Event()

    async def send(self, message: WSMessage) -> None:
        self.sent.append(message)

    async def receive(self) -> WSMessage:
        if self.script:
            return self.script.pop(0)
        await self.gone.wait()
        return WSMessage(WSMsgType.CLOSED, None, None)

    async def aclose(self) -> None:
        self.gone.set()


def over(channel: PeerThatGoesQuiet, heartbeat: float, autoclose: bool) -> ClientWebSocketResponse:
    return ClientWebSocketResponse(
        channel,
        timeout=ClientWSTimeout(ws_close=1.0),
        autoclose=autoclose,
        autoping=True,
        heartbeat=heartbeat,
    )


async def test_a_close_frame_stops_the_heartbeat_before_the_close_is_answered() -> None:
    channel = PeerThatGoesQuiet([CLOSE_1000])
    ws = over(channel, heartbeat=0.02, autoclose=False)
    assert (await ws.receive()).type is WSMsgType.CLOSE
    assert not ws.closed  # closing: the caller answers the close
    await asyncio.sleep(0.1)  # five heartbeat periods: a running heartbeat would have pinged
    assert channel.sent == []
    assert (await ws.receive()).type is WSMsgType.CLOSED
    assert ws.closed
    assert [m.type for m in channel.sent] == [WSMsgType.CLOSE]
    assert ws.close_code == 1000


async def test_close_after_a_heartbeat_failure_leaves_the_error_to_the_waiting_reader() -> None:
    channel = PeerThatGoesQuiet()
    ws = over(channel, heartbeat=30.0, autoclose=True)
    reader = asyncio.ensure_future(ws.receive())
    await asyncio.sleep(0)
    failure = ServerTimeoutError("No PONG received after 15.0 seconds")
    ws._fail(failure)  # what a missed pong does; the reader has not run yet
    assert ws.closed
    assert await ws.close() is False
    msg = await reader
    assert msg.type is WSMsgType.ERROR and msg.data is failure
    assert ws.exception() is failure
    assert ws.close_code == 1006
