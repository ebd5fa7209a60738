"""aiotape: an aiohttp-compatible HTTP + WebSocket client with a pluggable transport.

``import aiotape as aiohttp`` runs aiohttp client code unchanged; ``use_transport`` (and the
pytest plugin built on it) routes every session through a mock or a cassette instead.
"""

from . import client_exceptions as client_exceptions
from . import hdrs
from .client.auth import BasicAuth
from .client.cookies import CookieJar, DummyCookieJar
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
    RequestInfo,
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
from .client.pool import TCPConnector
from .client.prepare import VERSION
from .client.response import ClientResponse, HttpVersion, HttpVersion10, HttpVersion11
from .client.session import ClientSession, request
from .client.streams import StreamReader
from .client.timeouts import ClientTimeout, ClientWSTimeout
from .client.transport import (
    Request,
    Response,
    Transport,
    WSCloseCode,
    WSMessage,
    WSMsgType,
    use_transport,
)
from .client.websocket import ClientWebSocketResponse, WebSocketError

__version__ = VERSION

__all__ = [
    "BadContentDispositionHeader",
    "BadContentDispositionParam",
    "BasicAuth",
    "ClientConnectionError",
    "ClientConnectionResetError",
    "ClientConnectorCertificateError",
    "ClientConnectorDNSError",
    "ClientConnectorError",
    "ClientConnectorSSLError",
    "ClientError",
    "ClientHttpProxyError",
    "ClientOSError",
    "ClientPayloadError",
    "ClientProxyConnectionError",
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
    "DummyCookieJar",
    "EofStream",
    "Fingerprint",
    "FormData",
    "HttpVersion",
    "HttpVersion10",
    "HttpVersion11",
    "InvalidURL",
    "InvalidUrlClientError",
    "InvalidUrlRedirectClientError",
    "NonHttpUrlClientError",
    "NonHttpUrlRedirectClientError",
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
    "TCPConnector",
    "TooManyRedirects",
    "Transport",
    "UploadAbortedError",
    "WSCloseCode",
    "WSMessage",
    "WSMessageTypeError",
    "WSMsgType",
    "WSServerHandshakeError",
    "WebSocketError",
    "__version__",
    "hdrs",
    "request",
    "use_transport",
]
