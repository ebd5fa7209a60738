"""aiohttp-compatible client exceptions, all but those that carry a response
(``response_exceptions``). Imported on first use through ``exceptions``, the module every
class reports being defined in.

When aiohttp is importable, every class here also derives from aiohttp's same-named class,
so libraries that catch ``aiohttp.ClientConnectionError`` (aiohttp-retry, slack_sdk...) catch
aiotape's errors too. Set ``AIOTAPE_AIOHTTP_BASES=0`` to keep the two hierarchies apart.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import ssl
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .pool_key import ConnectionKey
    from .request_info import SSLSetting


__all__ = [
    "ClientConnectionError",
    "ClientConnectionResetError",
    "ClientConnectorCertificateError",
    "ClientConnectorDNSError",
    "ClientConnectorError",
    "ClientConnectorSSLError",
    "ClientError",
    "ClientOSError",
    "ClientPayloadError",
    "ClientProxyConnectionError",
    "ClientSSLError",
    "ConnectionTimeoutError",
    "EofStream",
    "InvalidURL",
    "InvalidUrlClientError",
    "InvalidUrlRedirectClientError",
    "NonHttpUrlClientError",
    "NonHttpUrlRedirectClientError",
    "RedirectClientError",
    "ServerConnectionError",
    "ServerDisconnectedError",
    "ServerFingerprintMismatch",
    "ServerTimeoutError",
    "SocketTimeoutError",
    "UnixClientConnectorError",
    "UploadAbortedError",
    "WSMessageTypeError",
]


def _aiohttp_exceptions() -> ModuleType | None:
    """aiohttp's client exception module, unless aiohttp is missing or opted out of."""
    if os.environ.get("AIOTAPE_AIOHTTP_BASES", "1") == "0":
        return None
    try:
        return importlib.import_module("aiohttp.client_exceptions")
    except ImportError:
        return None


_AIOHTTP = _aiohttp_exceptions()
_PUBLIC_MODULE = f"{__package__}.exceptions"
_DEFINING_MODULES = frozenset({__name__, f"{__package__}.response_exceptions"})


class _AiohttpPeer(type):
    """Metaclass adding aiohttp's same-named exception class (if any) as a base.

    The peer goes right after our own bases and before builtin mixins (``OSError``,
    ``ssl.SSLError``, ``asyncio.TimeoutError``), so the MRO lists all of aiotape's classes
    first (our constructors and attributes win), then aiohttp's, then the builtins.
    Only aiotape's client exceptions get a peer, not subclasses defined elsewhere.
    """

    def __new__(
        mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **kwargs: Any
    ) -> _AiohttpPeer:
        module = namespace.get("__module__")
        if module in _DEFINING_MODULES:
            namespace["__module__"] = module = _PUBLIC_MODULE
        peer = getattr(_AIOHTTP, name, None) if module == _PUBLIC_MODULE else None
        if isinstance(peer, type) and issubclass(peer, BaseException):
            ours = sum(1 for base in bases if isinstance(base, _AiohttpPeer))
            bases = (*bases[:ours], peer, *bases[ours:])
        return super().__new__(mcs, name, bases, namespace, **kwargs)


class ClientError(Exception, metaclass=_AiohttpPeer):
    """Base class for all client errors."""


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
        # Not super(): with aiohttp bases the next __init__ would be aiohttp's, taking a key.
        OSError.__init__(self, os_error.errno, os_error.strerror)
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
    def ssl(self) -> SSLSetting:
        """The ssl setting of the attempted connection."""
        return self._conn_key.ssl

    def __str__(self) -> str:
        shown = "default" if self.ssl is True else self.ssl
        return f"Cannot connect to host {self.host}:{self.port} ssl:{shown} [{self.strerror}]"

    __reduce__ = BaseException.__reduce__


class ClientConnectorDNSError(ClientConnectorError):
    """Name resolution failed."""


class UnixClientConnectorError(ClientConnectorError):
    """The unix socket could not be connected to (aiohttp's class of that name)."""

    def __init__(self, path: str, connection_key: ConnectionKey, os_error: OSError) -> None:
        self._path = path
        super().__init__(connection_key, os_error)

    @property
    def path(self) -> str:
        """The socket's path."""
        return self._path

    def __str__(self) -> str:
        shown = "default" if self.ssl is True else self.ssl
        return f"Cannot connect to unix socket {self._path} ssl:{shown} [{self.strerror}]"


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

    @property
    def ssl(self) -> bool:
        """Whether the attempted connection used TLS (aiohttp answers this, not the setting)."""
        return self._conn_key.is_ssl

    def __str__(self) -> str:
        err = self._certificate_error
        return (
            f"Cannot connect to host {self.host}:{self.port} ssl:{self.ssl} "
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
    """The server certificate's SHA-256 digest is not the pinned one (``ssl=Fingerprint``)."""

    def __init__(self, expected: bytes, got: bytes, host: str, port: int) -> None:
        self.expected = expected
        self.got = got
        self.host = host
        self.port = port
        self.args = (expected, got, host, port)

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} expected={self.expected!r} got={self.got!r} "
            f"host={self.host!r} port={self.port!r}>"
        )


class ClientPayloadError(ClientError):
    """The response body is malformed or incomplete."""


class UploadAbortedError(ClientError):
    """The request body was never fully sent."""


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


class WSMessageTypeError(TypeError, metaclass=_AiohttpPeer):
    """A websocket message of an unexpected type was received."""


class EofStream(Exception):
    """The end of a stream was reached (aiohttp's ``EofStream``)."""
