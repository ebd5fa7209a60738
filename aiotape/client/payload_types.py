"""aiohttp's payload classes: a value with its headers, sent as ``data=`` or a multipart part.

``get_payload(value)`` picks the class for a value as aiohttp's registry does. A payload given
as ``data=`` adds its headers (Content-Type, Content-Disposition...) to the request unless the
request sets them. Built-in payloads stream through ``encoded_body.encode_plain``; a user's subclass
implements ``write(writer)``, whose output is collected when the request is sent.
"""

from __future__ import annotations

import enum
import io
import json
import mimetypes
from abc import ABC, abstractmethod
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Mapping
from typing import Any, Protocol

from multidict import CIMultiDict

from .encoded_body import EncodedBody, charset_of, encode_plain, unserializable
from .formdata import guess_filename
from .mime import content_disposition
from .streams import StreamReader
from .transport import close_body

__all__ = [
    "PAYLOAD_REGISTRY",
    "AsyncIterablePayload",
    "BufferedReaderPayload",
    "BytesIOPayload",
    "BytesPayload",
    "IOBasePayload",
    "JsonBytesPayload",
    "JsonPayload",
    "LookupError",
    "Order",
    "Payload",
    "PayloadRegistry",
    "StreamReaderPayload",
    "StringIOPayload",
    "StringPayload",
    "TextIOPayload",
    "get_payload",
    "payload_type",
]

_OCTET_STREAM = "application/octet-stream"
_UNSET: Any = object()
Headers = Mapping[str, str] | Iterable[tuple[str, str]]


class LookupError(Exception):  # aiohttp's name: aiohttp.payload.LookupError
    """``get_payload`` knows no payload class for the value."""


class PayloadWriter(Protocol):
    """What ``Payload.write`` writes to (aiohttp's ``AbstractStreamWriter`` subset)."""

    async def write(self, chunk: bytes | bytearray | memoryview) -> None:
        """Write one piece of the body."""
        ...


class _Collector:
    """A PayloadWriter that keeps what is written."""

    __slots__ = ("pieces",)

    def __init__(self) -> None:
        self.pieces: list[bytes] = []

    async def write(self, chunk: bytes | bytearray | memoryview) -> None:
        if chunk:
            self.pieces.append(bytes(chunk))


def _encoded(value: Any, *, content_type: str | None, charset: str | None = None) -> EncodedBody:
    """A built-in payload's value (a file or an async iterable) as a body."""
    encoded = encode_plain(value, content_type=content_type, charset=charset)
    if encoded is None:
        raise unserializable(value)
    return encoded


class Payload(ABC):
    """A body value with its headers (Content-Type at least), as aiohttp's ``Payload``."""

    _default_content_type = _OCTET_STREAM
    _size: int | None = None
    _autoclose = False

    def __init__(
        self,
        value: Any,
        headers: Headers | None = None,
        content_type: str | None = _UNSET,
        filename: str | None = None,
        encoding: str | None = None,
        **kwargs: Any,
    ) -> None:
        self._value = value
        self._encoding = encoding
        self._filename = filename
        self._consumed = False
        self._headers: CIMultiDict[str] = CIMultiDict()
        if content_type is _UNSET or content_type is None:
            guessed = mimetypes.guess_type(filename)[0] if filename is not None else None
            content_type = guessed or self._default_content_type
        self._headers["Content-Type"] = content_type
        if headers:
            self._headers.update(headers)

    @property
    def size(self) -> int | None:
        """Bytes the body will take on the wire; None when unknown (a stream)."""
        return self._size

    @property
    def filename(self) -> str | None:
        """The file name given or guessed, if any."""
        return self._filename

    @property
    def headers(self) -> CIMultiDict[str]:
        """The payload's own headers (mutable)."""
        return self._headers

    @property
    def encoding(self) -> str | None:
        """The text encoding, for text payloads."""
        return self._encoding

    @property
    def content_type(self) -> str:
        """The Content-Type header value."""
        return self._headers["Content-Type"]

    @property
    def consumed(self) -> bool:
        """True once a one-shot body was sent and cannot be sent again."""
        return self._consumed

    @property
    def autoclose(self) -> bool:
        """True when nothing (no file) needs ``close()``."""
        return self._autoclose

    def set_content_disposition(
        self, disptype: str, quote_fields: bool = True, _charset: str = "utf-8", **params: str
    ) -> None:
        """Set the Content-Disposition header (``set_content_disposition("attachment",
        filename="a.txt")``)."""
        value = content_disposition(disptype, list(params.items()), quote_fields=quote_fields)
        self._headers["Content-Disposition"] = value

    @abstractmethod
    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        """The value as text."""

    def encoded(self) -> EncodedBody:
        """The body to send: bytes or a one-shot stream, its Content-Type and size.

        Built-in payloads override this; a user's subclass gets what its ``write`` writes.
        """
        if type(self).write is Payload.write:
            raise TypeError(f"{type(self).__name__} must implement write(writer)")
        return EncodedBody(self._written(), self.content_type, self.size)

    async def _written(self) -> AsyncIterator[bytes]:
        collector = _Collector()
        await self.write(collector)
        for piece in collector.pieces:
            yield piece

    async def write(self, writer: PayloadWriter) -> None:
        """Write the body to ``writer``."""
        body = self.encoded().body
        if isinstance(body, bytes):
            await writer.write(body)
            return
        async for piece in body:
            await writer.write(piece)

    async def write_with_length(self, writer: PayloadWriter, content_length: int | None) -> None:
        """Write the body to ``writer``, at most ``content_length`` bytes of it (None: all)."""
        if content_length is None:
            await self.write(writer)
            return
        collector = _Collector()
        await self.write(collector)
        body = b"".join(collector.pieces)[:content_length]
        if body:
            await writer.write(body)

    async def as_bytes(self, encoding: str = "utf-8", errors: str = "strict") -> bytes:
        """The whole body as bytes (reads a file or stream to its end)."""
        collector = _Collector()
        await self.write(collector)
        return b"".join(collector.pieces)

    async def close(self) -> None:
        """Release what the payload holds (a file...)."""
        self._consumed = True


