"""aiohttp-compatible client exception hierarchy."""

from __future__ import annotations

import asyncio
import errno as _errno
import ssl
from typing import TYPE_CHECKING, Any, NamedTuple

from multidict import CIMultiDictProxy
from yarl import URL

from .schemes import SECURE_SCHEMES

if TYPE_CHECKING:
    from .response import ClientResponse
    from .transport import Request


class ConnectionKey(NamedTuple):
    """Identifies a pool of interchangeable connections (aiohttp's ConnectionKey)."""

    host: str
    port: int | None
    is_ssl: bool
    ssl: ssl.SSLContext | bool
    proxy: URL | None = None
    proxy_auth: Any = None
    proxy_headers_hash: int | None = None
    server_hostname: str | None = None


class RequestInfo(NamedTuple):
    """What was requested: attached to responses and response errors."""

    url: URL
    method: str
    headers: CIMultiDictProxy[str]
    real_url: URL


class ClientError(Exception):
    """Base class for all client errors."""


class ClientResponseError(ClientError):
    """An error tied to a response (status, request_info, history)."""

    def __init__(
        self,
        request_info: RequestInfo,
        history: tuple[ClientResponse, ...],
        *,
        status: int | None = None,
        message: str = "",
        headers: CIMultiDictProxy[str] | None = None,
    ) -> None:
        self.request_info = request_info
        self.status = status if status is not None else 0
        self.message = message
        self.headers = headers
        self.history = history
        self.args = (request_info, history)

    def __str__(self) -> str:
        return f"{self.status}, message={self.message!r}, url={str(self.request_info.real_url)!r}"

    def __repr__(self) -> str:
        args = f"{self.request_info!r}, {self.history!r}"
        if self.status != 0:
            args += f", status={self.status!r}"
        if self.message != "":
            args += f", message={self.message!r}"
        return f"{type(self).__name__}({args})"


class ContentTypeError(ClientResponseError):
    """The response's content type does not fit the requested decoding."""


class WSServerHandshakeError(ClientResponseError):
    """The websocket handshake failed."""


class ClientHttpProxyError(ClientResponseError):
    """A proxy answered with an error status."""


class TooManyRedirects(ClientResponseError):
    """More redirects than max_redirects."""


class ClientConnectionError(ClientError):
    """Base class for connection errors."""


class ClientConnectionResetError(ClientConnectionError, ConnectionResetError):
    """The connection was reset while in use."""


class ClientOSError(ClientConnectionError, OSError):
    """An OSError on the connection."""


class ClientConnectorError(ClientOSError):
    """A connection could not be established."""

    def __init__(self, connection_key: ConnectionKey, os_error: OSError) -> None:
        self._conn_key = connection_key
        self._os_error = os_error
        super().__init__(os_error.errno, os_error.strerror)
        self.args = (connection_key, os_error)

    @property
    def os_error(self) -> OSError:
        """The underlying OSError."""
        return self._os_error

    @property
    def host(self) -> str:
        """Host that could not be reached."""
        return self._conn_key.host

    @property
    def port(self) -> int | None:
        """Port that could not be reached."""
        return self._conn_key.port

    @property
    def ssl(self) -> ssl.SSLContext | bool:
        """The ssl setting of the attempted connection."""
        return self._conn_key.ssl

    def __str__(self) -> str:
        shown = "default" if self.ssl is True else self.ssl
        return f"Cannot connect to host {self.host}:{self.port} ssl:{shown} [{self.strerror}]"

    __reduce__ = BaseException.__reduce__


class ClientConnectorDNSError(ClientConnectorError):
    """Name resolution failed."""


class ClientProxyConnectionError(ClientConnectorError):
    """The proxy could not be reached."""


class ClientSSLError(ClientConnectorError):
    """Base class for TLS errors."""


class ClientConnectorSSLError(ClientSSLError, ssl.SSLError):
    """The TLS handshake failed."""


