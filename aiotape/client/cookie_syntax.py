"""RFC 6265 cookie syntax: Set-Cookie parsing (lenient, as servers are), cookie dates,
the Cookie header writer and the domain and path matching rules a jar applies."""

from __future__ import annotations

import calendar
import re
from http.cookies import BaseCookie, Morsel

from yarl import URL

from .schemes import SECURE_SCHEMES

__all__ = [
    "CTL_RE",
    "HEADER_UNSAFE_RE",
    "MAX_AGE_RE",
    "SECURE_SCHEMES",
    "cookie_header",
    "default_path",
    "domain_matches",
    "is_ip_address",
    "new_morsel",
    "parse_cookie_date",
    "parse_set_cookie",
    "path_matches",
]

# RFC 6265 section 6.1 minimums, which double as our maximums.
_MAX_PAIR_LENGTH = 4096
_MAX_ATTRIBUTE_LENGTH = 1024

# Lenient cookie-name syntax: printable ASCII but whitespace, quotes, separators and backslash.
_NAME_RE = re.compile(r"[!#-+\--:<-\[\]-~]+", re.ASCII)
CTL_RE = re.compile(r"[\x00-\x1f\x7f]")
_FIELD_CTL_RE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # a header field may hold tabs
HEADER_UNSAFE_RE = re.compile(r"[\r\n\x00]")
MAX_AGE_RE = re.compile(r"-?[0-9]+", re.ASCII)
_QUOTED_VALUE_RE = re.compile(r'"(?:[^"\\]|\\.)*"[ \t]*(?:;|$)')
_UNQUOTE_RE = re.compile(r"\\(?:([0-3][0-7][0-7])|(.))", re.DOTALL)

# RFC 6265 section 5.1.1: a cookie date is a run of tokens between delimiters.
_DATE_TOKEN_RE = re.compile(r"[^\x09\x20-\x2f\x3b-\x40\x5b-\x60\x7b-\x7e]+")
_DATE_TIME_RE = re.compile(r"([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:[^0-9]|$)", re.ASCII)
_DATE_DAY_RE = re.compile(r"([0-9]{1,2})(?:[^0-9]|$)", re.ASCII)
_DATE_YEAR_RE = re.compile(r"([0-9]{2,4})(?:[^0-9]|$)", re.ASCII)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def is_ip_address(host: str) -> bool:
    """Whether ``host`` (a raw URL host) is an IP literal rather than a domain name."""
    return ":" in host or host.replace(".", "").isdigit()


def new_morsel(key: str, value: str, coded_value: str) -> Morsel[str]:
    """A Morsel built without ``Morsel.set``'s strict name check (real servers are lenient)."""
    morsel: Morsel[str] = Morsel()
    morsel.__setstate__({"key": key, "value": value, "coded_value": coded_value})  # type: ignore[attr-defined]
    return morsel


def _unquote(coded: str) -> str:
    """The value of a possibly double-quoted cookie value, escapes resolved."""
    if len(coded) < 2 or coded[0] != '"' or coded[-1] != '"':
        return coded
    return _UNQUOTE_RE.sub(
        lambda m: chr(int(m[1], 8)) if m[1] else m[2],
        coded[1:-1],
    )


def parse_cookie_date(text: str) -> float | None:
    """Epoch seconds of an ``Expires`` value (RFC 6265 section 5.1.1), or None if invalid."""
    hms: tuple[int, int, int] | None = None
    day = month = year = None
    for token in _DATE_TOKEN_RE.findall(text):
        if hms is None and (match := _DATE_TIME_RE.match(token)):
            hms = (int(match[1]), int(match[2]), int(match[3]))
        elif day is None and (match := _DATE_DAY_RE.match(token)):
            day = int(match[1])
        elif month is None and token[:3].lower() in _MONTHS:
            month = _MONTHS.index(token[:3].lower()) + 1
        elif year is None and (match := _DATE_YEAR_RE.match(token)):
            year = int(match[1])
    if hms is None or day is None or month is None or year is None:
        return None
    if 70 <= year <= 99:
        year += 1900
    elif 0 <= year <= 69:
        year += 2000
    hour, minute, second = hms
    if not 1 <= day <= 31 or year < 1601 or hour > 23 or minute > 59 or second > 59:
        return None
    return float(calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0)))


def _split_pair(field: str) -> tuple[str, str, str] | None:
    """``(name, coded value, attributes)`` of a Set-Cookie field; a quoted value may hold ';'."""
    name, sep, rest = field.partition("=")
    if not sep or ";" in name:
        return None
    stripped = rest.lstrip(" \t")
    if stripped.startswith('"'):
        close = _QUOTED_VALUE_RE.match(stripped)
        if close is not None:
            end = close.end()
            return name, stripped[:end].rstrip("; \t"), stripped[end:]
    value, _, attributes = rest.partition(";")
    return name, value, attributes


def parse_set_cookie(field: str) -> tuple[str, Morsel[str]] | None:
    """Parse one Set-Cookie header value; None if it is malformed and must be ignored."""
    if _FIELD_CTL_RE.search(field):
        return None
    split = _split_pair(field)
    if split is None:
        return None
    name, coded, attributes = split
    name = name.strip(" \t")
    coded = coded.strip(" \t")
    if not _NAME_RE.fullmatch(name) or len(name) + len(coded) > _MAX_PAIR_LENGTH:
        return None
    value = _unquote(coded)
    if CTL_RE.search(value):
        return None
    morsel = new_morsel(name, value, coded)
    for attribute in attributes.split(";"):
        attr_name, _, attr_value = attribute.partition("=")
        attr_name = attr_name.strip(" \t").lower()
        if attr_name not in Morsel._reserved:  # type: ignore[attr-defined]
            continue
        if attr_name in Morsel._flags:  # type: ignore[attr-defined]
            morsel[attr_name] = True
            continue
        attr_value = attr_value.strip(" \t")
        if len(attr_value) <= _MAX_ATTRIBUTE_LENGTH:
            morsel[attr_name] = attr_value
    return name, morsel


def cookie_header(cookies: BaseCookie[str]) -> str:
    """The ``Cookie`` request header value for ``cookies``: ``"a=1; b=2"``.

    Raises ValueError if a name or value contains CR, LF or NUL (header injection).
    """
    pairs = []
    for morsel in cookies.values():
        pair = f"{morsel.key}={morsel.coded_value}"
        if HEADER_UNSAFE_RE.search(pair):
            raise ValueError(f"Cookie {morsel.key!r} contains CR, LF or NUL")
        pairs.append(pair)
    return "; ".join(pairs)


def domain_matches(domain: str, host: str) -> bool:
    """RFC 6265 section 5.1.3: ``host`` is ``domain`` or a subdomain of it (never an IP)."""
    if host == domain:
        return True
    return host.endswith(domain) and host[-len(domain) - 1] == "." and not is_ip_address(host)


def path_matches(cookie_path: str, request_path: str) -> bool:
    """RFC 6265 section 5.1.4."""
    if not request_path.startswith(cookie_path):
        return False
    return (
        len(request_path) == len(cookie_path)
        or cookie_path.endswith("/")
        or request_path[len(cookie_path)] == "/"
    )


def default_path(url: URL) -> str:
    """RFC 6265 section 5.1.4: the directory of the response URL's path."""
    path = url.path
    if not path.startswith("/") or path.count("/") == 1:
        return "/"
    return path[: path.rfind("/")]
