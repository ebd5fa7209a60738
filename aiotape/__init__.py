"""aiotape: an aiohttp-compatible HTTP + WebSocket client with a pluggable transport.

``import aiotape as aiohttp`` runs aiohttp client code unchanged; ``use_transport`` (and the
pytest plugin built on it) routes every session through a mock or a cassette instead.
``import aiotape`` itself loads nothing of the client: each public name's module is imported
when the name is first used (``aiotape.ClientSession`` brings what a request needs; forms,
multipart, Content-Disposition, digest auth, trace params and unix sockets stay unloaded until
used), and so are ``aiotape.mocking``, ``aiotape.cassettes``, ``aiotape.payload``,
``aiotape.hdrs``, ``aiotape.client_exceptions`` and ``__version__``. The exception classes are
built on first use. So a pytest run with aiotape installed pays nothing for the client until a
test uses it.
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from . import cassettes as cassettes
    from . import client_exceptions as client_exceptions
    from . import hdrs as hdrs
    from . import mocking as mocking
    from . import payload as payload
    from ._version import VERSION as __version__
    from .client.auth import BasicAuth
    from .client.cookies import CookieJar, DummyCookieJar
    from .client.digest_auth import DigestAuthMiddleware
    from .client.disposition import (
        BadContentDispositionHeader,
        BadContentDispositionParam,
        ContentDisposition,
    )
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
    from .client.request_info import RequestInfo
    from .client.resolvers import AsyncResolver, DefaultResolver, ThreadedResolver
    from .client.response import ClientResponse, HttpVersion, HttpVersion10, HttpVersion11
    from .client.session import ClientSession, request
    from .client.streams import StreamReader
    from .client.timeouts import ClientTimeout
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
    from .client.ws_timeout import ClientWSTimeout

_LAZY_SUBMODULES = frozenset({"cassettes", "client_exceptions", "hdrs", "mocking", "payload"})
_LAZY_FROM = {  # public names whose modules are imported when a name is first used
    "client.auth": ("BasicAuth",),
    "client.cookies": (
        "CookieJar",
        "DummyCookieJar",
    ),
    "client.fingerprint": ("Fingerprint",),
    "client.middlewares": (
        "ClientHandlerType",
        "ClientMiddlewareType",
        "ClientRequest",
    ),
    "client.pool": (
        "BaseConnector",
        "TCPConnector",
    ),
    "client.request_info": ("RequestInfo",),
    "client.resolvers": (
        "AsyncResolver",
        "DefaultResolver",
        "ThreadedResolver",
    ),
    "client.response": (
        "ClientResponse",
        "HttpVersion",
        "HttpVersion10",
        "HttpVersion11",
    ),
    "client.session": (
        "ClientSession",
        "request",
    ),
    "client.streams": ("StreamReader",),
    "client.timeouts": ("ClientTimeout",),
    "client.tracing": ("TraceConfig",),
    "client.transport": (
        "Request",
        "Response",
        "Transport",
        "WSCloseCode",
        "WSMessage",
        "WSMsgType",
        "use_transport",
    ),
    "client.websocket": (
        "ClientWebSocketResponse",
        "WebSocketError",
    ),
    "client.digest_auth": ("DigestAuthMiddleware",),
    "client.disposition": (
        "BadContentDispositionHeader",
        "BadContentDispositionParam",
        "ContentDisposition",
    ),
    "client.formdata": ("FormData",),
    "client.multipart": ("MultipartWriter",),
    "client.payload_types": (
        "PAYLOAD_REGISTRY",
        "AsyncIterablePayload",
        "BufferedReaderPayload",
        "BytesIOPayload",
        "BytesPayload",
        "IOBasePayload",
        "JsonPayload",
        "Payload",
        "StringIOPayload",
        "StringPayload",
        "TextIOPayload",
        "get_payload",
        "payload_type",
    ),
    "client.trace_params": (
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
    ),
    "client.unix": ("UnixConnector",),
    "client.ws_timeout": ("ClientWSTimeout",),
}
_LAZY_NAMES = {name: module for module, names in _LAZY_FROM.items() for name in names}


def __getattr__(name: str) -> Any:
    """Import a lazy submodule (``aiotape.mocking``...) or a public name's module on first use.

    The other public names missing here are exception classes, built on first use too (see
    ``aiotape.client.exceptions``).
    """
    if name in _LAZY_SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name == "__version__":  # its module is the client's too (the User-Agent)
        from ._version import VERSION

        return VERSION
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(f"{__name__}.{_LAZY_NAMES.get(name, 'client.exceptions')}")
    globals()[name] = value = getattr(module, name)
    return value


def __dir__() -> list[str]:
    """The module's names, lazy ones (submodules too) included."""
    return sorted({*globals(), *__all__, *_LAZY_SUBMODULES})


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