class ClientConnectorCertificateError(ClientSSLError, ssl.CertificateError):
    """The server certificate was not accepted."""

    def __init__(self, connection_key: ConnectionKey, certificate_error: Exception) -> None:
        os_error = certificate_error if isinstance(certificate_error, OSError) else OSError()
        super().__init__(connection_key, os_error)
        self._certificate_error = certificate_error
        self.args = (connection_key, certificate_error)

    @property
    def certificate_error(self) -> Exception:
        """The underlying certificate error."""
        return self._certificate_error

    def __str__(self) -> str:
        err = self._certificate_error
        return (
            f"Cannot connect to host {self.host}:{self.port} ssl:{self._conn_key.is_ssl} "
            f"[{type(err).__name__}: {err.args}]"
        )


class ServerConnectionError(ClientConnectionError):
    """Base class for errors on an established connection."""


class ServerDisconnectedError(ServerConnectionError):
    """The server closed the connection before the response was complete."""

    def __init__(self, message: str | None = None) -> None:
        if message is None:
            message = "Server disconnected"
        self.args = (message,)
        self.message = message


class ServerTimeoutError(ServerConnectionError, asyncio.TimeoutError):
    """A server operation timed out."""


class ConnectionTimeoutError(ServerTimeoutError):
    """connect / sock_connect timeout."""


class SocketTimeoutError(ServerTimeoutError):
    """sock_read timeout."""


class ServerFingerprintMismatch(ServerConnectionError):
    """The server certificate fingerprint does not match."""


class ClientPayloadError(ClientError):
    """The response body is malformed or incomplete."""


class InvalidURL(ClientError, ValueError):
    """The URL is not usable for a request."""

    def __init__(self, url: Any, description: str | None = None) -> None:
        self._url = url
        self._description = description
        args: tuple[Any, ...] = (url, description) if description else (url,)
        super().__init__(*args)

    @property
    def url(self) -> Any:
        """The offending URL."""
        return self._url

    @property
    def description(self) -> str | None:
        """Why the URL is invalid."""
        return self._description

    def __str__(self) -> str:
        return f"{self._url} - {self._description}" if self._description else str(self._url)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self}>"


class InvalidUrlClientError(InvalidURL):
    """An invalid URL was given to a request."""


class RedirectClientError(ClientError):
    """A redirect could not be followed."""


class NonHttpUrlClientError(ClientError):
    """The URL is not http(s)/ws(s)."""


class InvalidUrlRedirectClientError(InvalidUrlClientError, RedirectClientError):
    """A redirect pointed at an invalid URL."""


class NonHttpUrlRedirectClientError(NonHttpUrlClientError, RedirectClientError):
    """A redirect pointed at a non-HTTP URL."""


class WSMessageTypeError(TypeError):
    """A websocket message of an unexpected type was received."""


def exception_for(
    cls: type[BaseException],
    request: Request,
    message: str = "",
    *,
    errno: int | None = None,
    strerror: str | None = None,
    status: int | None = None,
) -> BaseException:
    """An instance of ``cls`` built as the client would raise it while sending ``request``.

    Mocks (``exception=ClientConnectorError``) and cassette replay use it to raise aiotape's
    classes with their real constructor arguments (connection key, request info, OS error).
    A connector error with no errno or message defaults to "connection refused".
    """
    url = request.url
    if issubclass(cls, ClientConnectorError):
        key = ConnectionKey(
            url.host or "",
            url.port,
            url.scheme in SECURE_SCHEMES,
            request.ssl,
            server_hostname=request.server_hostname,
        )
        if issubclass(cls, ClientConnectorCertificateError):
            if errno is None:
                return cls(key, ssl.CertificateError(strerror or message))
            return cls(key, ssl.SSLCertVerificationError(errno, strerror))
        if errno is None and not (strerror or message):
            errno, strerror = _errno.ECONNREFUSED, "Connection refused"
        return cls(key, OSError(errno, strerror or message))
    if issubclass(cls, ClientResponseError):
        info = RequestInfo(url, request.method, request.headers, url)
        return cls(info, (), status=status, message=message)
    if issubclass(cls, InvalidURL):
        return cls(url)
    if issubclass(cls, ServerDisconnectedError):
        return cls(message or None)
    if issubclass(cls, OSError) and errno is not None:
        return cls(errno, strerror or message)
    return cls(message) if message else cls()
