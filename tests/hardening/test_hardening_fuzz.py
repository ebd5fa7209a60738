"""Fuzzing the whole client (session, decoding, pool) with malformed responses.

One raw asyncio server on 127.0.0.1 serves every generated case: each request asks for
``/case/<n>`` and the server answers with that case's bytes (split into pieces, trickled),
then closes, resets or keeps the connection. Every case must end in a correct response or a
``ClientError`` subclass, never hang, never leave a broken connection in the pool, and the
client must close every socket it opened.

The default suite runs a fixed subset; ``AIOTAPE_FUZZ_CASES=10000 pytest -s
tests/hardening/test_hardening_fuzz.py`` also runs a long random campaign and prints its outcomes.
"""

from __future__ import annotations

import asyncio
import gzip
import itertools
import os
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

import brotli  # type: ignore[import-untyped]
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import aiotape
from aiotape.client.connection import HTTP11Connection
from aiotape.client.exceptions import ServerTimeoutError

FAST_CASES = 300
CASE_GUARD = 10.0  # seconds: a case still running after this is a hang (never reached)
STALL_READ = 0.1  # sock_read of requests whose connection the server keeps open


@dataclass(frozen=True, slots=True)
class Message:
    """A response before it is serialized: the parts the mutations work on."""

    status_line: bytes
    headers: tuple[tuple[bytes, bytes], ...]
    payload: bytes  # content-encoded body
    framing: str  # "length", "chunked" or "close"
    chunk_sizes: tuple[int, ...] = ()
    chunk_lines: tuple[bytes, ...] = ()  # replaces the generated size lines when set
    last_chunk: bytes = b"0\r\n\r\n"

    def serialize(self, send_body: bool) -> bytes:
        """The bytes on the wire."""
        head = self.status_line + b"\r\n"
        head += b"".join(name + b": " + value + b"\r\n" for name, value in self.headers)
        head += b"\r\n"
        if not send_body:
            return head
        if self.framing != "chunked":
            return head + self.payload
        return head + b"".join(self._chunks()) + self.last_chunk

    def _chunks(self) -> Iterator[bytes]:
        start = 0
        for i, size in enumerate(self.chunk_sizes):
            piece = self.payload[start : start + size]
            start += size
            line = self.chunk_lines[i] if i < len(self.chunk_lines) else b"%x" % len(piece)
            yield line + b"\r\n" + piece + b"\r\n"


@dataclass(frozen=True, slots=True)
class Case:
    """One request and what the server answers; ``expected`` is set for well-formed answers."""

    method: str
    wire: bytes
    splits: tuple[int, ...]
    ending: str  # "close", "reset" or "keep"
    reader: str  # how the client consumes the body
    expected: tuple[int, bytes] | None
    mutations: tuple[str, ...] = ()

    def pieces(self) -> list[bytes]:
        """``wire`` cut at ``splits``."""
        cuts = [0, *sorted(s for s in self.splits if 0 < s < len(self.wire)), len(self.wire)]
        return [self.wire[a:b] for a, b in itertools.pairwise(cuts) if b > a]


# -- generation -------------------------------------------------------------------------------

_CODINGS: dict[str, Callable[[bytes], bytes]] = {
    "identity": lambda data: data,
    "gzip": gzip.compress,
    "x-gzip": gzip.compress,
    "deflate": zlib.compress,
    "br": brotli.compress,
}
_BODYLESS = (204, 304)
_EXTRA_HEADERS = st.sampled_from(
    [
        (b"Content-Type", b"application/json; charset=utf-8"),
        (b"Content-Type", b'text/plain; charset="no-such-charset"'),
        (b"Content-Type", b";;;=;"),
        (b"Set-Cookie", b"a=1; Path=/; HttpOnly"),
        (b"Set-Cookie", b'=;;;"\\'),
        (b"Set-Cookie", b"b=2; Expires=Mon, 99 Foo 99999 99:99:99 GMT; Max-Age=abc"),
        (b"Server", b"fuzz"),
        (b"X-Utf8", "\u00e9\u2603".encode()),
        (b"X-Latin1", b"\xe9\xff"),
        (b"Content-Disposition", b"attachment; filename*=utf-8''%ZZ"),
    ]
)

