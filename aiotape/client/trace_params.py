"""The parameters each tracing signal passes to its callbacks (aiohttp's ``Trace*Params``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from multidict import CIMultiDict
from yarl import URL

if TYPE_CHECKING:
    from .response import ClientResponse

__all__ = [
    "TraceConnectionCreateEndParams",
    "TraceConnectionCreateStartParams",
    "TraceConnectionQueuedEndParams",
    "TraceConnectionQueuedStartParams",
    "TraceConnectionReuseconnParams",
    "TraceDnsCacheHitParams",
    "TraceDnsCacheMissParams",
    "TraceDnsResolveHostEndParams",
    "TraceDnsResolveHostStartParams",
    "TraceRequestChunkSentParams",
    "TraceRequestEndParams",
    "TraceRequestExceptionParams",
    "TraceRequestHeadersSentParams",
    "TraceRequestRedirectParams",
    "TraceRequestStartParams",
    "TraceResponseChunkReceivedParams",
]


# The Trace*Params classes are aiohttp's names; private bases hold the fields they share.
@dataclass(frozen=True, slots=True)
class _NoParams:
    pass


@dataclass(frozen=True, slots=True)
class _HostParams:
    host: str


@dataclass(frozen=True, slots=True)
class _RequestParams:
    method: str
    url: URL
    headers: CIMultiDict[str]


@dataclass(frozen=True, slots=True)
class _ChunkParams:
    method: str
    url: URL
    chunk: bytes


@dataclass(frozen=True, slots=True)
class _ResponseParams:
    method: str
    url: URL
    headers: CIMultiDict[str]
    response: ClientResponse


@dataclass(frozen=True, slots=True)
class TraceRequestStartParams(_RequestParams):
    """Parameters of ``on_request_start``; ``headers`` may still be changed by the callback."""


@dataclass(frozen=True, slots=True)
class TraceRequestChunkSentParams(_ChunkParams):
    """Parameters of ``on_request_chunk_sent``."""


@dataclass(frozen=True, slots=True)
class TraceResponseChunkReceivedParams(_ChunkParams):
    """Parameters of ``on_response_chunk_received`` (the whole body, once ``read()``)."""


@dataclass(frozen=True, slots=True)
class TraceRequestEndParams(_ResponseParams):
    """Parameters of ``on_request_end``."""


@dataclass(frozen=True, slots=True)
class TraceRequestExceptionParams:
    """Parameters of ``on_request_exception``."""

    method: str
    url: URL
    headers: CIMultiDict[str]
    exception: BaseException


@dataclass(frozen=True, slots=True)
class TraceRequestRedirectParams(_ResponseParams):
    """Parameters of ``on_request_redirect``."""


@dataclass(frozen=True, slots=True)
class TraceConnectionQueuedStartParams(_NoParams):
    """Parameters of ``on_connection_queued_start`` (none)."""


@dataclass(frozen=True, slots=True)
class TraceConnectionQueuedEndParams(_NoParams):
    """Parameters of ``on_connection_queued_end`` (none)."""


@dataclass(frozen=True, slots=True)
class TraceConnectionCreateStartParams(_NoParams):
    """Parameters of ``on_connection_create_start`` (none)."""


@dataclass(frozen=True, slots=True)
class TraceConnectionCreateEndParams(_NoParams):
    """Parameters of ``on_connection_create_end`` (none)."""


@dataclass(frozen=True, slots=True)
class TraceConnectionReuseconnParams(_NoParams):
    """Parameters of ``on_connection_reuseconn`` (none)."""


@dataclass(frozen=True, slots=True)
class TraceDnsResolveHostStartParams(_HostParams):
    """Parameters of ``on_dns_resolvehost_start``."""


@dataclass(frozen=True, slots=True)
class TraceDnsResolveHostEndParams(_HostParams):
    """Parameters of ``on_dns_resolvehost_end``."""


@dataclass(frozen=True, slots=True)
class TraceDnsCacheHitParams(_HostParams):
    """Parameters of ``on_dns_cache_hit``."""


@dataclass(frozen=True, slots=True)
class TraceDnsCacheMissParams(_HostParams):
    """Parameters of ``on_dns_cache_miss``."""


@dataclass(frozen=True, slots=True)
class TraceRequestHeadersSentParams(_RequestParams):
    """Parameters of ``on_request_headers_sent`` (the final wire headers)."""
