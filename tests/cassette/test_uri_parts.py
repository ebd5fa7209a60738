"""Matching reads a URI's parts from a plain split when it can: always what yarl reads."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from yarl import URL

from aiotape.cassettes.matching import UriParts, _plain_parts, uri_parts


def _by_yarl(uri: str) -> UriParts:
    url = URL(uri, encoded=True)
    return UriParts(url.scheme, url.host, url.port, url.path, tuple(url.query.items()))


_PIECES = st.text(alphabet="az09-._~/=&?", max_size=12) | st.text(
    alphabet="aZ09-._~!$&'()*,;=:/?%+@[]# éH", max_size=12
)


@settings(max_examples=600, deadline=None)
@given(
    scheme=st.sampled_from(["http", "https", "ws", "wss", "HTTP", "ftp", "unix"]),
    host=st.sampled_from(["127.0.0.1", "localhost", "Example.COM", "a-b.c", "[::1]", "", "u@h"]),
    port=st.sampled_from(["", ":8080", ":80", ":", ":080", ":x"]),
    path=_PIECES,
    query=st.none() | _PIECES,
)
@example(scheme="http", host="h", port="", path="", query="a=1&a=2&&b&=c&d=")
@example(scheme="http", host="h", port=":443", path="/a/../b//c;p", query="a;b=1&x=y=z")
def test_a_plain_split_agrees_with_yarl(
    scheme: str, host: str, port: str, path: str, query: str | None
) -> None:
    uri = f"{scheme}://{host}{port}{path}" + ("" if query is None else f"?{query}")
    try:
        expected = _by_yarl(uri)
    except (ValueError, IndexError):  # yarl refuses it: then the split must not take it either
        assert _plain_parts(uri) is None
        return
    plain = _plain_parts(uri)
    if plain is not None:
        assert plain == expected
    assert uri_parts(uri) == expected
    assert uri_parts(uri, URL(uri, encoded=True)) == expected


@pytest.mark.parametrize(
    "uri",
    [
        "http://127.0.0.1:8080/item/1?b=2&a=1",
        "https://api.example.com/v1/things",
        "ws://localhost/socket?token=x",
        "http://h?only=query",
    ],
)
def test_ordinary_uris_take_the_plain_split(uri: str) -> None:
    assert _plain_parts(uri) == _by_yarl(uri)


@pytest.mark.parametrize(
    "uri",
    [
        "http://h/caf%C3%A9?q=a+b",
        "http://user@h/x",
        "http://[::1]:8080/x",
        "http://H/x",
        "http://h/x#frag",
        "http://h/ü",
    ],
)
def test_uris_needing_decoding_go_to_yarl(uri: str) -> None:
    assert _plain_parts(uri) is None
    assert uri_parts(uri) == _by_yarl(uri)