_BAD_STATUS_LINES = [
    b"HTTP/1.1 abc OK",
    b"HTTP/1.1 20 OK",
    b"HTTP/1.1 2000 OK",
    b"HTTP/1.1 -200 OK",
    b"HTTP/2.0 200 OK",
    b"HTTP/9.9 200 OK",
    b"http/1.1 200 OK",
    b"HTTP/1.1200 OK",
    b"HTTP/1.1  200 OK",
    b"ICY 200 OK",
    b"HTTP/1.1 200 O\x00K",
    b"HTTP/1.1 200 \xff\xfe",
    b"HTTP/1.1 200 OK\rX",
    b"",
    b"\x16\x03\x01\x02\x00",
    b" HTTP/1.1 200 OK",
]
_BAD_LENGTHS = [
    b"+5",
    b"-1",
    b"0x10",
    b"5 5",
    b"5, 6",
    b"5,5",
    b"99999999999999999999999",
    b"18446744073709551616",
    b"",
    b" ",
    b"1e3",
    "\u0661".encode(),
]
_TE_SHAPES = [
    b"chunked",
    b"xchunked",
    b"chunked, identity",
    b"identity, chunked",
    b"gzip, chunked",
    b"identity",
    b"CHUNKED",
    b" chunked",
    b"chunked\x00",
    b"chunked;q=1",
]
_CHUNK_LINES = [
    b"fffffffffffffffffff",
    b"ffffffffffffffff",
    b"-1",
    b"0x5",
    b" 5",
    b"5 ",
    b"5;ext=1",
    b"5;\x00",
    b"",
    b"z",
    b"8000000000000000",
    b"1\r\n",
]
_LAST_CHUNKS = [b"", b"0\r\n", b"0\r\nX-Trailer: 1\r\n\r\n", b"0\r\nbad trailer\r\n\r\n", b"0"]
_BAD_HEADER_LINES = [
    (b"Bad Name", b"1"),
    (b"Bad\x7fName", b"1"),
    (b"Bad\x80Name", b"1"),
    (b"(paren)", b"1"),
    (b"", b"empty name"),
    (b"X-Nul", b"a\x00b"),
    (b"X-Ctl", b"a\x01b"),
    (b"X-Del", b"a\x7fb"),
    (b"X-Fold", b"a\r\n b"),
    (b"X-Bare-Cr", b"a\rb"),
    (b"X-Bare-Lf", b"a\nb"),
    (b"NoColon\r\nX", b"1"),
    (b"Transfer-Encoding ", b"chunked"),
    (b"Content-Length\t", b"1"),
    (b"X-Long", b"v" * 9000),
    (b"X" * 9000, b"v"),
]
_SPECIAL_BYTES = [b"\x00", b"\r", b"\n", b"\r\n", b"\xff", b" ", b"\t", b":", b"\x7f"]


def _text_like() -> st.SearchStrategy[bytes]:
    words = st.sampled_from([b"hello ", b'{"k": 1}', b"\x00\x01", b"zzzz", b"\xe2\x98\x83"])
    return st.lists(words, max_size=200).map(b"".join)


def _chunk_sizes(draw: st.DrawFn, total: int) -> tuple[int, ...]:
    sizes = []
    left = total
    while left:
        size = draw(st.integers(1, max(1, left)))
        sizes.append(size)
        left -= size
        if len(sizes) >= 8 and left:
            sizes.append(left)
            break
    return tuple(sizes)


@st.composite
def _well_formed(draw: st.DrawFn) -> tuple[str, int, bytes, Message]:
    """A valid response: the request method, status, decoded body and the message."""
    method = draw(st.sampled_from(["GET", "GET", "GET", "HEAD", "POST", "DELETE"]))
    status = draw(st.sampled_from([200, 200, 201, 204, 206, 299, 304, 404, 500, 599]))
    body = draw(st.one_of(st.binary(max_size=600), _text_like()))
    coding = draw(st.sampled_from(sorted(_CODINGS)))
    framing = draw(st.sampled_from(["length", "chunked", "close"]))
    if status in _BODYLESS:
        body, coding, framing = b"", "identity", "length"
    payload = _CODINGS[coding](body)
    headers: list[tuple[bytes, bytes]] = [(b"Server", b"fuzz")]
    if coding != "identity":
        headers.append((b"Content-Encoding", coding.encode()))
    if framing == "length":
        headers.append((b"Content-Length", b"%d" % len(payload)))
    elif framing == "chunked":
        headers.append((b"Transfer-Encoding", b"chunked"))
    headers += draw(st.lists(_EXTRA_HEADERS, max_size=3))
    reason = draw(st.sampled_from([b"OK", b"", b"Some Reason", b"\xc3\xa9t\xc3\xa9"]))
    message = Message(
        b"HTTP/1.1 %d %s" % (status, reason) if reason else b"HTTP/1.1 %d " % status,
        tuple(headers),
        payload,
        framing,
        _chunk_sizes(draw, len(payload)) if framing == "chunked" else (),
    )
    if method == "HEAD" or status in _BODYLESS:
        body = b""
    return method, status, body, message


