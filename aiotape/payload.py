"""aiohttp's ``payload`` module path: ``from aiotape.payload import BytesPayload, get_payload``."""

from .client.payload_types import (
    AsyncIterablePayload,
    BufferedReaderPayload,
    BytesIOPayload,
    BytesPayload,
    IOBasePayload,
    JsonBytesPayload,
    JsonPayload,
    LookupError,
    Payload,
    StreamReaderPayload,
    StringIOPayload,
    StringPayload,
    TextIOPayload,
    get_payload,
)

__all__ = [
    "AsyncIterablePayload",
    "BufferedReaderPayload",
    "BytesIOPayload",
    "BytesPayload",
    "IOBasePayload",
    "JsonBytesPayload",
    "JsonPayload",
    "LookupError",
    "Payload",
    "StreamReaderPayload",
    "StringIOPayload",
    "StringPayload",
    "TextIOPayload",
    "get_payload",
]
