"""Websocket framing: ``websockets``' sans-I/O client protocol (minus its automatic pong),
configured for one connection, and the fast writer of plain outgoing data frames."""

from __future__ import annotations

import asyncio
import os
import struct

from websockets.client import ClientProtocol
from websockets.exceptions import PayloadTooBig
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory
from websockets.frames import Frame, Opcode
from websockets.typing import BytesLike, Subprotocol
from websockets.uri import WebSocketURI

try:
    from websockets.speedups import apply_mask
except ImportError:  # websockets built without its C extension
    from websockets.utils import apply_mask

from .schemes import DEFAULT_PORTS
from .transport import Request, WSOptions

__all__ = ["ClientFramer", "FrameWriter", "framer_for", "message_size"]

_MASK_POOL = 4096
_JOIN_LIMIT = 1 << 16
_HEAD = struct.Struct("!BB")
_HEAD16 = struct.Struct("!BBH")
_HEAD64 = struct.Struct("!BBQ")


class ClientFramer(ClientProtocol):
    """websockets' client protocol, minus the automatic pong: autoping is decided above."""

    def recv_frame(self, frame: Frame) -> None:
        if frame.opcode is Opcode.PING:
            self.events.append(frame)
        else:
            super().recv_frame(frame)


class FrameWriter:
    """Writes final client data frames without extensions, bypassing the framer: masks come
    from a pool of random bytes drawn 4 KiB at a time."""

    __slots__ = ("_pool", "_pos")

    def __init__(self) -> None:
        self._pool = b""
        self._pos = 0

    def write(self, sock: asyncio.Transport, head1: int, payload: BytesLike) -> None:
        """Write a final client frame without extensions: what the framer builds, minus its
        per-frame overhead (RFC 6455 section 5.2; masked by websockets' C ``apply_mask``)."""
        length = len(payload)
        if length < 126:
            head = _HEAD.pack(head1, 0x80 | length)
        elif length < 1 << 16:
            head = _HEAD16.pack(head1, 0xFE, length)
        else:
            head = _HEAD64.pack(head1, 0xFF, length)
        pos = self._pos
        if pos == len(self._pool):
            self._pool = os.urandom(_MASK_POOL)
            pos = 0
        mask = self._pool[pos : pos + 4]
        self._pos = pos + 4
        if length < _JOIN_LIMIT:
            sock.write(head + mask + apply_mask(payload, mask))
        else:  # no copy of a large payload just to prepend a few bytes
            sock.write(head + mask)
            sock.write(apply_mask(payload, mask))


def framer_for(request: Request, options: WSOptions) -> ClientFramer:
    """The framer of a websocket to ``request.url``: its offered protocols and extensions."""
    url, compress = request.url, options.compress
    # A caller's own Sec-WebSocket-Protocol header is an offer too (aiohttp sends it as is).
    given = request.headers.get("Sec-WebSocket-Protocol", "")
    protocols = options.protocols or [p.strip() for p in given.split(",") if p.strip()]
    port = url.port if url.port is not None else DEFAULT_PORTS[url.scheme]
    extensions = None
    if compress:
        extensions = [
            ClientPerMessageDeflateFactory(
                server_max_window_bits=compress if compress < 15 else None,
                client_max_window_bits=True,
            )
        ]
    return ClientFramer(
        WebSocketURI(url.scheme == "wss", url.host or "", port, url.raw_path, url.raw_query_string),
        extensions=extensions,
        subprotocols=[Subprotocol(p) for p in protocols] if protocols else None,
        max_size=options.max_msg_size or None,
    )


def message_size(exc: PayloadTooBig) -> str:
    """The refused message's size as far as it is known (websockets >= 14 records it)."""
    size: int | None = getattr(exc, "size", None)
    if size is None:
        return "unknown"
    current: int | None = getattr(exc, "current_size", None)
    return str(size + (current or 0))