def _with_header(message: Message, header: tuple[bytes, bytes], at: int) -> Message:
    headers = list(message.headers)
    headers.insert(at % (len(headers) + 1), header)
    return replace(message, headers=tuple(headers))


_StructuralMutation = Callable[[st.DrawFn, Message], Message]


def _bad_status_line(draw: st.DrawFn, message: Message) -> Message:
    line = draw(st.one_of(st.sampled_from(_BAD_STATUS_LINES), st.binary(max_size=40)))
    return replace(message, status_line=line)


def _extra_length(draw: st.DrawFn, message: Message) -> Message:
    value = draw(
        st.one_of(
            st.sampled_from(_BAD_LENGTHS),
            st.integers(0, 2 * len(message.payload) + 2).map(lambda n: b"%d" % n),
        )
    )
    return _with_header(message, (b"Content-Length", value), draw(st.integers(0, 8)))


def _transfer_encoding(draw: st.DrawFn, message: Message) -> Message:
    value = draw(st.sampled_from(_TE_SHAPES))
    return _with_header(message, (b"Transfer-Encoding", value), draw(st.integers(0, 8)))


def _bad_header(draw: st.DrawFn, message: Message) -> Message:
    header = draw(st.sampled_from(_BAD_HEADER_LINES))
    return _with_header(message, header, draw(st.integers(0, 8)))


def _many_headers(draw: st.DrawFn, message: Message) -> Message:
    count = draw(st.sampled_from([127, 129, 300]))
    extra = tuple((b"X-%d" % i, b"v") for i in range(count))
    return replace(message, headers=message.headers + extra)


def _chunk_framing(draw: st.DrawFn, message: Message) -> Message:
    headers = tuple(h for h in message.headers if h[0] not in (b"Content-Length",))
    if message.framing != "chunked":
        headers += ((b"Transfer-Encoding", b"chunked"),)
    sizes = message.chunk_sizes or (len(message.payload),)
    lines = tuple(
        draw(st.one_of(st.sampled_from(_CHUNK_LINES), st.just(b"%x" % size))) for size in sizes
    )
    last = draw(st.one_of(st.just(message.last_chunk), st.sampled_from(_LAST_CHUNKS)))
    return replace(
        message,
        headers=headers,
        framing="chunked",
        chunk_sizes=sizes,
        chunk_lines=lines,
        last_chunk=last,
    )


def _bad_payload(draw: st.DrawFn, message: Message) -> Message:
    coding = draw(st.sampled_from(["gzip", "deflate", "br"]))
    payload = message.payload
    kind = draw(st.sampled_from(["random", "flip", "truncate", "plain"]))
    if kind == "random":
        payload = draw(st.binary(min_size=1, max_size=200))
    elif kind == "plain":
        payload = payload or b"not compressed"
    else:
        payload = _CODINGS[coding](payload or b"x" * 50)
        at = draw(st.integers(0, len(payload) - 1))
        payload = (
            payload[:at] + bytes([payload[at] ^ 0x5A]) + payload[at + 1 :]
            if kind == "flip"
            else payload[:at]
        )
    headers = tuple(
        h for h in message.headers if h[0].lower() not in (b"content-length", b"content-encoding")
    )
    headers += ((b"Content-Encoding", coding.encode()),)
    if message.framing == "length":
        headers += ((b"Content-Length", b"%d" % len(payload)),)
    sizes = _chunk_sizes(draw, len(payload)) if message.framing == "chunked" else ()
    return replace(message, headers=headers, payload=payload, chunk_sizes=sizes, chunk_lines=())


_STRUCTURAL: dict[str, _StructuralMutation] = {
    "status line": _bad_status_line,
    "content-length": _extra_length,
    "transfer-encoding": _transfer_encoding,
    "header bytes": _bad_header,
    "header count": _many_headers,
    "chunk framing": _chunk_framing,
    "content-encoding": _bad_payload,
}

_RawMutation = Callable[[st.DrawFn, bytes], bytes]


def _insert(draw: st.DrawFn, wire: bytes) -> bytes:
    at = draw(st.integers(0, len(wire)))
    return wire[:at] + draw(st.sampled_from(_SPECIAL_BYTES)) + wire[at:]


