"""aiohttp-compatible client exception hierarchy, built on first use.

The classes are defined in ``base_exceptions`` and ``response_exceptions`` and report this
module as theirs. Those modules are imported when a class is first reached here
(``exceptions.ClientError``), because with aiohttp installed each class also derives from
aiohttp's same-named class, and importing aiohttp costs more than the rest of aiotape.
Client code therefore names exceptions through this module at raise and ``except`` sites
(``except exceptions.ClientError:`` is evaluated only while an exception is in flight), so a
process that never sees an error never imports aiohttp; one that does gets the same classes,
built once. ``RequestInfo`` is a plain record, available at once; ``ConnectionKey``, another,
is imported on first use (without building the classes).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from .request_info import RequestInfo

if TYPE_CHECKING:
    from .base_exceptions import (
        ClientConnectionError,
        ClientConnectionResetError,
        ClientConnectorCertificateError,
        ClientConnectorDNSError,
        ClientConnectorError,
        ClientConnectorSSLError,
        ClientError,
        ClientOSError,
        ClientPayloadError,
        ClientProxyConnectionError,
        ClientSSLError,
        ConnectionTimeoutError,
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
        UnixClientConnectorError,
        UploadAbortedError,
        WSMessageTypeError,
    )
    from .pool_key import ConnectionKey
    from .response_exceptions import (
        ClientHttpProxyError,
        ClientResponseError,
        ContentTypeError,
        TooManyRedirects,
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
    "ConnectionKey",
    "ConnectionTimeoutError",
    "ContentTypeError",
    "EofStream",
    "InvalidURL",
    "InvalidUrlClientError",
    "InvalidUrlRedirectClientError",
    "NonHttpUrlClientError",
    "NonHttpUrlRedirectClientError",
    "RedirectClientError",
    "RequestInfo",
    "ServerConnectionError",
    "ServerDisconnectedError",
    "ServerFingerprintMismatch",
    "ServerTimeoutError",
    "SocketTimeoutError",
    "TooManyRedirects",
    "UnixClientConnectorError",
    "UploadAbortedError",
    "WSMessageTypeError",
    "WSServerHandshakeError",
]


_DEFINING_MODULES = ("base_exceptions", "response_exceptions")


def __getattr__(name: str) -> type:
    """Define every exception class (once, on first use) and return the one named ``name``
    (``ConnectionKey``: import its module, defining no class)."""
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if name == "ConnectionKey":
        from .pool_key import ConnectionKey

        return ConnectionKey
    namespace = globals()
    for part in _DEFINING_MODULES:
        module = importlib.import_module(f"{__package__}.{part}")
        namespace.update((key, getattr(module, key)) for key in module.__all__)
    cls: type[BaseException] = namespace[name]
    return cls


def __dir__() -> list[str]:
    """This module's names, the classes included before they are built."""
    return sorted({*globals(), *__all__})
