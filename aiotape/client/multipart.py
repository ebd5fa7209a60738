"""aiohttp's MultipartWriter, streaming the parts that stream.

Imported by ``payloads`` (before ``payload_types``): ``payloads`` is only reached through the
module object here, at call time.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterable, AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from multidict import CIMultiDict

from . import payload_types
from .encoded_body import EncodedBody
from .mime import TOKEN, check_header_value, content_disposition
from .payload_types import Payload

__all__ = ["MultipartWriter", "Part", "check_header_value", "content_disposition"]


@dataclass(frozen=True, slots=True)
class Part:
    """One body part: its headers, its body (bytes or streamed once) and its length if known."""

    headers: tuple[tuple[str, str], ...]
    body: bytes | AsyncIterable[bytes]
    length: int | None


class _PartPayload(Payload):
    """A ready-made Part inside a writer: exactly its headers, its body as given."""

    def __init__(self, part: Part) -> None:
        super().__init__(part.body)
        self._headers = CIMultiDict(part.headers)
        self._size = part.length

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        if isinstance(self._value, bytes):
            return self._value.decode(encoding, errors)
        raise TypeError("Unable to decode.")

    def encoded(self) -> EncodedBody:
        return EncodedBody(self._value, None, self._size)


class MultipartWriter(Payload):
    """A ``multipart/<subtype>`` body (aiohttp's API), itself a Payload usable as ``data=``.

    ``append`` takes anything ``get_payload`` knows (or a Payload) and returns the part's
    payload, whose headers may still be changed before sending. Parts that stream are
    streamed; the whole body's size is known when every part's is.
    """

    def __init__(self, subtype: str = "mixed", boundary: str | None = None) -> None:
        boundary = uuid.uuid4().hex if boundary is None else boundary
        if not TOKEN.fullmatch(boundary) or len(boundary) > 70:
            raise ValueError(f"boundary must be a token of at most 70 chars: {boundary!r}")
        super().__init__(None, content_type=f"multipart/{subtype}; boundary={boundary}")
        self._boundary = boundary
        self._is_form_data = subtype == "form-data"
        self._parts: list[Payload] = []
        self._autoclose = True

    def __enter__(self) -> MultipartWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    def __len__(self) -> int:
        return len(self._parts)

    def __bool__(self) -> bool:
        return True

    def __iter__(self) -> Iterator[tuple[Payload, None, None]]:
        return iter([(part, None, None) for part in self._parts])

    @property
    def boundary(self) -> str:
        """The boundary separating the parts."""
        return self._boundary

    def append(self, obj: Any, headers: Mapping[str, str] | None = None) -> Payload:
        """Add a part for ``obj`` (bytes, str, file, async iterable, Payload...)."""
        if isinstance(obj, Payload):
            if headers:
                obj.headers.update(headers)
            return self.append_payload(obj)
        try:
            payload = payload_types.get_payload(obj, headers=headers)
        except payload_types.LookupError:
            raise TypeError(f"Cannot create payload from {obj!r}") from None
        return self.append_payload(payload)

    def append_payload(self, payload: Payload) -> Payload:
        """Add ``payload`` as a part: form-data parts get a default name, others a length."""
        for name in ("Content-Encoding", "Content-Transfer-Encoding"):
            coding = payload.headers.get(name, "").lower()
            if coding not in ("", "identity", "binary"):
                raise ValueError(f"aiotape does not encode multipart parts: {name}: {coding}")
        if self._is_form_data:
            if "Content-Disposition" not in payload.headers:
                payload.set_content_disposition("form-data", name=f"section-{len(self._parts)}")
        elif payload.size is not None:
            payload.headers["Content-Length"] = str(payload.size)
        self._parts.append(payload)
        return payload

    def append_part(self, part: Part) -> None:
        """Add a ready-made part; its header names and values are checked for line breaks."""
        for name, value in part.headers:
            check_header_value(name)
            check_header_value(value)
        self._parts.append(_PartPayload(part))

    def append_json(self, obj: Any, headers: Mapping[str, str] | None = None) -> Payload:
        """Add a JSON part."""
        return self.append_payload(payload_types.JsonPayload(obj, headers=headers))

    def append_form(
        self,
        obj: Sequence[tuple[str, str]] | Mapping[str, str],
        headers: Mapping[str, str] | None = None,
    ) -> Payload:
        """Add an ``application/x-www-form-urlencoded`` part."""
        pairs = list(obj.items()) if isinstance(obj, Mapping) else obj
        return self.append_payload(
            payload_types.StringPayload(
                urlencode(pairs, doseq=True),
                headers=headers,
                content_type="application/x-www-form-urlencoded",
            )
        )

    def _heads(self) -> list[bytes]:
        delimiter = f"--{self._boundary}\r\n"
        heads = []
        for part in self._parts:
            lines = "".join(
                f"{check_header_value(name)}: {check_header_value(value)}\r\n"
                for name, value in part.headers.items()
            )
            heads.append(f"{delimiter}{lines}\r\n".encode())
        return heads

    @property
    def size(self) -> int | None:
        """Total body length, or None when some part's length is unknown."""
        total = len(self._boundary) + 6
        for head, part in zip(self._heads(), self._parts, strict=True):
            part_size = part.size
            if part_size is None:
                return None
            total += len(head) + part_size + 2
        return total

    length = size

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        """The body as text (reads file parts; blocking)."""
        return (
            "".join(
                head.decode(encoding, errors) + part.decode(encoding, errors) + "\r\n"
                for head, part in zip(self._heads(), self._parts, strict=True)
            )
            + f"--{self._boundary}--\r\n"
        )

    def _pieces(self) -> list[bytes | AsyncIterable[bytes]]:
        """The body as a list of bytes and streams, adjacent bytes merged."""
        out: list[bytes | AsyncIterable[bytes]] = []
        pending = b""
        for head, part in zip(self._heads(), self._parts, strict=True):
            body = part.encoded().body
            pending += head
            if isinstance(body, bytes):
                pending += body
            else:
                out.append(pending)
                out.append(body)
                pending = b""
            pending += b"\r\n"
        out.append(pending + f"--{self._boundary}--\r\n".encode())
        return out

    def body(self) -> bytes | AsyncIterator[bytes]:
        """The encoded body: bytes when every part is bytes, else a one-shot stream.

        The stream's ``aclose()`` closes its part streams (files...); ``rewind()`` restarts it.
        """
        pieces = self._pieces()
        if len(pieces) == 1 and isinstance(pieces[0], bytes):
            return pieces[0]
        return _Concat(pieces)

    def encoded(self) -> EncodedBody:
        """The whole body with its Content-Type and length."""
        return EncodedBody(self.body(), self.content_type, self.size)

    async def close(self) -> None:
        """Close every part (files...)."""
        self._consumed = True
        for part in self._parts:
            await part.close()


class _Concat:
    """Async iterator over bytes and async iterables, in order; closable."""

    __slots__ = ("_current", "_finish_at_end", "_index", "_items")

    def __init__(self, items: list[bytes | AsyncIterable[bytes]]) -> None:
        self._items = items
        self._index = 0
        self._current: AsyncIterator[bytes] | None = None
        self._finish_at_end = False

    def __aiter__(self) -> _Concat:
        return self

    async def __anext__(self) -> bytes:
        while True:
            if self._current is not None:
                try:
                    return await anext(self._current)
                except StopAsyncIteration:
                    self._current = None
            if self._index == len(self._items):
                if self._finish_at_end:
                    self._finish_parts()
                raise StopAsyncIteration
            item = self._items[self._index]
            self._index += 1
            if isinstance(item, bytes):
                return item
            self._current = aiter(item)

    def finish(self) -> None:
        """The request is over: release the parts now, or after the last one if still sending."""
        sending = self._index > 0 and (self._current is not None or self._index < len(self._items))
        if sending:
            self._finish_at_end = True
        else:
            self._finish_parts()

    def _finish_parts(self) -> None:
        for item in self._items:
            finish = getattr(item, "finish", None)
            if finish is not None:
                finish()

    def upload_stopped(self) -> bool:
        """Its upload ended early: True if every part stream can be sent again (then nothing
        more is sent unless rewound); False when the parts should be closed."""
        streams = [item for item in self._items if not isinstance(item, bytes)]
        kept = [bool(getattr(stream, "upload_stopped", lambda: False)()) for stream in streams]
        if not all(kept):
            return False
        self._current = None
        self._index = len(self._items)
        if self._finish_at_end:
            self._finish_parts()
        return True

    def rewind(self) -> bool:
        """Start over; False if a part stream cannot be sent again."""
        self._current = None
        self._index = 0
        self._finish_at_end = False
        streams = [item for item in self._items if not isinstance(item, bytes)]
        return all(bool(getattr(stream, "rewind", lambda: False)()) for stream in streams)

    async def aclose(self) -> None:
        """Close every part stream (files...): the ones not finished and the ones sent."""
        streams: list[object] = [self._current, *self._items]
        self._current = None
        self._index = len(self._items)
        for stream in streams:
            close = getattr(stream, "aclose", None)
            if close is not None:
                await close()
