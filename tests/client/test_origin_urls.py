"""URLs made from their origin (``prepare.origin_cut``, ``origin_url`` and ``parse_url``) are
the URLs ``URL(string)`` parses: a property test over origins and paths of every kind, including
those the shortcut must refuse."""

from __future__ import annotations

import string

import pytest
from hypothesis import event, example, given, settings
from hypothesis import strategies as st
from yarl import URL

import aiotape
from aiotape.client.prepare import origin_cut, origin_url, parse_url

HOSTS = st.sampled_from(
    [
        "127.0.0.1",
        "localhost",
        "LocalHost",
        "EXAMPLE.com",
        "example.com.",
        "[::1]",
        "[::FFFF:127.0.0.1]",
        "bücher.example",
        "xn--bcher-kva.example",
        "ex%41mple.com",
        "a",
        "",
        "u:p@h",
        "@h",
        "h\t",
        "h\\x",
        "[::1",
    ]
)
PORTS = st.sampled_from(["", ":80", ":443", ":8080", ":0", ":", ":65536", ":x"])
SCHEMES = st.sampled_from(["http", "https", "HTTP", "ws", "ftp", ""])
PATH_CHARS = string.ascii_letters + string.digits + "-._~!$&'()*+,;=:@/%?#[] \t\\é"
SEGMENT_CHARS = string.ascii_letters + string.digits + "-._~!$&'()*+,;=:@%é"
PATHS = st.one_of(
    st.text(alphabet=PATH_CHARS, max_size=24),
    st.lists(st.text(alphabet=SEGMENT_CHARS, max_size=6), max_size=5).map(
        lambda segments: "".join("/" + segment for segment in segments)
    ),
)
EQUAL_PARTS = (
    "scheme",
    "raw_authority",
    "authority",
    "raw_user",
    "raw_password",
    "raw_host",
    "host",
    "host_port_subcomponent",
    "port",
    "explicit_port",
    "raw_path",
    "path",
    "raw_query_string",
    "raw_fragment",
    "absolute",
)


def made_from_origin(url_str: str) -> URL | None:
    """What the session's shortcut makes of ``url_str``; None where it takes ``URL()``."""
    cut = origin_cut(url_str)
    if cut < 0:
        return None
    base = origin_url(url_str[:cut])
    return None if base is None else base.with_path(url_str[cut:], encoded=True)


def parsed(url_str: str) -> URL | None:
    try:
        return URL(url_str)
    except (ValueError, IndexError):  # yarl 1.2x raises IndexError for "http://[::1]@"
        return None


def assert_same_url(made: URL, expected: URL) -> None:
    assert made == expected
    assert str(made) == str(expected)
    assert hash(made) == hash(expected)
    for part in EQUAL_PARTS:
        assert _part(made, part) == _part(expected, part), part
    assert _part(made, "origin") == _part(expected, "origin")


def _part(url: URL, name: str) -> object:
    """``url.<name>`` (called if a method), or the exception getting it raises."""
    try:
        value = getattr(url, name)
        return value() if callable(value) else value
    except (ValueError, IndexError) as exc:
        return type(exc), str(exc)


@settings(max_examples=1500, deadline=None)
@given(SCHEMES, HOSTS, PORTS, PATHS)
@example("http", "127.0.0.1", ":8080", "/item/test_a-1")
@example("http", "EXAMPLE.com", ":80", "/a/b.json")
@example("https", "bücher.example", "", "/x/../y")
@example("http", "localhost", "", "/a/./b")
@example("http", "localhost", "", "/.hidden")
@example("http", "localhost", "", "/a%2fb")
@example("http", "localhost", "", "/a b")
@example("http", "localhost", "", "//double/slash")
@example("http", "localhost", "", "/a?b#c")
@example("http", "[::1]", "", "@")
def test_a_url_made_from_its_origin_is_the_parsed_url(
    scheme: str, host: str, port: str, path: str
) -> None:
    url_str = f"{scheme}://{host}{port}{path}" if scheme else f"//{host}{port}{path}"
    made = made_from_origin(url_str)
    event("taken" if made is not None else "refused")
    expected = parsed(url_str)
    if expected is None:
        assert made is None, url_str
        with pytest.raises((ValueError, IndexError)):
            parse_url(url_str)
        return
    assert_same_url(parse_url(url_str), expected)
    if made is not None:
        assert_same_url(made, expected)


@given(PATHS)
def test_paths_that_yarl_would_change_are_refused(path: str) -> None:
    url_str = "http://127.0.0.1:8080" + path
    expected = parsed(url_str)
    if expected is None or expected.raw_path != (path or "/") or expected.raw_query_string:
        assert made_from_origin(url_str) is None


def test_the_common_shapes_are_taken() -> None:
    for url_str in (
        "http://127.0.0.1:44825/item/test_abc-0",
        "https://api.example.com/v1/users/42/items.json",
        "http://LOCALHOST:80/a-b_c~d/e:f@g/h;i=j,k+l/",
        "http://[::1]:8080/x",
    ):
        made = made_from_origin(url_str)
        assert made is not None, url_str
        assert_same_url(made, URL(url_str))


def test_origins_with_credentials_or_no_host_are_refused() -> None:
    for origin in ("http://u:p@h", "http://:80", "ftp://h", "http://h?q", "http://h#f", "h"):
        assert origin_url(origin) is None, origin


@settings(max_examples=1000, deadline=None)
@given(
    st.sampled_from(["http", "https"]),
    st.sampled_from(["127.0.0.1", "LocalHost", "[::1]", "bücher.example", "example.com."]),
    st.sampled_from(["", ":80", ":443", ":8080"]),
    st.lists(st.text(alphabet=SEGMENT_CHARS, max_size=6), min_size=1, max_size=5),
)
def test_plain_paths_of_http_origins_are_made_as_parsed(
    scheme: str, host: str, port: str, segments: list[str]
) -> None:
    url_str = f"{scheme}://{host}{port}" + "".join("/" + segment for segment in segments)
    made = made_from_origin(url_str)
    event("taken" if made is not None else "refused")
    if made is not None:
        assert_same_url(made, URL(url_str))


def test_parse_url_raises_as_url_does_for_what_is_not_a_string() -> None:
    for value in (123, None, b"http://h/x"):
        with pytest.raises(TypeError):
            URL(value)  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            parse_url(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("url_str", ["http://[::1]@", "http://[::1", "http://h:x/"])
async def test_a_url_yarl_cannot_parse_is_an_invalid_url_error(url_str: str) -> None:
    async with aiotape.ClientSession() as session:
        with pytest.raises(aiotape.InvalidUrlClientError) as raised:
            await session.get(url_str)
    assert raised.value.url == url_str
