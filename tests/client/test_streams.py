"""StreamReader in push and pull mode, and decoded_source over wire chunks."""

from __future__ import annotations

import asyncio
import gzip
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Callable

import pytest
from aiohttp import web

import aiotape
from aiotape import ClientPayloadError, StreamReader
from aiotape.client.decoders import MAX_PIECE, make_decoder
from aiotape.client.streams import EmptyStreamReader, decoded_source
from aiotape.client.transport import ChunkedBody
from tests.servers import serve_app

MakeReader = Callable[..., StreamReader]


def _push_reader(pieces: list[bytes], *, limit: int = 2**16) -> StreamReader:
    reader = StreamReader(limit)
    for piece in pieces:
        reader.feed_data(piece)
    reader.feed_eof()
    return reader


def _pull_reader(pieces: list[bytes], *, limit: int = 2**16) -> StreamReader:
    return StreamReader(limit, source=ChunkedBody(pieces).read_chunk)


@pytest.fixture(params=["push", "pull"])
def make_reader(request: pytest.FixtureRequest) -> MakeReader:
    """A reader over the given pieces, fed up front (push) or pulled from a source (pull)."""
    return _push_reader if request.param == "push" else _pull_reader


class CountingSource:
    """A pull source over pieces that counts how often it is awaited."""

    def __init__(self, pieces: list[bytes]) -> None:
        self.body = ChunkedBody(pieces)
        self.calls = 0

    async def __call__(self) -> bytes:
        self.calls += 1
        return await self.body.read_chunk()


# -- read / readany ------------------------------------------------------------------------
async def test_read_returns_the_whole_body(make_reader: MakeReader) -> None:
    assert await make_reader([b"ab", b"cd", b"e"]).read() == b"abcde"


async def test_read_n_returns_at_most_n_bytes_of_what_is_available(
    make_reader: MakeReader,
) -> None:
    reader = make_reader([b"abc", b"defg"])
    assert await reader.read(2) == b"ab"
    assert await reader.read(5) in (b"c", b"cdefg")


async def test_read_zero_returns_empty_bytes_without_consuming(make_reader: MakeReader) -> None:
    reader = make_reader([b"abc"])
    assert await reader.read(0) == b""
    assert await reader.read() == b"abc"


async def test_read_at_eof_returns_empty_bytes(make_reader: MakeReader) -> None:
    reader = make_reader([b"abc"])
    await reader.read()
    assert await reader.read() == b""
    assert await reader.read(10) == b""


async def test_readany_returns_everything_buffered_in_push_mode() -> None:
    assert await _push_reader([b"ab", b"cd"]).readany() == b"abcd"


async def test_readany_returns_one_pulled_piece_at_a_time() -> None:
    reader = _pull_reader([b"ab", b"cd"])
    assert [await reader.readany(), await reader.readany(), await reader.readany()] == [
        b"ab",
        b"cd",
        b"",
    ]


# -- readexactly ---------------------------------------------------------------------------
async def test_readexactly_spans_pieces(make_reader: MakeReader) -> None:
    reader = make_reader([b"ab", b"c", b"defg"])
    assert await reader.readexactly(5) == b"abcde"
    assert await reader.read() == b"fg"


async def test_readexactly_at_eof_raises_incomplete_read_with_the_partial_data(
    make_reader: MakeReader,
) -> None:
    reader = make_reader([b"ab", b"c"])
    with pytest.raises(asyncio.IncompleteReadError) as info:
        await reader.readexactly(5)
    assert (info.value.partial, info.value.expected) == (b"abc", 5)


async def test_readexactly_of_negative_size_is_rejected(make_reader: MakeReader) -> None:
    with pytest.raises(ValueError):
        await make_reader([b"ab"]).readexactly(-1)


# -- readline / readuntil ------------------------------------------------------------------
async def test_readline_joins_pieces_across_borders(make_reader: MakeReader) -> None:
    reader = make_reader([b"he", b"llo", b"\nwor", b"ld\n"])
    assert [await reader.readline(), await reader.readline()] == [b"hello\n", b"world\n"]


async def test_readline_returns_the_rest_when_the_body_ends_without_newline(
    make_reader: MakeReader,
) -> None:
    reader = make_reader([b"a\nb", b"c"])
    assert [await reader.readline(), await reader.readline(), await reader.readline()] == [
        b"a\n",
        b"bc",
        b"",
    ]