def _replace_byte(draw: st.DrawFn, wire: bytes) -> bytes:
    if not wire:
        return wire
    at = draw(st.integers(0, len(wire) - 1))
    return wire[:at] + draw(st.sampled_from(_SPECIAL_BYTES)) + wire[at + 1 :]


def _truncate(draw: st.DrawFn, wire: bytes) -> bytes:
    return wire[: draw(st.integers(0, max(0, len(wire) - 1)))]


def _trailing(draw: st.DrawFn, wire: bytes) -> bytes:
    junk = draw(st.sampled_from([b"HTTP/1.1 200 OK\r\n\r\n", b"\r\n", b"garbage", b"\x00"]))
    return wire + junk


def _interim(draw: st.DrawFn, wire: bytes) -> bytes:
    interim = draw(
        st.sampled_from(
            [
                b"HTTP/1.1 100 Continue\r\n\r\n",
                b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n",
                b"HTTP/1.1 100 Continue\r\nContent-Length: 5\r\n\r\n",
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\n",
            ]
        )
    )
    return interim + wire


_RAW: dict[str, _RawMutation] = {
    "insert byte": _insert,
    "replace byte": _replace_byte,
    "truncate": _truncate,
    "trailing bytes": _trailing,
    "interim": _interim,
}


@st.composite
def cases(draw: st.DrawFn) -> Case:
    """A well-formed response, or one with structural and byte-level mutations."""
    method, status, body, message = draw(_well_formed())
    structural = draw(st.lists(st.sampled_from(sorted(_STRUCTURAL)), max_size=2, unique=True))
    raw = draw(st.lists(st.sampled_from(sorted(_RAW)), max_size=2, unique=True))
    if draw(st.integers(0, 4)) == 0:  # a fifth of the cases stay well-formed
        structural, raw = [], []
    elif not structural and not raw:
        raw = [draw(st.sampled_from(sorted(_RAW)))]
    for name in structural:
        message = _STRUCTURAL[name](draw, message)
    wire = message.serialize(send_body=method != "HEAD")
    for name in raw:
        wire = _RAW[name](draw, wire)
    mutated = bool(structural or raw)
    if mutated:
        ending = draw(st.sampled_from(["close"] * 12 + ["reset"] * 4 + ["keep"]))
    elif message.framing == "close" and method != "HEAD" and status not in _BODYLESS:
        ending = "close"
    else:
        ending = draw(st.sampled_from(["close", "keep", "keep"]))
        if ending == "close":
            wire = wire.replace(b"\r\n", b"\r\nConnection: close\r\n", 1)
    splits = tuple(draw(st.lists(st.integers(0, len(wire)), max_size=6)))
    reader = draw(st.sampled_from(["read", "read", "iter_chunked", "iter_any", "release"]))
    return Case(
        method,
        wire,
        splits,
        ending,
        reader,
        None if mutated else (status, body),
        tuple(structural + raw),
    )


# -- the server ------------------------------------------------------------------------------


