"""StreamReader: aiohttp's body-reading API, over pushed data or a pulled source.

Push mode: someone calls ``feed_data``/``feed_eof``/``set_exception`` and readers wait for it.
Pull mode: ``StreamReader(source=...)`` awaits ``source()`` (the next decoded piece, ``b""`` at
the end) only when the buffer cannot satisfy a read; no background task is involved. Each
piece (one ``feed_data`` call or one ``source()`` result) counts as one chunk for
``readchunk``/``iter_chunks``.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from collections.abc import Awaitable, Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING, Generic, TypeVar

from .decoders import pieces

if TYPE_CHECKING:
    from .decoders import Decoder
    from .seam_protocols import BodyStream

__all__ = [
    "DEFAULT_LIMIT",
    "EmptyStreamReader",
    "Source",
    "StreamReader",
    "decoded_source",
    "whole_body",
]

DEFAULT_LIMIT = 2**16
"""aiohttp's default read buffer size; ``readline`` accepts lines up to twice this."""

Source = Callable[[], Awaitable[bytes]]
"""Returns the next piece of body, ``b""`` once the body is complete."""

_T = TypeVar("_T")
_log = logging.getLogger(__name__)


class _StreamIterator(Generic[_T]):
    """Async iterator calling ``read()`` until it returns an end marker."""

    __slots__ = ("_end", "_read")

    def __init__(self, read: Callable[[], Awaitable[_T]], end: _T) -> None:
        self._read = read
        self._end = end

    def __aiter__(self) -> _StreamIterator[_T]:
        return self

    async def __anext__(self) -> _T:
        item = await self._read()
        if item == self._end:
            raise StopAsyncIteration
        return item


