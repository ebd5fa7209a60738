"""MIME header pieces: header-injection checks and Content-Disposition values (RFC 2183/7578)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import quote

__all__ = ["TOKEN", "check_header_value", "content_disposition"]

TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
"""An RFC 9110 token."""

_FORBIDDEN = re.compile(r"[\r\n\x00]")
_QUOTED_CONTENT = re.compile(r"[\t\x20-\x7e]*")
_NOT_QTEXT = re.compile(r"[^\x21\x23-\x5b\x5d-\x7e]")


def check_header_value(value: str) -> str:
    """``value`` unchanged; ``ValueError`` if it could inject a header (CR, LF, NUL)."""
    if _FORBIDDEN.search(value):
        raise ValueError(
            "Forbidden control character detected in headers. Potential header injection attack."
        )
    return value


def _escape(match: re.Match[str]) -> str:
    return "\\" + match.group(0)


def _quote_param(key: str, value: str, quote_fields: bool) -> str:
    """One ``key="value"`` disposition parameter, quoted as aiohttp does."""
    if not quote_fields:
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        return f'{key}="{escaped}"'
    if key.lower() == "filename":
        return f'{key}="{quote(value, "")}"'
    if _QUOTED_CONTENT.fullmatch(value):
        return f'{key}="{_NOT_QTEXT.sub(_escape, value)}"'
    return f"{key}*=utf-8''{quote(value, '')}"


def content_disposition(
    disptype: str, params: Sequence[tuple[str, str]], *, quote_fields: bool = True
) -> str:
    """A MIME Content-Disposition value (RFC 2183 / RFC 7578), e.g. for a form-data part.

    With ``quote_fields`` (aiohttp's default) ``filename`` is percent-encoded, other 7-bit
    values become quoted-strings and non-ASCII ones use RFC 2231 ``key*=utf-8''...``;
    without it values are sent as 8-bit quoted strings.
    """
    if not TOKEN.fullmatch(disptype):
        raise ValueError(f"bad content disposition type {disptype!r}")
    parts = [disptype]
    for key, value in params:
        if not TOKEN.fullmatch(key):
            raise ValueError(f"bad content disposition parameter {key!r}={value!r}")
        parts.append(_quote_param(key, check_header_value(value), quote_fields))
    return "; ".join(parts)
