"""aiohttp's deprecated TLS options, mapped onto ``ssl=`` with aiohttp's warnings.

``verify_ssl=False``, ``ssl_context=ctx`` and ``fingerprint=digest`` (on requests and on
TCPConnector) are the old spellings of ``ssl=False``, ``ssl=ctx`` and
``ssl=Fingerprint(digest)``; ``ssl_shutdown_timeout`` and ``enable_cleanup_closed`` are
connector options aiohttp deprecates.
"""

from __future__ import annotations

import sys
import warnings
from ssl import SSLContext

from .fingerprint import Fingerprint, SSLSetting, ssl_setting

__all__ = ["UNSET", "cleanup_closed_warning", "merge_ssl_params", "shutdown_timeout"]

UNSET: object = object()
"""Default of ``ssl_shutdown_timeout``: not given (aiohttp warns only when it is)."""

_EXCLUSIVE = "verify_ssl, ssl_context, fingerprint and ssl parameters are mutually exclusive"
# CPython fixed the leak enable_cleanup_closed worked around in 3.12.8 and 3.13.1.
_CLEANUP_FIXED = sys.version_info >= (3, 13, 1) or (3, 12, 8) <= sys.version_info < (3, 13)


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


def shutdown_timeout(value: object) -> float | None:
    """``ssl_shutdown_timeout`` as given (deprecated: warns), or None when not given."""
    if value is UNSET:
        return None
    warnings.warn(
        "The ssl_shutdown_timeout parameter is deprecated and will be removed in aiohttp 4.0",
        DeprecationWarning,
        stacklevel=3,
    )
    if value is not None and not isinstance(value, (int, float)):
        raise TypeError(f"ssl_shutdown_timeout must be a number or None, got {value!r}")
    if value and sys.version_info < (3, 11):  # asyncio takes no shutdown timeout before 3.11
        warnings.warn(
            f"ssl_shutdown_timeout={value} is ignored on Python < 3.11; only "
            "ssl_shutdown_timeout=0 is supported. The timeout will be ignored.",
            RuntimeWarning,
            stacklevel=3,
        )
    return value


def cleanup_closed_warning(enabled: bool) -> None:
    """aiohttp's DeprecationWarning for ``enable_cleanup_closed`` on a fixed Python."""
    if enabled and _CLEANUP_FIXED:
        warnings.warn(
            "enable_cleanup_closed ignored because "
            "https://github.com/python/cpython/pull/118960 is fixed "
            f"in Python version {sys.version_info}",
            DeprecationWarning,
            stacklevel=3,
        )
