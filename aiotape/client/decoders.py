"""Incremental Content-Encoding decoders (gzip, deflate, br, zstd) with bounded output per call.

A decoder is fed wire chunks as they arrive. Each ``decompress`` call returns at most
``MAX_PIECE`` decoded bytes (brotli may overshoot by one step of its buffer growth); input
that would decode to more is held back and ``pending`` turns true, so the caller drains it
with ``decompress(b"")`` (``pieces()`` does exactly that). A small compressed chunk (a
decompression bomb) therefore never turns into one huge allocation: the StreamReader pulls
one bounded piece at a time.

zstd is decoded where aiohttp decodes it: with Python 3.14's ``compression.zstd`` or the
``backports.zstd`` package; ``ACCEPT_ENCODING`` offers it only then. brotli and the zstd module
are imported by the first body in that coding (most test runs never meet one), and the decoder
classes (``body_decoders``) by the first encoded body.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from importlib.util import find_spec
from typing import TYPE_CHECKING

__all__ = ["ACCEPT_ENCODING", "HAS_ZSTD", "MAX_PIECE", "make_decoder", "pieces"]

ZSTD_MODULE = "compression.zstd" if sys.version_info >= (3, 14) else "backports.zstd"

HAS_ZSTD = find_spec(ZSTD_MODULE) is not None
"""True when zstd bodies can be decoded (without a zstd module, zstd responses are left
encoded, as aiohttp leaves them)."""

ACCEPT_ENCODING = "gzip, deflate, br, zstd" if HAS_ZSTD else "gzip, deflate, br"
"""The default Accept-Encoding: the codings ``make_decoder`` decodes, as aiohttp offers them."""

MAX_PIECE = 2**18
"""Upper bound (bytes) of what one ``decompress`` call returns."""


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


def make_decoder(content_encoding: str) -> Decoder | None:
    """A fresh decoder for a Content-Encoding value; None for identity, empty or unknown
    (zstd without a zstd module included)."""
    from .body_decoders import decoder_for

    return decoder_for(content_encoding.strip().lower())
