"""Where socket reads land: the thread's shared read buffer, or a whole body's own.

The read buffer serves every connection of a thread: a read is fed to the parser, which
copies what it keeps. ``read()`` of an untouched body with a Content-Length instead has the
connection hand the kernel views into one preallocated buffer: no piece per socket read, no
copy. That buffer is a ``BytesIO`` over a fresh ``bytes`` object of the body's size (its
only reference), written in place through ``getbuffer()``; once every view is released,
``getvalue()`` returns that very object.

The last ``TAIL`` bytes are received into the read buffer and copied, so the read that ends
the body can also take bytes the peer sent past it (which must not be left on the socket
for the next exchange to parse). The parser is kept informed: it counts the bytes (for the
error of a body cut short) and sees how the body ended.
"""

from __future__ import annotations

import threading
from io import BytesIO

from .http11 import ResponseParser

__all__ = ["TAIL", "BodyBuffer", "read_buffer"]

TAIL = 2**16
"""Bytes at the end of the body that go through the read buffer."""
_MIN_SIZE = 2**18
_MAX_SIZE = 2**30
_READ_SIZE = 2**18
_read_buffers = threading.local()


def read_buffer() -> memoryview:
    """This thread's socket read buffer, shared by its connections.

    asyncio's default ``recv(256 KiB)`` allocates a fresh object per read, above malloc's
    mmap threshold; the page faults and heap trimming that follow cost more than parsing
    (2-3x on streamed downloads). Reads land here instead: a read is fed to the parser, which
    copies what it keeps, before the loop (one per thread) does anything else.
    """
    view: memoryview | None = getattr(_read_buffers, "view", None)
    if view is None:
        view = _read_buffers.view = memoryview(bytearray(_READ_SIZE))
    return view


class BodyBuffer:
    """The rest of the body the parser is reading, filled by socket reads
    (:meth:`get_buffer`, :meth:`received`)."""

    __slots__ = ("_end", "_file", "_parser", "_read_buffer", "_size", "_view", "filled")

    def __init__(self, parser: ResponseParser, size: int, read_buffer: memoryview) -> None:
        self._file = BytesIO(bytes(size))  # bytes(size) maps zero pages: touched only once
        self._view = self._file.getbuffer()
        self._parser = parser
        self._read_buffer = read_buffer
        self._size = size
        self._end = size - TAIL  # reads straight into the body stop here
        self.filled = 0
        """Body bytes received so far."""
        chunks = parser.chunks
        while chunks:  # what the parser already has goes first
            self._write(chunks.popleft())

    @classmethod
    def take_over(cls, parser: ResponseParser, read_buffer: memoryview) -> BodyBuffer | None:
        """A buffer for the rest of the body ``parser`` reads, with the chunks it holds; None
        unless the Content-Length says how long, and that is large but not absurd."""
        due = parser.length_due()
        if due is None or not _MIN_SIZE <= parser.buffered + due <= _MAX_SIZE:
            return None
        try:
            return cls(parser, parser.buffered + due, read_buffer)
        except MemoryError:
            return None

    def _write(self, data: bytes | memoryview) -> None:
        end = self.filled + len(data)
        self._view[self.filled : end] = data
        self.filled = end

    def get_buffer(self) -> memoryview:
        """Where the next socket read goes: the body itself, or the read buffer near its end."""
        if self.filled < self._end:
            return self._view[self.filled : self._end]
        return self._read_buffer

    def received(self, nbytes: int) -> bool:
        """The last read filled ``nbytes`` of :meth:`get_buffer`'s view; True once that
        completed the body (the parser then knows, bytes past the body included)."""
        parser = self._parser
        if self.filled < self._end:
            self.filled += nbytes
            parser.bypass(nbytes)
            return False
        take = min(nbytes, self._size - self.filled)
        self._write(self._read_buffer[:take])
        parser.bypass(take)
        if self.filled < self._size:
            return False
        parser.end_bypass(self._read_buffer[take:nbytes])
        return True

    def getvalue(self) -> bytes:
        """The complete body (call once, after the last read)."""
        self._view.release()
        return self._file.getvalue()