async def test_readuntil_finds_a_separator_straddling_pieces(make_reader: MakeReader) -> None:
    reader = make_reader([b"one\r", b"\ntwo\r", b"\n"])
    assert await reader.readuntil(b"\r\n") == b"one\r\n"
    assert await reader.readuntil(b"\r\n") == b"two\r\n"


async def test_readuntil_finds_a_separator_spread_over_three_pieces(
    make_reader: MakeReader,
) -> None:
    reader = make_reader([b"xx<", b"-", b"->yy"])
    assert await reader.readuntil(b"<-->") == b"xx<-->"
    assert await reader.read() == b"yy"


async def test_readuntil_rejects_an_empty_separator(make_reader: MakeReader) -> None:
    with pytest.raises(ValueError):
        await make_reader([b"ab"]).readuntil(b"")


async def test_readline_longer_than_twice_the_limit_raises_value_error(
    make_reader: MakeReader,
) -> None:
    reader = make_reader([b"x" * 10, b"x" * 10, b"\n"], limit=8)
    with pytest.raises(ValueError, match="Chunk too big"):
        await reader.readline()


async def test_readline_honours_max_line_length(make_reader: MakeReader) -> None:
    with pytest.raises(ValueError):
        await make_reader([b"abcdef\n"]).readline(max_line_length=3)


async def test_async_for_yields_lines(make_reader: MakeReader) -> None:
    reader = make_reader([b"a\nb", b"\nc"])
    assert [line async for line in reader] == [b"a\n", b"b\n", b"c"]


# -- chunks and iterators ------------------------------------------------------------------
async def test_iter_chunked_yields_pieces_of_at_most_n_bytes(make_reader: MakeReader) -> None:
    reader = make_reader([b"abcde", b"fg"])
    got = [piece async for piece in reader.iter_chunked(2)]
    assert b"".join(got) == b"abcdefg"
    assert max(len(piece) for piece in got) == 2


async def test_iter_any_yields_each_pulled_piece() -> None:
    reader = _pull_reader([b"ab", b"cde", b"f"])
    assert [piece async for piece in reader.iter_any()] == [b"ab", b"cde", b"f"]


async def test_iter_chunks_yields_each_piece_as_a_whole_chunk(make_reader: MakeReader) -> None:
    reader = make_reader([b"ab", b"cde"])
    assert [chunk async for chunk in reader.iter_chunks()] == [(b"ab", True), (b"cde", True)]


async def test_readchunk_returns_the_rest_of_a_partly_read_piece(
    make_reader: MakeReader,
) -> None:
    reader = make_reader([b"abcd", b"ef"])
    await reader.read(1)
    assert await reader.readchunk() == (b"bcd", True)


async def test_readchunk_at_eof_returns_empty_and_false(make_reader: MakeReader) -> None:
    reader = make_reader([b"ab"])
    await reader.read()
    assert await reader.readchunk() == (b"", False)


# -- state ---------------------------------------------------------------------------------
async def test_at_eof_only_once_the_end_was_seen_and_read(make_reader: MakeReader) -> None:
    reader = make_reader([b"ab"])
    await reader.read(1)
    assert not reader.at_eof()
    await reader.read(1)
    await reader.read(1)
    assert reader.is_eof() and reader.at_eof()


async def test_is_eof_is_true_while_data_is_still_buffered() -> None:
    reader = _push_reader([b"ab"])
    assert reader.is_eof() and not reader.at_eof()


async def test_total_bytes_counts_every_byte_received(make_reader: MakeReader) -> None:
    reader = make_reader([b"ab", b"cde"])
    await reader.read()
    assert reader.total_bytes == 5


async def test_on_eof_callback_runs_once_when_the_end_is_reached(
    make_reader: MakeReader,
) -> None:
    reader = make_reader([b"ab"])
    calls: list[str] = []
    reader.on_eof(lambda: calls.append("eof"))
    await reader.read()
    await reader.read()
    assert calls == ["eof"]


async def test_on_eof_given_to_the_constructor_runs_at_the_end() -> None:
    calls: list[str] = []
    reader = StreamReader(source=ChunkedBody([b"ab"]).read_chunk, on_eof=lambda: calls.append("x"))
    await reader.read(2)
    assert calls == []
    await reader.read()
    assert calls == ["x"]


