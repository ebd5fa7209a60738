"""Errors raised by cassettes (not client errors: they mean the test setup is wrong).

An unmatched request's and a websocket mismatch's text is built by :mod:`.complaints`,
imported by the first such error (a clean replay raises none).
"""

from __future__ import annotations

__all__ = [
    "CassetteError",
    "CassetteFormatError",
    "UnmatchedRequestError",
    "WebSocketMismatchError",
]


class CassetteError(Exception):
    """Base class for cassette problems."""


class CassetteFormatError(CassetteError):
    """A cassette file cannot be read."""


class UnmatchedRequestError(CassetteError):
    """A request has no recorded interaction and the record mode forbids recording it."""


class WebSocketMismatchError(CassetteError):
    """A websocket client sent something other than what the recording holds."""