class BytesPayload(Payload):
    """bytes, bytearray or memoryview."""

    _autoclose = True

    def __init__(self, value: bytes | bytearray | memoryview, *args: Any, **kwargs: Any) -> None:
        if not isinstance(value, (bytes, bytearray, memoryview)):
            raise TypeError(f"value argument must be byte-ish, not {type(value)!r}")
        kwargs.setdefault("content_type", _OCTET_STREAM)
        super().__init__(bytes(value), *args, **kwargs)
        self._size = len(self._value)

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        """The bytes decoded."""
        return str(self._value.decode(encoding, errors))

    def encoded(self) -> EncodedBody:
        """The bytes as they are."""
        return EncodedBody(self._value, self.content_type, self._size)


def _text_encoding(encoding: str | None, content_type: str | None) -> tuple[str, str]:
    """(encoding, content type) of a text payload, as aiohttp derives them."""
    if encoding is not None:
        return encoding, content_type or f"text/plain; charset={encoding}"
    if content_type is None:
        return "utf-8", "text/plain; charset=utf-8"
    return charset_of(content_type) or "utf-8", content_type


class StringPayload(BytesPayload):
    """A str, encoded with ``encoding`` or the charset of ``content_type`` (utf-8 default)."""

    def __init__(
        self,
        value: str,
        *args: Any,
        encoding: str | None = None,
        content_type: str | None = None,
        **kwargs: Any,
    ) -> None:
        encoding, content_type = _text_encoding(encoding, content_type)
        raw = value.encode(encoding)
        super().__init__(raw, *args, encoding=encoding, content_type=content_type, **kwargs)


class StringIOPayload(StringPayload):
    """An ``io.StringIO``, read when the payload is made."""

    def __init__(self, value: io.StringIO, *args: Any, **kwargs: Any) -> None:
        super().__init__(value.read(), *args, **kwargs)


