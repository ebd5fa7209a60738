"""The ``ssl=`` setting: an SSLContext, a bool, or a pinned certificate :class:`Fingerprint`;
and aiohttp's deprecated spellings of it (``verify_ssl=False``, ``ssl_context=ctx`` and
``fingerprint=digest``, on requests and on TCPConnector), merged with aiohttp's warnings."""

from __future__ import annotations

import asyncio
import warnings
from ssl import SSLContext, SSLObject

from . import exceptions
from .request_info import SSLSetting

__all__ = ["Fingerprint", "SSLSetting", "fingerprint_mismatch", "merge_ssl_params", "ssl_setting"]

_WEAK_DIGEST_SIZES = frozenset({16, 20})  # md5, sha1
_SHA256_SIZE = 32
_EXCLUSIVE = "verify_ssl, ssl_context, fingerprint and ssl parameters are mutually exclusive"


class Fingerprint:
    """Pins the server certificate by the SHA-256 digest of its DER bytes.

    ``ssl=Fingerprint(digest)`` skips CA verification and accepts only a peer whose
    certificate hashes to ``digest``; any other raises :class:`ServerFingerprintMismatch`.
    """

    __slots__ = ("_fingerprint",)

    def __init__(self, fingerprint: bytes) -> None:
        size = len(fingerprint)
        if size in _WEAK_DIGEST_SIZES:
            raise ValueError("md5 and sha1 are insecure and not supported. Use sha256.")
        if size != _SHA256_SIZE:
            raise ValueError("fingerprint has invalid length")
        self._fingerprint = fingerprint

    @property
    def fingerprint(self) -> bytes:
        """The expected SHA-256 digest."""
        return self._fingerprint

    def check(self, transport: asyncio.Transport) -> None:
        """Raise :class:`ServerFingerprintMismatch` unless the TLS peer's certificate matches.

        A transport without TLS passes unchecked.
        """
        ssl_object: SSLObject | None = transport.get_extra_info("ssl_object")
        if ssl_object is None:
            return
        import hashlib  # imported by the first pinned connection

        got = hashlib.sha256(ssl_object.getpeercert(binary_form=True) or b"").digest()
        if got != self._fingerprint:
            host, port, *_ = transport.get_extra_info("peername")
            raise exceptions.ServerFingerprintMismatch(self._fingerprint, got, host, port)


def ssl_setting(value: object) -> SSLSetting:
    """Validate an ``ssl=`` argument (``None`` means True); refuse other types as aiohttp does."""
    if value is None:
        return True
    if not isinstance(value, SSLContext | bool | Fingerprint):
        raise TypeError(
            f"ssl should be SSLContext, bool, Fingerprint or None, got {value!r} instead."
        )
    return value


def fingerprint_mismatch(
    setting: SSLSetting, transport: asyncio.Transport
) -> exceptions.ServerFingerprintMismatch | None:
    """The mismatch error (with ``transport`` closed) if ``setting`` pins another certificate."""
    if not isinstance(setting, Fingerprint):
        return None
    try:
        setting.check(transport)
    except exceptions.ServerFingerprintMismatch as exc:
        transport.close()
        return exc
    return None


def merge_ssl_params(
    ssl: object,
    verify_ssl: bool | None,
    ssl_context: SSLContext | None,
    fingerprint: bytes | None,
) -> SSLSetting:
    """The ``ssl=`` setting the deprecated options stand for (each warns as in aiohttp).

    ``ValueError`` when one of them is combined with an ``ssl=`` other than True.
    """
    setting = ssl_setting(ssl)
    replacements: list[tuple[str, SSLSetting]] = []
    if verify_ssl is not None and not verify_ssl:
        replacements.append(("verify_ssl is deprecated, use ssl=False instead", False))
    if ssl_context is not None:
        replacements.append(("ssl_context is deprecated, use ssl=context instead", ssl_context))
    if fingerprint is not None:
        message = "fingerprint is deprecated, use ssl=Fingerprint(fingerprint) instead"
        replacements.append((message, Fingerprint(fingerprint)))
    for message, replacement in replacements:
        warnings.warn(message, DeprecationWarning, stacklevel=3)
        if setting is not True:
            raise ValueError(_EXCLUSIVE)
        setting = replacement
    return setting
