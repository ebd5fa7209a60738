"""Content-Disposition of a response, parsed with aiohttp's rules and warnings.

``parse_content_disposition`` returns ``(type, params)``; a header it cannot read gives
``(None, {})`` and a ``BadContentDispositionHeader`` warning, a parameter it skips a
``BadContentDispositionParam`` warning. RFC 5987/2231 forms (``filename*=``, ``filename*0``)
are decoded as aiohttp decodes them.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from urllib.parse import unquote

__all__ = [
    "BadContentDispositionHeader",
    "BadContentDispositionParam",
    "ContentDisposition",
    "content_disposition_filename",
    "parse_content_disposition",
]

_SEPARATORS = frozenset('()<>@,;:\\"/[]?={} \t')
_TOKEN_CHARS = frozenset(chr(i) for i in range(33, 127)) - _SEPARATORS
_ESCAPED = re.compile(r"\\([\x00-\x7f])")


class BadContentDispositionHeader(RuntimeWarning):
    """A Content-Disposition header that could not be parsed (the warning's text is it)."""


class BadContentDispositionParam(RuntimeWarning):
    """A Content-Disposition parameter that was skipped (the warning's text is it)."""


@dataclass(frozen=True, slots=True)
class ContentDisposition:
    """A parsed Content-Disposition: its type, parameters and decoded filename."""

    type: str | None
    parameters: MappingProxyType[str, str]
    filename: str | None


def _is_token(text: str) -> bool:
    return bool(text) and _TOKEN_CHARS.issuperset(text)


def _is_quoted(text: str) -> bool:
    return len(text) >= 2 and text[0] == text[-1] == '"'


def _is_continuation(key: str) -> bool:
    """``name*0``, ``name*1*``...: one numbered piece of a long parameter."""
    star = key.find("*")
    return star >= 0 and key[star + 1 :].removesuffix("*").isdigit()


def _unescape(text: str) -> str:
    return _ESCAPED.sub(r"\1", text)


def _plain_value(value: str, rest: list[str]) -> str | None:
    """A plain parameter's value (quoted or a token); a quoted one may hold a ``;``."""
    stripped = value.rstrip()
    if _is_quoted(stripped):
        return _unescape(stripped[1:-1].lstrip("\\/"))
    if _is_token(value):
        return value
    if rest and _is_quoted(joined := f"{value};{rest[0]}"):
        rest.pop(0)
        return _unescape(joined[1:-1].lstrip("\\/"))
    return None


def _extended_value(value: str) -> str | None:
    """``charset'lang'percent-encoded`` decoded, or None if it is not that."""
    if not (_is_token(value) and value.count("'") == 2):
        return None
    return _percent_decoded(value)


def _percent_decoded(value: str) -> str | None:
    """``charset'lang'text`` with the text percent-decoded (utf-8 by default); None if it fails."""
    charset, _, encoded = value.split("'", 2)
    try:
        return unquote(encoded, charset or "utf-8", "strict")
    except (LookupError, UnicodeDecodeError):
        return None


def parse_content_disposition(header: str | None) -> tuple[str | None, dict[str, str]]:
    """``(type, params)`` of a Content-Disposition header, warning about what is skipped."""
    if not header:
        return None, {}
    disposition, *rest = header.split(";")
    disposition = disposition.strip()
    if not _is_token(disposition):
        warnings.warn(BadContentDispositionHeader(header), stacklevel=2)
        return None, {}
    params: dict[str, str] = {}
    while rest:
        item = rest.pop(0)
        if not item:
            warnings.warn(BadContentDispositionHeader(header), stacklevel=2)
            continue
        key, sep, raw = item.partition("=")
        key = key.lower().strip()
        if not sep or key in params:
            warnings.warn(BadContentDispositionHeader(header), stacklevel=2)
            return None, {}
        value = raw.lstrip()
        parsed: str | None = None
        if not _is_token(key):
            pass
        elif _is_continuation(key):
            if _is_quoted(value):
                parsed = _unescape(value[1:-1])
            elif _is_token(value):
                parsed = value
        elif key.endswith("*"):
            parsed = _extended_value(value)
        else:
            parsed = _plain_value(value, rest)
            if parsed is None:
                warnings.warn(BadContentDispositionHeader(header), stacklevel=2)
                return None, {}
        if parsed is None:
            warnings.warn(BadContentDispositionParam(item), stacklevel=2)
            continue
        params[key] = parsed
    return disposition.lower(), params


def content_disposition_filename(params: Mapping[str, str], name: str = "filename") -> str | None:
    """The ``name`` parameter: ``name*``, else ``name``, else joined ``name*0``, ``name*1``..."""
    if not params:
        return None
    extended = f"{name}*"
    if extended in params:
        return params[extended]
    if name in params:
        return params[name]
    pieces = []
    for position, (key, value) in enumerate(
        sorted(item for item in params.items() if item[0].startswith(extended))
    ):
        if key[len(extended) :].removesuffix("*") != str(position):
            break
        pieces.append(value)
    if not pieces:
        return None
    joined = "".join(pieces)
    return _percent_decoded(joined) if "'" in joined else joined


def content_disposition(header: str | None) -> ContentDisposition | None:
    """The parsed header, or None when there is none."""
    if header is None:
        return None
    kind, params = parse_content_disposition(header)
    return ContentDisposition(kind, MappingProxyType(params), content_disposition_filename(params))
