"""A response body of known length, received from the socket straight into its final bytes.

``read()`` of an untouched body with a Content-Length has the connection hand the kernel
views into one preallocated buffer instead of feeding the parser: no piece per socket read,
no copy. The buffer is a ``BytesIO`` over a fresh ``bytes`` object of the body's size (its
only reference), written in place through ``getbuffer()``; once every view is released,
``getvalue()`` returns that very object.

The last ``TAIL`` bytes are received into the connection's ordinary read buffer and copied,
so the read that ends the body can also take bytes the peer sent past it (which must not
be left on the socket for the next exchange to parse).
"""

from __future__ import annotations

from io import BytesIO

__all__ = ["TAIL", "BodyBuffer"]

TAIL = 2**16
"""Bytes at the end of the body that go through the read buffer."""


class BodyBuffer:
    """``size`` body bytes: filled by socket reads (``get_buffer`` / ``received``)."""

    __slots__ = ("_end", "_file", "_read_buffer", "_size", "_view", "filled")

    def __init__(self, size: int, read_buffer: memoryview) -> None:
        self._file = BytesIO(bytes(size))  # bytes(size) maps zero pages: touched only once
        self._view = self._file.getbuffer()
        self._read_buffer = read_buffer
        self._size = size
        self._end = size - TAIL  # reads straight into the body stop here
        self.filled = 0
        """Body bytes received so far."""

    @property
    def complete(self) -> bool:
        """True once every body byte arrived."""
        return self.filled == self._size

    def write(self, data: bytes | memoryview) -> None:
        """Append bytes received before the buffer existed."""
        end = self.filled + len(data)
        self._view[self.filled : end] = data
        self.filled = end

    def get_buffer(self) -> memoryview:
        """Where the next socket read goes: the body itself, or the read buffer near its end."""
        if self.filled < self._end:
            return self._view[self.filled : self._end]
        return self._read_buffer

    def received(self, nbytes: int) -> memoryview:
        """The last read filled ``nbytes`` of :meth:`get_buffer`'s view; returns what of
        it lies past the end of the body (empty unless the peer sent more)."""
        if self.filled < self._end:
            self.filled += nbytes
            return self._read_buffer[:0]
        take = min(nbytes, self._size - self.filled)
        self.write(self._read_buffer[:take])
        return self._read_buffer[take:nbytes]

    def getvalue(self) -> bytes:
        """The complete body (call once, after the last read)."""
        self._view.release()
        return self._file.getvalue()
