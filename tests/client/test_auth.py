"""BasicAuth and URL credential stripping, pinned to aiohttp's behaviour."""

from __future__ import annotations

import base64

import pytest
from yarl import URL

from aiotape.client.auth import BasicAuth, strip_auth_from_url


def test_defaults_to_empty_password_and_latin1() -> None:
    assert BasicAuth("user") == ("user", "", "latin1")


def test_is_a_named_tuple_with_field_names() -> None:
    auth = BasicAuth("user", "pass", "utf-8")
    assert (auth.login, auth.password, auth.encoding) == ("user", "pass", "utf-8")
    assert auth._fields == ("login", "password", "encoding")


@pytest.mark.parametrize(("login", "password"), [(None, "p"), ("u", None)])
def test_none_login_or_password_raises_value_error(login: str, password: str) -> None:
    with pytest.raises(ValueError, match="None is not allowed"):
        BasicAuth(login, password)


def test_colon_in_login_raises_value_error() -> None:
    with pytest.raises(ValueError, match='":" is not allowed'):
        BasicAuth("us:er", "pass")


def test_colon_in_password_is_allowed() -> None:
    assert BasicAuth("user", "pa:ss").password == "pa:ss"


def test_encode_gives_basic_header_value() -> None:
    assert BasicAuth("Aladdin", "open sesame").encode() == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="


def test_encode_uses_the_given_encoding() -> None:
    header = BasicAuth("jürgen", "pässword", encoding="utf-8").encode()
    assert base64.b64decode(header[6:]) == "jürgen:pässword".encode()


def test_encode_defaults_to_latin1() -> None:
    header = BasicAuth("jürgen", "x").encode()
    assert base64.b64decode(header[6:]) == "jürgen:x".encode("latin1")


def test_decode_round_trips_encode() -> None:
    auth = BasicAuth("user", "pa:ss")
    assert BasicAuth.decode(auth.encode()) == auth


def test_decode_is_case_insensitive_on_scheme() -> None:
    assert BasicAuth.decode("basic dXNlcjpwYXNz") == BasicAuth("user", "pass")


def test_decode_uses_the_given_encoding() -> None:
    header = "Basic " + base64.b64encode("ü:ß".encode()).decode()
    assert BasicAuth.decode(header, encoding="utf-8") == BasicAuth("ü", "ß", "utf-8")


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("Basic", "Could not parse"),
        ("Bearer dXNlcjpwYXNz", "Unknown authorization method"),
        ("Basic not*base64", "Invalid base64"),
        ("Basic " + base64.b64encode(b"nocolon").decode(), "Invalid credentials"),
    ],
)
def test_decode_rejects_malformed_headers(header: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BasicAuth.decode(header)


def test_from_url_reads_decoded_userinfo() -> None:
    assert BasicAuth.from_url(URL("http://us%20er:p%40ss@host/")) == BasicAuth("us er", "p@ss")


def test_from_url_with_password_only_gives_empty_login() -> None:
    assert BasicAuth.from_url(URL("http://:secret@host/")) == BasicAuth("", "secret")


def test_from_url_without_userinfo_is_none() -> None:
    assert BasicAuth.from_url(URL("http://host/")) is None


def test_from_url_rejects_strings() -> None:
    with pytest.raises(TypeError):
        BasicAuth.from_url("http://u:p@host/")  # type: ignore[arg-type]


def test_strip_auth_from_url_removes_credentials_and_returns_them() -> None:
    url, auth = strip_auth_from_url(URL("http://user:pass@host:8080/p?q=1"))
    assert url == URL("http://host:8080/p?q=1")
    assert auth == BasicAuth("user", "pass")


def test_strip_auth_from_url_without_credentials_returns_same_url() -> None:
    url = URL("http://host/p")
    assert strip_auth_from_url(url) == (url, None)
