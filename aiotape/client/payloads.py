"""Request bodies: turn ``data=`` / ``json=`` into bytes or a one-shot stream (aiohttp's rules).

Streams are never read whole: files go out in ``CHUNK_SIZE`` pieces, read off the event loop
unless they live in memory. A stream's ``aclose()`` closes the files it opened or was given
(the session calls it once the request, redirects included, is over, as aiohttp does), and
``rewind_body`` sets a sent body back to its start for a redirect that re-sends it.
"""

from __future__ import annotations

import sys
import zlib
from collections.abc import AsyncIterable, AsyncIterator, Callable, Mapping
from types import ModuleType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from .encoded_body import (
    CHUNK_SIZE,
    EncodedBody,
    charset_of,
    encode_plain,
    unserializable,
)
from .formdata import FormData
from .mime import content_disposition
from .transport import finish_body, rewind_body

if TYPE_CHECKING:
    from .payload_types import Payload

__all__ = [
    "CHUNK_SIZE",
    "EncodedBody",
    "charset_of",
    "compressed",
    "encode_body",
    "encode_form",
    "encode_value",
    "finish_body",
    "rewind_body",
]

_OCTET_STREAM = "application/octet-stream"
_PAYLOAD_TYPES = f"{__package__}.payload_types"


def _payload_types() -> ModuleType | None:
    """``payload_types``, if anything imported it yet.

    Payload objects and ``@payload_type`` registrations come from that module, so until it is
    imported no value is a Payload: plain bodies never import it (nor ``multipart``).
    """
    return sys.modules.get(_PAYLOAD_TYPES)


def encode_body(data: Any, json: Any, json_serialize: Callable[[Any], str | bytes]) -> EncodedBody:
    """The body for ``data=`` or ``json=`` of a request.

    json: ``application/json``. A Payload (MultipartWriter...) brings its own headers.
    FormData, dicts, multidicts and lists of pairs: urlencoded, or multipart/form-data when a
    value is a file or a stream. Anything else is one value for ``encode_value``.
    """
    if data is not None and json is not None:
        raise ValueError("data and json parameters can not be used at the same time")
    if json is not None:
        text = json_serialize(json)
        raw = text.encode("utf-8") if isinstance(text, str) else bytes(text)
        return EncodedBody(raw, "application/json", len(raw))
    if data is None:
        return EncodedBody(b"", None, 0)
    if isinstance(data, FormData):
        return encode_form(data)
    payload_types = _payload_types()
    if payload_types is not None and isinstance(data, payload_types.Payload):
        return _payload_body(data)
    if isinstance(data, (Mapping, list, tuple)):
        return encode_form(FormData(data))
    return encode_value(data)


def encode_form(form: FormData) -> EncodedBody:
    """A form urlencoded, or as multipart/form-data when ``form.is_multipart``."""
    charset = form.charset or "utf-8"
    if not form.is_multipart:
        pairs = [(field.name, field.value) for field in form.fields]
        raw = urlencode(pairs, doseq=True, encoding=charset).encode("ascii")
        ctype = "application/x-www-form-urlencoded"
        if charset != "utf-8":
            ctype += f"; charset={charset}"
        return EncodedBody(raw, ctype, len(raw))
    from .multipart import MultipartWriter, Part  # imported by the first multipart body

    writer = MultipartWriter("form-data")
    for field in form.fields:
        try:
            value = encode_value(field.value, content_type=field.content_type, charset=form.charset)
        except TypeError as exc:
            raise TypeError(
                f"Can not serialize value type: {type(field.value)!r} of field {field.name!r}"
            ) from exc
        params = [("name", field.name)]
        if field.filename is not None:
            params.append(("filename", field.filename))
        disposition = content_disposition("form-data", params, quote_fields=form.quote_fields)
        headers = (
            ("Content-Type", value.content_type or _OCTET_STREAM),
            ("Content-Disposition", disposition),
        )
        writer.append_part(Part(headers, value.body, value.length))
    return EncodedBody(writer.body(), writer.content_type, writer.length)


def encode_value(
    value: Any, *, content_type: str | None = None, charset: str | None = None
) -> EncodedBody:
    """One value as a body: a Payload, what ``encode_plain`` takes, or a type registered with
    ``payload_type`` (through its Payload class); ``TypeError`` for anything else."""
    payload_types = _payload_types()
    if payload_types is not None and isinstance(value, payload_types.Payload):
        encoded: EncodedBody = value.encoded()
        return encoded
    plain = encode_plain(value, content_type=content_type, charset=charset)
    if plain is not None:
        return plain
    if payload_types is not None:  # a type the caller registered with @payload_type
        try:
            return _payload_body(payload_types.PAYLOAD_REGISTRY.get(value))
        except payload_types.LookupError:
            pass
    raise unserializable(value)


def _payload_body(payload: Payload) -> EncodedBody:
    """A Payload's body, with its headers other than Content-Type."""
    encoded = payload.encoded()
    headers = tuple((k, v) for k, v in payload.headers.items() if k.lower() != "content-type")
    return EncodedBody(encoded.body, payload.content_type, encoded.length, headers)


async def compressed(body: bytes | AsyncIterable[bytes], coding: str) -> AsyncIterator[bytes]:
    """``body`` compressed as ``coding`` (gzip, else zlib deflate), piece by piece."""
    wbits = 16 + zlib.MAX_WBITS if coding.lower() == "gzip" else zlib.MAX_WBITS
    compressor = zlib.compressobj(wbits=wbits)
    if isinstance(body, bytes):
        yield compressor.compress(body) + compressor.flush()
        return
    try:
        async for piece in body:
            out = compressor.compress(piece)
            if out:
                yield out
        yield compressor.flush()
    finally:
        close = getattr(body, "aclose", None)
        if close is not None:
            await close()
