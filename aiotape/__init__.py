"""aiotape: an aiohttp-compatible HTTP + WebSocket client with a pluggable transport.

``import aiotape as aiohttp`` runs aiohttp client code unchanged; ``use_transport`` (and the
pytest plugin built on it) routes every session through a mock or a cassette instead.
``aiotape.mocking`` and ``aiotape.cassettes`` are imported on first use (``aiotape.mocking.X``).
"""

import importlib
from typing import TYPE_CHECKING, Any

from . import client_exceptions as client_exceptions
from . import hdrs, payload
from .client import exceptions as _exceptions
from .client.auth import BasicAuth
from .client.cookies import CookieJar, DummyCookieJar
from .client.digest_auth import DigestAuthMiddleware
from .client.disposition import (
    BadContentDispositionHeader,
    BadContentDispositionParam,
    ContentDisposition,
)
from .client.fingerprint import Fingerprint
from .client.formdata import FormData
from .client.middlewares import ClientHandlerType, ClientMiddlewareType, ClientRequest
from .client.multipart import MultipartWriter
from .client.payload_types import (
    PAYLOAD_REGISTRY,
    AsyncIterablePayload,
    BufferedReaderPayload,
    BytesIOPayload,
    BytesPayload,
    IOBasePayload,
    JsonPayload,
    Payload,
    StringIOPayload,
    StringPayload,
    TextIOPayload,
    get_payload,
    payload_type,
)
from .client.pool import BaseConnector, TCPConnector
from .client.prepare import VERSION
from .client.request_info import RequestInfo
from .client.resolvers import AsyncResolver, DefaultResolver, ThreadedResolver
from .client.response import ClientResponse, HttpVersion, HttpVersion10, HttpVersion11
from .client.session import ClientSession, request
from .client.streams import StreamReader
from .client.timeouts import ClientTimeout, ClientWSTimeout
from .client.trace_params import (
    TraceConnectionCreateEndParams,
    TraceConnectionCreateStartParams,
    TraceConnectionQueuedEndParams,
    TraceConnectionQueuedStartParams,
    TraceConnectionReuseconnParams,
    TraceDnsCacheHitParams,
    TraceDnsCacheMissParams,
    TraceDnsResolveHostEndParams,
    TraceDnsResolveHostStartParams,
    TraceRequestChunkSentParams,
    TraceRequestEndParams,
    TraceRequestExceptionParams,
    TraceRequestHeadersSentParams,
    TraceRequestRedirectParams,
    TraceRequestStartParams,
    TraceResponseChunkReceivedParams,
)
from .client.tracing import TraceConfig
from .client.transport import (
    Request,
    Response,
    Transport,
    WSCloseCode,
    WSMessage,
    WSMsgType,
    use_transport,
)
from .client.unix import UnixConnector
from .client.websocket import ClientWebSocketResponse, WebSocketError

if TYPE_CHECKING:
    from . import cassettes as cassettes
    from . import mocking as mocking
    from .client.exceptions import (
        ClientConnectionError,
        ClientConnectionResetError,
        ClientConnectorCertificateError,
        ClientConnectorDNSError,
        ClientConnectorError,
        ClientConnectorSSLError,
        ClientError,
        ClientHttpProxyError,
        ClientOSError,
        ClientPayloadError,
        ClientProxyConnectionError,
        ClientResponseError,
        ClientSSLError,
        ConnectionTimeoutError,
        ContentTypeError,
        EofStream,
        InvalidURL,
        InvalidUrlClientError,
        InvalidUrlRedirectClientError,
        NonHttpUrlClientError,
        NonHttpUrlRedirectClientError,
        RedirectClientError,
        ServerConnectionError,
        ServerDisconnectedError,
        ServerFingerprintMismatch,
        ServerTimeoutError,
        SocketTimeoutError,
        TooManyRedirects,
        UploadAbortedError,
        WSMessageTypeError,
        WSServerHandshakeError,
    )

__version__ = VERSION

_LAZY_SUBMODULES = frozenset({"cassettes", "mocking"})


def __getattr__(name: str) -> Any:
    """Import ``aiotape.cassettes`` or ``aiotape.mocking`` when first reached as an attribute;
    the exception classes are built on first use too (see ``aiotape.client.exceptions``)."""
    if name in _LAZY_SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in __all__:
        globals()[name] = cls = getattr(_exceptions, name)
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "PAYLOAD_REGISTRY",
    "AsyncIterablePayload",
    "AsyncResolver",
    "BadContentDispositionHeader",
    "BadContentDispositionParam",
    "BaseConnector",
    "BasicAuth",
    "BufferedReaderPayload",
    "BytesIOPayload",
    "BytesPayload",
    "ClientConnectionError",
    "ClientConnectionResetError",
    "ClientConnectorCertificateError",
    "ClientConnectorDNSError",
    "ClientConnectorError",
    "ClientConnectorSSLError",
    "ClientError",
    "ClientHandlerType",
    "ClientHttpProxyError",
    "ClientMiddlewareType",
    "ClientOSError",
    "ClientPayloadError",
    "ClientProxyConnectionError",
    "ClientRequest",
    "ClientResponse",
    "ClientResponseError",
    "ClientSSLError",
    "ClientSession",
    "ClientTimeout",
    "ClientWSTimeout",
    "ClientWebSocketResponse",
    "ConnectionTimeoutError",
    "ContentDisposition",
    "ContentTypeError",
    "CookieJar",
    "DefaultResolver",
    "DigestAuthMiddleware",
    "DummyCookieJar",
    "EofStream",
    "Fingerprint",
    "FormData",
    "HttpVersion",
    "HttpVersion10",
    "HttpVersion11",
    "IOBasePayload",
    "InvalidURL",
    "InvalidUrlClientError",
    "InvalidUrlRedirectClientError",
    "JsonPayload",
    "MultipartWriter",
    "NonHttpUrlClientError",
    "NonHttpUrlRedirectClientError",
    "Payload",
    "RedirectClientError",
    "Request",
    "RequestInfo",
    "Response",
    "ServerConnectionError",
    "ServerDisconnectedError",
    "ServerFingerprintMismatch",
    "ServerTimeoutError",
    "SocketTimeoutError",
    "StreamReader",
    "StringIOPayload",
    "StringPayload",
    "TCPConnector",
    "TextIOPayload",
    "ThreadedResolver",
    "TooManyRedirects",
    "TraceConfig",
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
    "Transport",
    "UnixConnector",
    "UploadAbortedError",
    "WSCloseCode",
    "WSMessage",
    "WSMessageTypeError",
    "WSMsgType",
    "WSServerHandshakeError",
    "WebSocketError",
    "__version__",
    "get_payload",
    "hdrs",
    "payload",
    "payload_type",
    "request",
    "use_transport",
]
