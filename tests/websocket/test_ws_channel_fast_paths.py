"""The network channel's fast paths behave as its framer does: reads that are exactly one
small frame, messages handed to a waiting reader's future, plain data frames written
without the framer."""

from __future__ import annotations

import asyncio

import pytest

from aiotape.client.exceptions import ClientConnectionResetError
from aiotape.client.transport import WSMessage, WSMsgType
from aiotape.client.ws_channel import NetworkWebSocketChannel
from tests.websocket.test_websocket import _open_channel, server_frame


def _read(channel: NetworkWebSocketChannel, data: bytes) -> None:
    """Deliver ``data`` as one socket read, the way asyncio drives a BufferedProtocol."""
    buffer = channel.get_buffer(len(data))
    buffer[: len(data)] = data
    channel.buffer_updated(len(data))


async def test_one_text_frame_per_read_is_a_text_message() -> None:
    channel, _ = _open_channel()
    _read(channel, server_frame(0x1, "héllo".encode()))
    assert await channel.receive() == WSMessage(WSMsgType.TEXT, "héllo", "")


async def test_one_binary_frame_per_read_is_a_bytes_message_not_a_view_of_the_buffer() -> None:
    channel, _ = _open_channel()
    _read(channel, server_frame(0x2, b"\x00\x01"))
    _read(channel, server_frame(0x2, b"\x02\x03"))
    first, second = await channel.receive(), await channel.receive()
    assert type(first.data) is bytes and first.data == b"\x00\x01"
    assert second.data == b"\x02\x03"


async def test_invalid_utf8_in_a_one_frame_read_fails_with_1007() -> None:
    channel, transport = _open_channel()
    _read(channel, server_frame(0x1, b"\xff\xfe"))
    msg = await channel.receive()
    assert msg.type == WSMsgType.ERROR and msg.data.code == 1007
    assert transport.written[0] == 0x88


async def test_a_one_frame_read_above_max_msg_size_fails_with_1009() -> None:
    channel, transport = _open_channel(max_msg_size=4)
    _read(channel, server_frame(0x1, b"12345"))
    msg = await channel.receive()
    assert msg.type == WSMsgType.ERROR and msg.data.code == 1009
    assert transport.written[0] == 0x88


async def test_several_frames_in_one_read_arrive_in_order() -> None:
    channel, _ = _open_channel()
    _read(channel, server_frame(0x1, b"a") + server_frame(0xA, b"p") + server_frame(0x2, b"b"))
    assert [(await channel.receive()).data for _ in range(3)] == ["a", b"p", b"b"]


async def test_waiting_reader_gets_the_message_itself() -> None:
    channel, _ = _open_channel()
    reader = asyncio.ensure_future(channel.receive())
    await asyncio.sleep(0)
    _read(channel, server_frame(0x1, b"now"))
    assert await reader == WSMessage(WSMsgType.TEXT, "now", "")


async def test_message_after_a_cancelled_reader_is_kept_for_the_next() -> None:
    channel, _ = _open_channel()
    reader = asyncio.ensure_future(channel.receive())
    await asyncio.sleep(0)
    reader.cancel()
    with pytest.raises(asyncio.CancelledError):
        await reader
    _read(channel, server_frame(0x1, b"kept"))
    assert await channel.receive() == WSMessage(WSMsgType.TEXT, "kept", "")


async def test_waiting_reader_gets_closed_when_the_connection_is_lost() -> None:
    channel, _ = _open_channel()
    reader = asyncio.ensure_future(channel.receive())
    await asyncio.sleep(0)
    channel.connection_lost(None)
    assert (await reader).type == WSMsgType.CLOSED


async def test_plain_send_to_a_closing_socket_is_refused() -> None:
    channel, transport = _open_channel()
    transport.closing = True
    with pytest.raises(ClientConnectionResetError):
        await channel.send(WSMessage(WSMsgType.BINARY, b"late", None))
    assert transport.written == b""


async def test_no_plain_send_after_a_close_frame() -> None:
    channel, transport = _open_channel()
    await channel.send(WSMessage(WSMsgType.CLOSE, 1000, b""))
    sent = bytes(transport.written)
    with pytest.raises(ClientConnectionResetError):
        await channel.send(WSMessage(WSMsgType.TEXT, "late", None))
    assert transport.written == sent


async def test_waiting_reader_gets_a_large_message_whole_not_the_queued_marker() -> None:
    channel, _ = _open_channel(max_msg_size=0)
    payload = bytes(range(256)) * 300  # above the size handed over in the reader's future
    reader = asyncio.ensure_future(channel.receive())
    await asyncio.sleep(0)
    channel.data_received(server_frame(0x2, payload))
    assert await reader == WSMessage(WSMsgType.BINARY, payload, "")
