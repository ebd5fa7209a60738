"""Compare the sans-I/O websocket framers aiotape could build on: ``websockets`` and ``wsproto``.

Only the client side is measured, in-process and without sockets: each round trip frames
(and masks) one outgoing message and parses one incoming, unmasked server frame prepared in
advance, so both libraries do exactly the work a client does per message.

    python benchmarks/ws_framers.py

prints (a) small-message round trips per second and (b) 1 MiB message throughput, as the
median of several rounds.
"""

from __future__ import annotations

import statistics
import struct
import time
from collections.abc import Callable

from websockets.client import ClientProtocol
from websockets.frames import Frame
from websockets.protocol import OPEN
from websockets.uri import parse_uri
from wsproto.connection import Connection, ConnectionType
from wsproto.events import BytesMessage, TextMessage

SMALL = "hello, websocket"
BIG = bytes(range(256)) * 4096  # 1 MiB
ROUNDS = 7
SMALL_ITERATIONS = 20_000
BIG_ITERATIONS = 40

RoundTrip = Callable[[], None]


def server_frame(opcode: int, payload: bytes) -> bytes:
    """An unmasked, final server frame (RFC 6455 section 5.2)."""
    size = len(payload)
    if size < 126:
        head = struct.pack("!BB", 0x80 | opcode, size)
    elif size < 1 << 16:
        head = struct.pack("!BBH", 0x80 | opcode, 126, size)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 127, size)
    return head + payload


def websockets_text() -> RoundTrip:
    """One small TEXT message each way through ``websockets.client.ClientProtocol``."""
    proto = ClientProtocol(parse_uri("ws://bench/"), state=OPEN, max_size=None)
    incoming = server_frame(0x1, SMALL.encode())
    outgoing = SMALL.encode()

    def round_trip() -> None:
        proto.send_text(outgoing)
        proto.data_to_send()
        proto.receive_data(incoming)
        (frame,) = proto.events_received()
        assert isinstance(frame, Frame)
        str(frame.data, "utf-8")

    return round_trip


def wsproto_text() -> RoundTrip:
    """One small TEXT message each way through ``wsproto.connection.Connection``."""
    conn = Connection(ConnectionType.CLIENT)
    incoming = server_frame(0x1, SMALL.encode())

    def round_trip() -> None:
        conn.send(TextMessage(data=SMALL))
        conn.receive_data(incoming)
        for _event in conn.events():
            pass

    return round_trip


def websockets_big() -> RoundTrip:
    """One 1 MiB BINARY message each way through ``websockets``."""
    proto = ClientProtocol(parse_uri("ws://bench/"), state=OPEN, max_size=None)
    incoming = server_frame(0x2, BIG)

    def round_trip() -> None:
        proto.send_binary(BIG)
        proto.data_to_send()
        proto.receive_data(incoming)
        (frame,) = proto.events_received()
        assert isinstance(frame, Frame) and len(frame.data) == len(BIG)

    return round_trip


def wsproto_big() -> RoundTrip:
    """One 1 MiB BINARY message each way through ``wsproto``."""
    conn = Connection(ConnectionType.CLIENT)
    incoming = server_frame(0x2, BIG)

    def round_trip() -> None:
        conn.send(BytesMessage(data=BIG))
        conn.receive_data(incoming)
        received = [event.data for event in conn.events() if isinstance(event, BytesMessage)]
        assert sum(map(len, received)) == len(BIG)

    return round_trip


def rate(factory: Callable[[], RoundTrip], iterations: int) -> float:
    """Median round trips per second over ROUNDS rounds."""
    round_trip = factory()
    rates = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for _ in range(iterations):
            round_trip()
        rates.append(iterations / (time.perf_counter() - start))
    return statistics.median(rates)


def main() -> None:
    """Run both scenarios for both libraries and print the comparison."""
    small_ws = rate(websockets_text, SMALL_ITERATIONS)
    small_wp = rate(wsproto_text, SMALL_ITERATIONS)
    big_ws = rate(websockets_big, BIG_ITERATIONS) * 2 * len(BIG) / 2**20
    big_wp = rate(wsproto_big, BIG_ITERATIONS) * 2 * len(BIG) / 2**20
    print(f"{'':32}{'websockets':>14}{'wsproto':>14}{'ratio':>8}")
    print(
        f"{'small echo round trips/s':32}{small_ws:14,.0f}{small_wp:14,.0f}"
        f"{small_ws / small_wp:8.2f}"
    )
    print(f"{'1 MiB messages, MiB/s':32}{big_ws:14,.0f}{big_wp:14,.0f}{big_ws / big_wp:8.2f}")


if __name__ == "__main__":
    main()
