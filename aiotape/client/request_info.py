"""``RequestInfo``, the plain record a request is known by on responses and response errors,
and the type of the ``ssl=`` setting a request (and its ``pool_key.ConnectionKey``) carries."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple, TypeAlias

from multidict import CIMultiDictProxy
from yarl import URL

__all__ = ["RequestInfo", "SSLSetting"]


if TYPE_CHECKING:
    import asyncio
    import ssl
    from typing import Protocol

    class CertificatePin(Protocol):
        """An ``ssl=`` setting that pins the server certificate: what records and errors know of
        ``fingerprint.Fingerprint``, the one kind ``ssl=`` accepts (named here, not imported:
        ``fingerprint`` raises client exceptions, whose classes carry these records)."""

        @property
        def fingerprint(self) -> bytes:
            """The expected SHA-256 digest of the server certificate."""
            ...

        def check(self, transport: asyncio.Transport) -> None:
            """Raise ServerFingerprintMismatch unless the TLS peer's certificate matches."""
            ...


SSLSetting: TypeAlias = "ssl.SSLContext | bool | CertificatePin"
"""The ``ssl=`` setting: an SSLContext, a bool, or a pinned certificate (a Fingerprint)."""


class RequestInfo(NamedTuple):
    """What was requested: attached to responses and response errors."""

    url: URL
    method: str
    headers: CIMultiDictProxy[str]
    real_url: URL
