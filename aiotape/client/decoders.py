"""Incremental Content-Encoding decoders (gzip, deflate, br, zstd) with bounded output per call.

A decoder is fed wire chunks as they arrive. Each ``decompress`` call returns at most
``MAX_PIECE`` decoded bytes (brotli may overshoot by one step of its buffer growth); input
that would decode to more is held back and ``pending`` turns true, so the caller drains it
with ``decompress(b"")`` (``pieces()`` does exactly that). A small compressed chunk (a
decompression bomb) therefore never turns into one huge allocation: the StreamReader pulls
one bounded piece at a time.

zstd is decoded where aiohttp decodes it: with Python 3.14's ``compression.zstd`` or the
``backports.zstd`` package; ``ACCEPT_ENCODING`` offers it only then. brotli and the zstd module
are imported by the first body in that coding (most test runs never meet one).
"""

from __future__ import annotations

import functools
import importlib
import sys
import zlib
from collections.abc import Iterator
from importlib.util import find_spec
from typing import TYPE_CHECKING, Any

from . import exceptions

__all__ = ["ACCEPT_ENCODING", "HAS_ZSTD", "MAX_PIECE", "make_decoder", "pieces"]

_ZSTD_MODULE = "compression.zstd" if sys.version_info >= (3, 14) else "backports.zstd"

HAS_ZSTD = find_spec(_ZSTD_MODULE) is not None
"""True when zstd bodies can be decoded (without a zstd module, zstd responses are left
encoded, as aiohttp leaves them)."""

ACCEPT_ENCODING = "gzip, deflate, br, zstd" if HAS_ZSTD else "gzip, deflate, br"
"""The default Accept-Encoding: the codings ``make_decoder`` decodes, as aiohttp offers them."""

MAX_PIECE = 2**18
"""Upper bound (bytes) of what one ``decompress`` call returns."""

_GZIP_WBITS = 16 + zlib.MAX_WBITS
_MAX_GZIP_MEMBERS = 1024


if TYPE_CHECKING:  # a typing-only Protocol: no Protocol class is built at import
    from typing import Protocol

    class Decoder(Protocol):
        """Decodes one response body incrementally."""

        @property
        def pending(self) -> bool:
            """True while held-back input may still decode: call ``decompress(b"")``."""
            ...

        def decompress(self, data: bytes) -> bytes:
            """Decode ``data`` after any held-back input; returns at most ``MAX_PIECE`` bytes."""
            ...

        def flush(self) -> bytes:
            """End of body: the rest of the output; ``ClientPayloadError`` if truncated."""
            ...


def pieces(decoder: Decoder, data: bytes) -> Iterator[bytes]:
    """Decode one wire chunk as a series of non-empty pieces of at most ``MAX_PIECE`` bytes."""
    piece = decoder.decompress(data)
    while True:
        if piece:
            yield piece
        if not decoder.pending:
            return
        piece = decoder.decompress(b"")


def _error(coding: str, detail: str = "") -> exceptions.ClientPayloadError:
    suffix = f" ({detail})" if detail else ""
    return exceptions.ClientPayloadError(f"Can not decode content-encoding: {coding}{suffix}")


def _looks_like_zlib(head: bytes) -> bool:
    """RFC 1950 header: CM is 8 (deflate), CINFO <= 7, and the check bits are right."""
    cmf, flg = head[0], head[1]
    return cmf & 0x0F == 8 and cmf >> 4 <= 7 and (cmf << 8 | flg) % 31 == 0


class _ZlibDecoder:
    """gzip (several members allowed) or deflate (zlib-wrapped or raw, sniffed from 2 bytes)."""

    __slots__ = ("_coding", "_fed", "_head", "_members", "_obj", "_pending", "_tail", "_wbits")

    def __init__(self, coding: str, wbits: int | None) -> None:
        self._coding = coding
        self._wbits = wbits
        self._obj = zlib.decompressobj(wbits) if wbits is not None else None
        self._head = b""
        self._tail = b""
        self._fed = False
        self._pending = False
        self._members = 1

    @property
    def pending(self) -> bool:
        return self._pending

    def decompress(self, data: bytes) -> bytes:
        if data:
            self._fed = True
        obj = self._obj
        if obj is None:
            data = self._head + data
            if len(data) < 2:
                self._head = data
                return b""
            self._head = b""
            obj = self._obj = zlib.decompressobj(
                zlib.MAX_WBITS if _looks_like_zlib(data) else -zlib.MAX_WBITS
            )
        if obj.eof and not self._tail:
            self._pending = False
            return b""
        if self._tail:
            data = self._tail + data if data else self._tail
        try:
            out = obj.decompress(data, MAX_PIECE)
        except zlib.error as exc:
            raise _error(self._coding) from exc
        self._tail = obj.unconsumed_tail
        if obj.eof and obj.unused_data and self._wbits == _GZIP_WBITS:
            self._next_member(obj.unused_data)
        self._pending = bool(self._tail) or len(out) >= MAX_PIECE
        return out

    def _next_member(self, rest: bytes) -> None:
        self._members += 1
        if self._members > _MAX_GZIP_MEMBERS:
            raise _error(self._coding, f"more than {_MAX_GZIP_MEMBERS} gzip members")
        self._obj = zlib.decompressobj(_GZIP_WBITS)
        self._tail = rest

    def flush(self) -> bytes:
        out = b"".join(pieces(self, b""))
        obj = self._obj
        if obj is None:
            if self._fed:
                raise _error(self._coding, "truncated stream")
            return out
        try:
            out += obj.flush()
        except zlib.error as exc:
            raise _error(self._coding) from exc
        if self._fed and not obj.eof:
            raise _error(self._coding, "truncated stream")
        return out