class JsonPayload(BytesPayload):
    """A value serialized with ``dumps`` (``json.dumps``) as ``application/json``."""

    def __init__(
        self,
        value: Any,
        encoding: str = "utf-8",
        content_type: str = "application/json",
        dumps: Callable[[Any], str] = json.dumps,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        raw = dumps(value).encode(encoding)
        super().__init__(raw, *args, content_type=content_type, encoding=encoding, **kwargs)


class JsonBytesPayload(BytesPayload):
    """A value serialized with a ``dumps`` that returns bytes (orjson...)."""

    def __init__(
        self,
        value: Any,
        dumps: Callable[[Any], bytes],
        content_type: str = "application/json",
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(dumps(value), *args, content_type=content_type, **kwargs)


class IOBasePayload(Payload):
    """A file object, streamed from its position and closed once sent.

    Its name gives the filename (and the Content-Type guess); with a filename the payload gets
    ``Content-Disposition: <disposition>; filename=...`` unless ``disposition`` is None.
    """

    def __init__(
        self, value: Any, disposition: str | None = "attachment", *args: Any, **kwargs: Any
    ) -> None:
        kwargs.setdefault("filename", guess_filename(value))
        super().__init__(value, *args, **kwargs)
        wanted = disposition is not None and "Content-Disposition" not in self._headers
        if wanted and self._filename is not None:
            self.set_content_disposition(str(disposition), filename=self._filename)
        self._body: EncodedBody | None = None

    def encoded(self) -> EncodedBody:
        """The file as a one-shot stream (made once: the size is known before sending)."""
        if self._body is None:
            self._body = _encoded(
                self._value, content_type=self.content_type, charset=self._encoding
            )
        return self._body

    @property
    def size(self) -> int | None:
        """Bytes left in the file from its position; None when that cannot be known."""
        return self.encoded().length

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        """The rest of the file as text (reads it; blocking)."""
        data = self._value.read()
        return data if isinstance(data, str) else bytes(data).decode(encoding, errors)

    async def close(self) -> None:
        """Close the file."""
        self._consumed = True
        if self._body is not None:
            await close_body(self._body.body)
        self._value.close()


class BytesIOPayload(IOBasePayload):
    """An ``io.BytesIO`` (sent from its position, left open)."""

    _autoclose = True


class BufferedReaderPayload(IOBasePayload):
    """A file opened in binary mode."""


class TextIOPayload(IOBasePayload):
    """A file opened in text mode, encoded as ``encoding`` or the Content-Type charset."""

    def __init__(
        self,
        value: Any,
        *args: Any,
        encoding: str | None = None,
        content_type: str | None = None,
        **kwargs: Any,
    ) -> None:
        encoding, content_type = _text_encoding(encoding, content_type)
        super().__init__(value, *args, content_type=content_type, encoding=encoding, **kwargs)


class AsyncIterablePayload(Payload):
    """An async iterable of bytes, streamed once (chunked: its size is unknown)."""

    _autoclose = True

    def __init__(self, value: AsyncIterable[bytes], *args: Any, **kwargs: Any) -> None:
        if not isinstance(value, AsyncIterable):
            raise TypeError(
                "value argument must support collections.abc.AsyncIterable interface, "
                f"got {type(value)!r}"
            )
        kwargs.setdefault("content_type", _OCTET_STREAM)
        super().__init__(value, *args, **kwargs)

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        """Not possible without awaiting: aiohttp raises the same."""
        raise TypeError("Unable to decode.")

    def encoded(self) -> EncodedBody:
        """The iterable as a one-shot stream."""
        self._consumed = True
        return _encoded(self._value, content_type=self.content_type)


class StreamReaderPayload(AsyncIterablePayload):
    """A StreamReader (another response's body...), streamed as it arrives."""

    def __init__(self, value: StreamReader, *args: Any, **kwargs: Any) -> None:
        super().__init__(value.iter_any(), *args, **kwargs)


class Order(str, enum.Enum):
    """Where ``payload_type`` puts a class among the others: first, in order, or last."""

    normal = "normal"
    try_first = "try_first"
    try_last = "try_last"


PayloadFactory = Callable[..., Payload]


class PayloadRegistry:
    """Which Payload class wraps a value of which type (aiohttp's ``PAYLOAD_REGISTRY``)."""

    __slots__ = ("_orders",)

    def __init__(self) -> None:
        self._orders: dict[Order, list[tuple[PayloadFactory, Any]]] = {o: [] for o in Order}

    def get(self, data: Any, *args: Any, **kwargs: Any) -> Payload:
        """The payload for ``data`` (a Payload as is); ``LookupError`` if no class fits."""
        if isinstance(data, Payload) and not self._orders[Order.try_first]:
            return data
        for order in Order.try_first, Order.normal, Order.try_last:
            for factory, types in self._orders[order]:
                if isinstance(data, types):
                    return factory(data, *args, **kwargs)
            if order is Order.try_first and isinstance(data, Payload):
                return data
        raise LookupError(f"no payload class for {type(data).__name__}")

    def register(self, factory: PayloadFactory, type: Any, *, order: Order = Order.normal) -> None:
        """Wrap values of ``type`` (a type or a tuple of them) with ``factory``."""
        self._orders[order].append((factory, type))


PAYLOAD_REGISTRY = PayloadRegistry()
"""The registry ``get_payload`` and request bodies consult."""

for _types, _factory in (
    ((bytes, bytearray, memoryview), BytesPayload),
    (str, StringPayload),
    (io.StringIO, StringIOPayload),
    (io.TextIOBase, TextIOPayload),
    (io.BytesIO, BytesIOPayload),
    ((io.BufferedReader, io.BufferedRandom), BufferedReaderPayload),
    (io.IOBase, IOBasePayload),
    (StreamReader, StreamReaderPayload),
):
    PAYLOAD_REGISTRY.register(_factory, _types)
PAYLOAD_REGISTRY.register(AsyncIterablePayload, AsyncIterable, order=Order.try_last)


class payload_type:
    """Class decorator registering a Payload class for values of ``type``."""

    def __init__(self, type: Any, *, order: Order = Order.normal) -> None:
        self.type = type
        self.order = order

    def __call__(self, factory: type[Payload]) -> type[Payload]:
        PAYLOAD_REGISTRY.register(factory, self.type, order=self.order)
        return factory


def get_payload(data: Any, *args: Any, **kwargs: Any) -> Payload:
    """The payload for ``data`` (a Payload is returned as is); ``LookupError`` if none fits."""
    return PAYLOAD_REGISTRY.get(data, *args, **kwargs)