async def test_on_eof_registered_after_the_end_runs_immediately() -> None:
    reader = _push_reader([])
    calls: list[str] = []
    reader.on_eof(lambda: calls.append("eof"))
    assert calls == ["eof"]


async def test_failing_eof_callback_does_not_break_the_read(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def boom() -> None:
        raise RuntimeError("boom")

    reader = StreamReader(source=ChunkedBody([b"ab"]).read_chunk, on_eof=boom)
    assert await reader.read() == b"ab"
    assert "Exception in eof callback" in caplog.text


async def test_empty_stream_reader_is_at_eof_and_reads_nothing() -> None:
    reader = EmptyStreamReader()
    assert reader.at_eof()
    assert await reader.read() == b""
    assert await reader.readline() == b""
    assert await reader.readchunk() == (b"", False)


# -- push mode -----------------------------------------------------------------------------
async def test_push_read_waits_for_feed_data() -> None:
    reader = StreamReader()
    asyncio.get_running_loop().call_soon(reader.feed_data, b"late")
    assert await reader.read(10) == b"late"


async def test_push_read_waits_for_feed_eof() -> None:
    reader = StreamReader()
    reader.feed_data(b"ab")
    asyncio.get_running_loop().call_soon(reader.feed_eof)
    assert await reader.read() == b"ab"


async def test_push_set_exception_wakes_a_waiting_reader() -> None:
    reader = StreamReader()
    error = ClientPayloadError("broken")
    asyncio.get_running_loop().call_soon(reader.set_exception, error)
    with pytest.raises(ClientPayloadError) as info:
        await reader.readline()
    assert info.value is error


async def test_push_exception_is_raised_even_with_data_buffered() -> None:
    reader = StreamReader()
    reader.feed_data(b"ab")
    reader.set_exception(ClientPayloadError("broken"))
    with pytest.raises(ClientPayloadError):
        await reader.read()


async def test_push_exception_set_between_wakeup_and_next_wait_is_raised() -> None:
    reader = StreamReader()
    loop = asyncio.get_running_loop()
    loop.call_soon(reader.feed_data, b"a")
    loop.call_soon(reader.set_exception, ClientPayloadError("broken"))
    with pytest.raises(ClientPayloadError):
        await reader.readexactly(2)


async def test_feed_data_after_feed_eof_raises() -> None:
    reader = _push_reader([b"ab"])
    with pytest.raises(RuntimeError):
        reader.feed_data(b"more")


async def _let_scheduled_tasks_run() -> None:
    """Return once the callbacks scheduled so far (a new task's first step) have run."""
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    loop.call_soon(done.set_result, None)
    await done


async def test_second_concurrent_read_raises_runtime_error_in_push_mode() -> None:
    reader = StreamReader()
    first = asyncio.ensure_future(reader.read())
    await _let_scheduled_tasks_run()
    with pytest.raises(RuntimeError, match="already waiting"):
        await reader.read()
    reader.feed_eof()
    assert await first == b""


# -- pull mode -----------------------------------------------------------------------------
async def test_pull_source_is_awaited_only_when_the_buffer_runs_dry() -> None:
    source = CountingSource([b"abcd", b"ef"])
    reader = StreamReader(source=source)
    assert [await reader.read(2), await reader.read(2)] == [b"ab", b"cd"]
    assert source.calls == 1


async def test_pull_source_is_not_awaited_after_the_end() -> None:
    source = CountingSource([b"ab"])
    reader = StreamReader(source=source)
    await reader.read()
    await reader.read()
    await reader.readline()
    assert source.calls == 2


async def test_pull_source_error_propagates_and_later_reads_raise_it_again() -> None:
    error = ClientPayloadError("cut")
    reader = StreamReader(source=ChunkedBody([b"ab"], error=error).read_chunk)
    assert await reader.read(2) == b"ab"
    with pytest.raises(ClientPayloadError) as first:
        await reader.read()
    with pytest.raises(ClientPayloadError) as second:
        await reader.readany()
    assert first.value is error and second.value is error
    assert reader.exception() is error


async def test_pull_cancellation_is_not_recorded_as_a_stream_error() -> None:
    release = asyncio.Event()

    async def source() -> bytes:
        await release.wait()
        return b"late"

    reader = StreamReader(source=source)
    task = asyncio.ensure_future(reader.read())
    asyncio.get_running_loop().call_soon(task.cancel)
    with pytest.raises(asyncio.CancelledError):
        await task
    assert reader.exception() is None


async def test_second_concurrent_read_raises_runtime_error_in_pull_mode() -> None:
    started = asyncio.Event()
    release = asyncio.Event()

    async def source() -> bytes:
        started.set()
        await release.wait()
        return b""

    reader = StreamReader(source=source)
    first = asyncio.ensure_future(reader.read())
    await started.wait()
    with pytest.raises(RuntimeError, match="already waiting"):
        await reader.readany()
    release.set()
    assert await first == b""


async def test_set_exception_during_a_pull_is_raised_when_it_returns() -> None:
    reader: StreamReader

    async def source() -> bytes:
        reader.set_exception(ClientPayloadError("closed meanwhile"))
        return b"data"

    reader = StreamReader(source=source)
    with pytest.raises(ClientPayloadError, match="closed meanwhile"):
        await reader.read()


# -- decoded_source ------------------------------------------------------------------------
PAYLOAD = b"".join(b"%05d," % i for i in range(20000))


async def test_decoded_source_decodes_gzip_fed_one_byte_per_wire_chunk() -> None:
    wire = gzip.compress(PAYLOAD)
    body = ChunkedBody([wire[i : i + 1] for i in range(len(wire))])
    reader = StreamReader(source=decoded_source(body, make_decoder("gzip")))
    pieces = [piece async for piece in reader.iter_any()]
    assert b"".join(pieces) == PAYLOAD
    assert all(pieces)


async def test_decoded_source_without_decoder_passes_wire_chunks_through() -> None:
    reader = StreamReader(source=decoded_source(ChunkedBody([b"ab", b"cd"]), None))
    assert [piece async for piece in reader.iter_any()] == [b"ab", b"cd"]


async def test_decoded_source_reports_corrupt_data_as_client_payload_error() -> None:
    body = ChunkedBody([b"\x1f\x8b\x08\x00 definitely not gzip"])
    reader = StreamReader(source=decoded_source(body, make_decoder("gzip")))
    with pytest.raises(ClientPayloadError, match="content-encoding: gzip"):
        await reader.read()


async def test_decoded_source_reports_a_truncated_body_at_its_end() -> None:
    wire = zlib.compress(PAYLOAD)
    body = ChunkedBody([wire[: len(wire) // 2]])
    reader = StreamReader(source=decoded_source(body, make_decoder("deflate")))
    with pytest.raises(ClientPayloadError, match="truncated"):
        await reader.read()


async def test_decoded_source_passes_transport_errors_through() -> None:
    error = aiotape.ServerDisconnectedError()
    body = ChunkedBody([gzip.compress(b"abc")[:5]], error=error)
    reader = StreamReader(source=decoded_source(body, make_decoder("gzip")))
    with pytest.raises(aiotape.ServerDisconnectedError):
        await reader.read()


async def test_decompression_bomb_is_read_with_bounded_memory() -> None:
    size = 64 * 2**20
    wire = zlib.compress(bytes(size), 9)
    body = ChunkedBody([wire[i : i + 2**16] for i in range(0, len(wire), 2**16)])
    reader = StreamReader(source=decoded_source(body, make_decoder("deflate")))
    tracemalloc.start()
    try:
        total = 0
        async for piece in reader.iter_any():
            assert len(piece) <= MAX_PIECE
            total += len(piece)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert total == size
    assert peak < 8 * MAX_PIECE


# -- through a real server ------------------------------------------------------------------
@pytest.fixture
async def gzip_server() -> AsyncIterator[str]:
    """Serves PAYLOAD gzip-encoded in 7-byte chunked writes at /gzip."""

    async def handler(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Encoding": "gzip"})
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        wire = gzip.compress(PAYLOAD)
        for i in range(0, len(wire), 7):
            await resp.write(wire[i : i + 7])
        await resp.write_eof()
        return resp

    app = web.Application()
    app.router.add_get("/gzip", handler)
    async with serve_app(app) as url:
        yield str(url / "gzip")


async def test_gzip_response_in_small_chunks_is_decoded_line_by_line(gzip_server: str) -> None:
    async with aiotape.ClientSession() as session, session.get(gzip_server) as resp:
        first = await resp.content.readuntil(b",")
        rest = await resp.content.read()
    assert first + rest == PAYLOAD
