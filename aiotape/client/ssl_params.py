"""aiohttp's deprecated TLS options of TCPConnector, with aiohttp's warnings:
``ssl_shutdown_timeout`` and ``enable_cleanup_closed`` (the deprecated spellings of ``ssl=``
itself are merged by ``fingerprint.merge_ssl_params``).
"""

from __future__ import annotations

import sys
import warnings

__all__ = ["UNSET", "cleanup_closed_warning", "shutdown_timeout"]

UNSET: object = object()
"""Default of ``ssl_shutdown_timeout``: not given (aiohttp warns only when it is)."""

# CPython fixed the leak enable_cleanup_closed worked around in 3.12.8 and 3.13.1.
_CLEANUP_FIXED = sys.version_info >= (3, 13, 1) or (3, 12, 8) <= sys.version_info < (3, 13)


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
