"""aiohttp's ``client_exceptions`` module path: ``from aiotape.client_exceptions import ...``.

The classes are built on first use, as in ``aiotape.client.exceptions``.
"""

from typing import TYPE_CHECKING

from .client import exceptions as _exceptions

if TYPE_CHECKING:
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

__all__ = [
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
    "ClientResponseError",
    "ClientSSLError",
    "ConnectionTimeoutError",
    "ContentTypeError",
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
    "TooManyRedirects",
    "UploadAbortedError",
    "WSMessageTypeError",
    "WSServerHandshakeError",
]


def __getattr__(name: str) -> type[BaseException]:
    """The exception class ``name``, built on first use."""
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    cls: type[BaseException] = getattr(_exceptions, name)
    globals()[name] = cls
    return cls
