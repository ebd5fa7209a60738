"""The plain URI split takes exactly the URIs a regular expression of the plain shape takes,
with the same parts (the split uses character sets: compiling the expression costs every run)."""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from aiotape.cassettes.matching import UriParts, _plain_parts

_PLAIN_URI = re.compile(
    r"(https?|wss?)://([a-z0-9.-]+)(?::([1-9][0-9]{0,4}))?"
    r"(/[A-Za-z0-9._~!$&'()*,;=:/-]*)?(?:\?([A-Za-z0-9._~!$&'()*,;=:/?-]*))?"
)
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def _by_expression(uri: str) -> UriParts | None:
    plain = _PLAIN_URI.fullmatch(uri)
    if plain is None:
        return None
    scheme, host, port_text, path, query = plain.groups()
    port = _DEFAULT_PORTS[scheme] if port_text is None else int(port_text)
    if port > 65535:
        return None
    pairs = tuple(
        (name, value)
        for name, _, value in (piece.partition("=") for piece in (query or "").split("&") if piece)
    )
    return UriParts(scheme, host, port, path or "/", pairs)


_TEXT = st.text(alphabet="aZ09-._~!$&'()*,;=:/?%+@[]# éH", max_size=14)


@settings(max_examples=1500, deadline=None)
@given(
    scheme=st.sampled_from(["http", "https", "ws", "wss", "HTTP", "ftp", "", "http:/"]),
    rest=_TEXT,
    host=st.sampled_from(["h", "127.0.0.1", "a-b.c", "H", "", "u@h", "[::1]", "h:"]),
    port=st.sampled_from(["", ":1", ":80", ":65535", ":65536", ":99999", ":080", ":", ":1:2"]),
)
@example(scheme="http", rest="/x?", host="h", port="")
@example(scheme="http", rest="?a=1&&b&=c?d", host="h", port=":8080")
@example(scheme="http", rest="/a://b", host="h", port="")
def test_the_split_takes_what_the_expression_takes(
    scheme: str, rest: str, host: str, port: str
) -> None:
    uri = f"{scheme}://{host}{port}{rest}"
    assert _plain_parts(uri) == _by_expression(uri)
    assert _plain_parts(rest) == _by_expression(rest)