class StreamReader:
    """Buffered reader of one body (aiohttp's ``StreamReader`` API)."""

    __slots__ = (
        "_buffer",
        "_eof",
        "_eof_callbacks",
        "_exception",
        "_high_water",
        "_offset",
        "_pulling",
        "_size",
        "_source",
        "_waiter",
        "total_bytes",
    )

    def __init__(
        self,
        limit: int = DEFAULT_LIMIT,
        *,
        source: Source | None = None,
        on_eof: Callable[[], None] | None = None,
    ) -> None:
        self._high_water = limit * 2
        self._source = source
        self._buffer: collections.deque[bytes] = collections.deque()
        self._offset = 0
        self._size = 0
        self._eof = False
        self._exception: BaseException | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._pulling = False
        self._eof_callbacks: list[Callable[[], None]] = [on_eof] if on_eof is not None else []
        self.total_bytes = 0

    def __repr__(self) -> str:
        info = [type(self).__name__]
        if self._size:
            info.append(f"{self._size} bytes")
        if self._eof:
            info.append("eof")
        if self._exception is not None:
            info.append(f"e={self._exception!r}")
        return f"<{' '.join(info)}>"

    @property
    def total_compressed_bytes(self) -> int | None:
        """Encoded body bytes received so far; None when the body is not content-encoded."""
        source = self._source
        return source.raw_bytes if isinstance(source, _DecodedSource) else None

    @property
    def total_raw_bytes(self) -> int:
        """Body bytes as received, before decompression (``total_bytes`` when not encoded)."""
        source = self._source
        return source.raw_bytes if isinstance(source, _DecodedSource) else self.total_bytes

    # -- state ------------------------------------------------------------------------------
    def exception(self) -> BaseException | None:
        """The error reads raise, if any."""
        return self._exception

    def set_exception(self, exc: BaseException) -> None:
        """Fail the stream: pending and later reads raise ``exc``."""
        self._exception = exc
        self._eof_callbacks.clear()
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)

    def on_eof(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once the end of the body is reached (now, if it already was)."""
        if self._eof:
            _run_callback(callback)
        else:
            self._eof_callbacks.append(callback)

    def is_eof(self) -> bool:
        """True once the end of the body was seen (data may still be buffered)."""
        return self._eof

    def at_eof(self) -> bool:
        """True once the end of the body was seen and everything was read."""
        return self._eof and not self._buffer

    def drained(self, total: int) -> None:
        """Mark the body as read to its end elsewhere (``total`` bytes, all taken)."""
        self._eof = True
        self.total_bytes = total
        self._eof_callbacks.clear()

    # -- push side --------------------------------------------------------------------------
    def feed_data(self, data: bytes) -> None:
        """Append one piece of body."""
        if self._eof:
            raise RuntimeError("feed_data after feed_eof")
        if not data:
            return
        self._buffer.append(data)
        self._size += len(data)
        self.total_bytes += len(data)
        self._wake()

    def feed_eof(self) -> None:
        """Mark the end of the body."""
        self._eof = True
        self._wake()
        callbacks, self._eof_callbacks = self._eof_callbacks, []
        for callback in callbacks:
            _run_callback(callback)

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # -- waiting for more -------------------------------------------------------------------
    async def _fill(self, caller: str) -> None:
        """Wait for one more piece (or the end): pull it from the source, or await a feed."""
        if self._waiter is not None or self._pulling:
            raise RuntimeError(
                f"{caller}() called while another coroutine is already waiting for incoming data"
            )
        self._raise_if_failed()
        if self._source is None:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
            self._raise_if_failed()
            return
        self._pulling = True
        try:
            data = await self._source()
        except Exception as exc:
            self.set_exception(exc)
            raise
        finally:
            self._pulling = False
        self._raise_if_failed()
        if data:
            self.feed_data(data)
        else:
            self.feed_eof()

    def _raise_if_failed(self) -> None:
        if self._exception is not None:
            raise self._exception

    # -- taking from the buffer ---------------------------------------------------------------
    def _take_first(self, n: int) -> bytes:
        """Up to ``n`` bytes (all if -1) of the first buffered piece."""
        first = self._buffer[0]
        offset = self._offset
        if 0 <= n < len(first) - offset:
            data = first[offset : offset + n]
            self._offset += n
        else:
            self._buffer.popleft()
            data = first[offset:] if offset else first
            self._offset = 0
        self._size -= len(data)
        return data

    def _read_nowait(self, n: int) -> bytes:
        """Up to ``n`` buffered bytes (everything if -1), without waiting."""
        if n < 0 or n >= self._size:
            if len(self._buffer) == 1:
                return self._take_first(-1)
            return b"".join([self._take_first(-1) for _ in range(len(self._buffer))])
        parts = []
        while n:
            part = self._take_first(n)
            parts.append(part)
            n -= len(part)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def read_nowait(self, n: int = -1) -> bytes:
        """Up to ``n`` buffered bytes (everything if -1); never waits."""
        self._raise_if_failed()
        if self._waiter is not None or self._pulling:
            raise RuntimeError("Called while some coroutine is waiting for incoming data.")
        return self._read_nowait(n)

    # -- reading ----------------------------------------------------------------------------
    async def read(self, n: int = -1) -> bytes:
        """Up to ``n`` bytes as soon as some are available; the whole rest if ``n < 0``."""
        self._raise_if_failed()
        if n == 0:
            return b""
        if n > 0:
            while not self._buffer and not self._eof:
                await self._fill("read")
            return self._read_nowait(n)
        blocks = []
        while True:
            if self._buffer:
                blocks.append(self._read_nowait(-1))
            if self._eof:
                return b"".join(blocks)
            await self._fill("read")

    async def readany(self) -> bytes:
        """Whatever is buffered, waiting for one piece if nothing is; ``b""`` at the end."""
        self._raise_if_failed()
        while not self._buffer and not self._eof:
            await self._fill("readany")
        return self._read_nowait(-1)

    async def readchunk(self) -> tuple[bytes, bool]:
        """``(rest of the next piece, True)``; ``(b"", False)`` at the end."""
        self._raise_if_failed()
        while not self._buffer:
            if self._eof:
                return b"", False
            await self._fill("readchunk")
        return self._take_first(-1), True

    async def readexactly(self, n: int) -> bytes:
        """Exactly ``n`` bytes; ``asyncio.IncompleteReadError`` if the body ends first."""
        self._raise_if_failed()
        if n < 0:
            raise ValueError("readexactly size can not be less than zero")
        while self._size < n and not self._eof:
            await self._fill("readexactly")
        if self._size < n:
            raise asyncio.IncompleteReadError(self._read_nowait(-1), n)
        return self._read_nowait(n)

    async def readline(self, *, max_line_length: int | None = None) -> bytes:
        """The next line including ``b"\\n"`` (the rest of the body if it has none)."""
        return await self.readuntil(b"\n", max_size=max_line_length)

    async def readuntil(self, separator: bytes = b"\n", *, max_size: int | None = None) -> bytes:
        """Bytes up to and including ``separator`` (the rest of the body if it never comes).

        Raises ``ValueError("Chunk too big")`` past ``max_size`` bytes (default: twice the
        reader's limit).
        """
        if not separator:
            raise ValueError("Separator should be at least one-byte string")
        self._raise_if_failed()
        limit = max_size or self._high_water
        found = bytearray()
        while True:
            while self._buffer:
                n = self._separator_end(separator, found)
                found += self._take_first(n)
                if len(found) > limit:
                    raise ValueError("Chunk too big")
                if n != -1:
                    return bytes(found)
            if self._eof:
                return bytes(found)
            await self._fill("readuntil")

    def _separator_end(self, separator: bytes, found: bytearray) -> int:
        """Bytes to take from the first piece to end right after ``separator``, or -1.

        A separator may straddle what was already taken (``found``) and the first piece.
        """
        first, offset = self._buffer[0], self._offset
        seplen = len(separator)
        if found and seplen > 1:
            tail = bytes(found[1 - seplen :])
            index = (tail + first[offset : offset + seplen - 1]).find(separator)
            if index != -1:
                return index + seplen - len(tail)
        index = first.find(separator, offset)
        return -1 if index == -1 else index - offset + seplen

    # -- iteration --------------------------------------------------------------------------
    def __aiter__(self) -> _StreamIterator[bytes]:
        return _StreamIterator(self.readline, b"")

    def iter_chunked(self, n: int) -> _StreamIterator[bytes]:
        """Pieces of at most ``n`` bytes, as they become available."""
        return _StreamIterator(partial(self.read, n), b"")

    def iter_any(self) -> _StreamIterator[bytes]:
        """Whatever is available, as soon as it is."""
        return _StreamIterator(self.readany, b"")

    def iter_chunks(self) -> _StreamIterator[tuple[bytes, bool]]:
        """``(data, end_of_chunk)`` tuples as ``readchunk`` returns them."""
        return _StreamIterator(self.readchunk, (b"", False))


class EmptyStreamReader(StreamReader):
    """The body of a HEAD, 204 or 304 response: already at its end."""

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__()
        self._eof = True


def _run_callback(callback: Callable[[], None]) -> None:
    try:
        callback()
    except Exception:
        _log.exception("Exception in eof callback")


class _DecodedSource:
    """Pulls wire chunks, decodes them and hands out bounded, non-empty pieces."""

    __slots__ = ("_body", "_decoder", "_done", "_pieces", "raw_bytes")

    def __init__(self, body: BodyStream, decoder: Decoder) -> None:
        self._body = body
        self._decoder = decoder
        self._pieces: Iterator[bytes] = iter(())
        self._done = False
        self.raw_bytes = 0
        """Encoded bytes pulled from the wire so far."""

    async def __call__(self) -> bytes:
        while True:
            piece: bytes = next(self._pieces, b"")
            if piece or self._done:
                return piece
            chunk = await self._body.read_chunk()
            if not chunk:
                self._done = True
                return self._decoder.flush()
            self.raw_bytes += len(chunk)
            self._pieces = pieces(self._decoder, chunk)


def whole_body(body: BodyStream, source: Source) -> Awaitable[bytes] | None:
    """The rest of an untouched, undecoded body in one piece, when its stream can take it
    at once (an optional ``whole()``, see ``Exchange.whole``); None: pull ``source``."""
    whole: Callable[[], Awaitable[bytes] | None] | None = getattr(body, "whole", None)
    if whole is None or isinstance(source, _DecodedSource):
        return None
    return whole()


def decoded_source(body: BodyStream, decoder: Decoder | None) -> Source:
    """A StreamReader source over a response's wire chunks, decoded by ``decoder`` if any."""
    if decoder is None:
        return body.read_chunk
    return _DecodedSource(body, decoder)