class _FramedDecoder:
    """What the br and zstd decoders share: ``pending``, and a ``flush`` that checks the end."""

    __slots__ = ("_fed", "_pending")
    _coding = ""

    def __init__(self) -> None:
        self._fed = False
        self._pending = False

    @property
    def pending(self) -> bool:
        return self._pending

    def decompress(self, data: bytes) -> bytes:
        raise NotImplementedError

    def _finished(self) -> bool:
        """True once the compressed stream ended properly."""
        raise NotImplementedError

    def flush(self) -> bytes:
        out = b"".join(pieces(self, b""))
        if self._fed and not self._finished():
            raise _error(self._coding, "truncated stream")
        return out


class _BrotliDecoder(_FramedDecoder):
    """br, bounded through brotli's ``output_buffer_limit``."""

    __slots__ = ("_held", "_obj")
    _coding = "br"

    def __init__(self) -> None:
        super().__init__()
        self._obj = _brotli().Decompressor()
        self._held = b""

    def decompress(self, data: bytes) -> bytes:
        if data:
            self._fed = True
        obj = self._obj
        if obj.is_finished():
            self._held = b""
            self._pending = False
            return b""
        if obj.can_accept_more_data():
            data, self._held = self._held + data, b""
        else:
            self._held += data
            data = b""
        try:
            out: bytes = obj.process(data, output_buffer_limit=MAX_PIECE)
        except _brotli().error as exc:
            raise _error("br") from exc
        self._pending = (
            bool(self._held)
            or not obj.can_accept_more_data()
            or (len(out) >= MAX_PIECE and not obj.is_finished())
        )
        return out

    def _finished(self) -> bool:
        return bool(self._obj.is_finished())


class _ZstdDecoder(_FramedDecoder):
    """zstd, one frame after another (concatenated frames decode as one body)."""

    __slots__ = ("_obj", "_tail")
    _coding = "zstd"

    def __init__(self) -> None:
        super().__init__()
        self._obj = _zstd().ZstdDecompressor()
        self._tail = b""

    def decompress(self, data: bytes) -> bytes:
        if data:
            self._fed = True
        data, self._tail = self._tail + data, b""
        obj = self._obj
        if obj.eof:
            if not data:
                self._pending = False
                return b""
            obj = self._obj = _zstd().ZstdDecompressor()
        try:
            out: bytes = obj.decompress(data, MAX_PIECE)
        except _zstd().ZstdError as exc:
            raise _error("zstd") from exc
        if obj.eof:
            self._tail = obj.unused_data
        self._pending = bool(self._tail) or (not obj.eof and not obj.needs_input)
        return out

    def _finished(self) -> bool:
        return bool(self._obj.eof)


@functools.cache
def _brotli() -> Any:
    """The brotli module, imported on first use."""
    import brotli  # type: ignore[import-untyped]

    return brotli


@functools.cache
def _zstd() -> Any:
    """The zstd module (``HAS_ZSTD`` says there is one), imported on first use."""
    return importlib.import_module(_ZSTD_MODULE)


def make_decoder(content_encoding: str) -> Decoder | None:
    """A fresh decoder for a Content-Encoding value; None for identity, empty or unknown
    (zstd without a zstd module included)."""
    coding = content_encoding.strip().lower()
    if coding in ("gzip", "x-gzip"):
        return _ZlibDecoder(coding, _GZIP_WBITS)
    if coding == "deflate":
        return _ZlibDecoder(coding, None)
    if coding == "br":
        return _BrotliDecoder()
    if coding == "zstd" and HAS_ZSTD:
        return _ZstdDecoder()
    return None