@dataclass
class FuzzServer:
    """Serves ``/case/<n>`` from ``cases``; counts open connections and requests per case."""

    cases: dict[str, Case] = field(default_factory=dict)
    seen: Counter[str] = field(default_factory=Counter)
    open_connections: int = 0
    all_closed: asyncio.Event = field(default_factory=asyncio.Event)
    server: asyncio.Server | None = None

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.open_connections += 1
        self.all_closed.clear()
        try:
            while await self._answer(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
            self.open_connections -= 1
            if not self.open_connections:
                self.all_closed.set()

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        head = await reader.readuntil(b"\r\n\r\n")
        target = head.split(b" ", 2)[1].decode()
        for line in head.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length" and int(value):
                await reader.readexactly(int(value))
        self.seen[target] += 1
        case = self.cases.get(target)
        if case is None:  # a request after its case ended: counted, never answered
            return False
        for piece in case.pieces():
            writer.write(piece)
            await writer.drain()
            await asyncio.sleep(0)
        if case.ending == "reset":
            writer.transport.abort()
        return case.ending == "keep"

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()


# -- the client side -----------------------------------------------------------------------------


class Campaign:
    """Runs cases through one ClientSession and checks the invariants after each."""

    def __init__(self) -> None:
        self.outcomes: Counter[str] = Counter()
        self.loop = asyncio.new_event_loop()
        self.server = FuzzServer()
        self.base = self.loop.run_until_complete(self.server.start())
        self.connector = aiotape.TCPConnector()
        self.session = aiotape.ClientSession(connector=self.connector)
        self.next_id = 0

    def run(self, case: Case) -> None:
        self.next_id += 1
        target = f"/case/{self.next_id}"
        self.server.cases[target] = case
        outcome = self.loop.run_until_complete(
            asyncio.wait_for(self._request(target, case), CASE_GUARD)
        )
        self.outcomes[outcome] += 1
        del self.server.cases[target]
        # A GET that met a reused connection closed without a byte is retried once; never a POST.
        assert self.server.seen[target] <= (1 if case.method == "POST" else 2)

    async def _request(self, target: str, case: Case) -> str:
        idle_before = self._idle()
        sock_read = STALL_READ if case.ending == "keep" else CASE_GUARD / 2
        timeout = aiotape.ClientTimeout(total=None, sock_read=sock_read)
        data = b"payload" if case.method == "POST" else None
        try:
            async with self.session.request(
                case.method, self.base + target, data=data, timeout=timeout, allow_redirects=False
            ) as resp:
                _touch_metadata(resp)
                body = await _consume(resp, case.reader)
                got = (resp.status, body)
        except aiotape.ClientError as exc:
            outcome = type(exc).__name__
            assert case.expected is None, f"well-formed case failed: {exc!r}"
            if isinstance(exc, ServerTimeoutError):
                assert case.ending == "keep", f"timed out although the server closed: {exc!r}"
            # Only a body that arrived whole and then failed to decode may leave its (sound)
            # connection in the pool.
            if not str(exc).startswith("Can not decode content-encoding"):
                assert not self._idle() - idle_before, "a failed exchange returned its connection"
        else:
            outcome = "ok"
            if case.expected is not None and case.reader != "release":
                assert got == case.expected
        connector = self.connector
        assert not connector._in_use, "a released response kept its connection in use"
        assert connector._total == 0, "the pool lost count of its connections"
        assert all(conn.is_reusable for conn in self._idle()), "a broken connection was pooled"
        return outcome

    def _idle(self) -> set[HTTP11Connection]:
        return {conn for conns in self.connector._idle.values() for conn in conns}

    def close(self) -> None:
        self.loop.run_until_complete(self._close())
        self.loop.close()

    async def _close(self) -> None:
        await self.session.close()
        await asyncio.wait_for(self.server.all_closed.wait(), CASE_GUARD)
        await self.server.stop()


def _touch_metadata(resp: aiotape.ClientResponse) -> None:
    """Everything derived from headers must cope with garbage."""
    assert isinstance(resp.content_type, str)
    assert resp.charset is None or isinstance(resp.charset, str)
    assert resp.content_length is None or resp.content_length >= 0
    assert resp.cookies is not None


async def _consume(resp: aiotape.ClientResponse, reader: str) -> bytes:
    if reader == "read":
        return await resp.read()
    if reader == "release":
        resp.release()
        return b""
    if reader == "iter_chunked":
        return b"".join([chunk async for chunk in resp.content.iter_chunked(7)])
    return b"".join([chunk async for chunk in resp.content.iter_any()])


def run_campaign(examples: int, *, derandomize: bool) -> Counter[str]:
    """Run ``examples`` generated cases; returns how many ended in each outcome."""
    campaign = Campaign()
    try:

        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            derandomize=derandomize,
            suppress_health_check=list(HealthCheck),
        )
        @given(cases())
        def check(case: Case) -> None:
            campaign.run(case)

        check()
    finally:
        campaign.close()
    return campaign.outcomes


def test_malformed_responses_end_in_a_client_error_or_a_correct_response() -> None:
    outcomes = run_campaign(FAST_CASES, derandomize=True)
    # Each case's invariants are checked as it runs; this asks that the campaign met answers
    # and at least two kinds of error. More is not required: which cases hypothesis makes,
    # derandomized, still depends on what ran before in the same process (xdist workers).
    assert outcomes["ok"] and len(outcomes) >= 3


@pytest.mark.fuzz
@pytest.mark.skipif(not os.environ.get("AIOTAPE_FUZZ_CASES"), reason="set AIOTAPE_FUZZ_CASES")
def test_fuzz_campaign() -> None:
    examples = int(os.environ["AIOTAPE_FUZZ_CASES"])
    outcomes = run_campaign(examples, derandomize=False)
    print(f"\n{sum(outcomes.values())} cases:", dict(outcomes.most_common()))
    assert outcomes["ok"]
