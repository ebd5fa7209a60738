"""The decoders ``decoders.make_decoder`` builds, imported by the first encoded body: zlib
(gzip, deflate), brotli and zstd, each returning at most ``MAX_PIECE`` bytes a call."""

from __future__ import annotations

import functools
import importlib
import zlib
from typing import TYPE_CHECKING, Any

from . import exceptions
from .decoders import HAS_ZSTD, MAX_PIECE, ZSTD_MODULE, pieces

if TYPE_CHECKING:
    from .decoders import Decoder

__all__ = ["decoder_for"]

_GZIP_WBITS = 16 + zlib.MAX_WBITS
_MAX_GZIP_MEMBERS = 1024


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
    return importlib.import_module(ZSTD_MODULE)


def decoder_for(coding: str) -> Decoder | None:
    """A fresh decoder for ``coding`` (stripped, lower case); None for one it does not decode."""
    if coding in ("gzip", "x-gzip"):
        return _ZlibDecoder(coding, _GZIP_WBITS)
    if coding == "deflate":
        return _ZlibDecoder(coding, None)
    if coding == "br":
        return _BrotliDecoder()
    if coding == "zstd" and HAS_ZSTD:
        return _ZstdDecoder()
    return None
