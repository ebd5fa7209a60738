"""CookieJar matching rules (RFC 6265, aiohttp's semantics), persistence, and a real server."""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import AsyncIterator
from http.cookies import BaseCookie, Morsel, SimpleCookie
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from hypothesis import given, settings
from hypothesis import strategies as st
from yarl import URL

import aiotape
from aiotape.client.cookie_syntax import cookie_header, parse_cookie_date, parse_set_cookie
from aiotape.client.cookies import CookieJar, DummyCookieJar
from tests.servers import serve_app

NOW = 1_700_000_000.0


class FakeClock:
    """An epoch clock that moves only when told to."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def make_jar(**kwargs: object) -> tuple[CookieJar, FakeClock]:
    clock = FakeClock()
    return CookieJar(clock=clock, **kwargs), clock  # type: ignore[arg-type]


def set_cookies(jar: CookieJar, url: str, *fields: str) -> None:
    jar.update_cookies_from_headers(list(fields), URL(url))


def sent(jar: CookieJar, url: str) -> dict[str, str]:
    return {name: morsel.value for name, morsel in jar.filter_cookies(URL(url)).items()}


def header_for(jar: CookieJar, url: str) -> str:
    return cookie_header(jar.filter_cookies(URL(url)))


# -- parsing Set-Cookie -------------------------------------------------------------------


def test_parse_set_cookie_reads_name_value_and_attributes() -> None:
    parsed = parse_set_cookie("sid=abc; Path=/app; Domain=example.com; Max-Age=60; Secure")
    assert parsed is not None
    name, morsel = parsed
    assert (name, morsel.value) == ("sid", "abc")
    assert morsel["path"] == "/app"
    assert morsel["domain"] == "example.com"
    assert morsel["max-age"] == "60"
    assert morsel["secure"] is True


def test_parse_set_cookie_attribute_names_are_case_insensitive() -> None:
    parsed = parse_set_cookie("a=1; PATH=/x; hTTpOnly; SameSite=Lax")
    assert parsed is not None
    assert (parsed[1]["path"], parsed[1]["httponly"], parsed[1]["samesite"]) == ("/x", True, "Lax")


def test_parse_set_cookie_ignores_unknown_attributes() -> None:
    parsed = parse_set_cookie("a=1; Foo=bar; Path=/")
    assert parsed is not None
    assert parsed[1]["path"] == "/"


def test_parse_set_cookie_trims_whitespace_around_pair() -> None:
    parsed = parse_set_cookie("  a \t=  1  ; Path=/")
    assert parsed is not None
    assert (parsed[0], parsed[1].value) == ("a", "1")


def test_parse_set_cookie_unquotes_value_and_keeps_coded_value() -> None:
    parsed = parse_set_cookie('a="x y"; Path=/')
    assert parsed is not None
    assert (parsed[1].value, parsed[1].coded_value) == ("x y", '"x y"')


def test_parse_set_cookie_quoted_value_may_contain_semicolon() -> None:
    parsed = parse_set_cookie('a="x;y"; Path=/p')
    assert parsed is not None
    assert (parsed[1].value, parsed[1]["path"]) == ("x;y", "/p")


def test_parse_set_cookie_accepts_expires_with_comma() -> None:
    parsed = parse_set_cookie("a=1; Expires=Wed, 09 Jun 2021 10:18:14 GMT")
    assert parsed is not None
    assert parsed[1]["expires"] == "Wed, 09 Jun 2021 10:18:14 GMT"


def test_parse_set_cookie_allows_lenient_names() -> None:
    parsed = parse_set_cookie("user[id]=7")
    assert parsed is not None
    assert parsed[0] == "user[id]"


def test_parse_set_cookie_allows_attribute_names_as_cookie_names() -> None:
    parsed = parse_set_cookie("path=value; Path=/p")
    assert parsed is not None
    assert (parsed[0], parsed[1].value, parsed[1]["path"]) == ("path", "value", "/p")


@pytest.mark.parametrize(
    "field",
    [
        "",
        "novalue",
        "=1",
        "a b=1",
        "a=1\r\nX-Injected: 1",
        "a=\x00",
        'a="\\012"',
        "a=" + "x" * 5000,
    ],
)
def test_parse_set_cookie_rejects_malformed_fields(field: str) -> None:
    assert parse_set_cookie(field) is None


# -- cookie dates -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Wed, 09 Jun 2021 10:18:14 GMT",
        "Wednesday, 09-Jun-21 10:18:14 GMT",
        "Wed Jun  9 10:18:14 2021",
        "09 jun 2021 10:18:14",
    ],
)
def test_parse_cookie_date_accepts_common_formats(text: str) -> None:
    assert parse_cookie_date(text) == 1623233894.0


@pytest.mark.parametrize(
    "text",
    [
        "",
        "garbage",
        "Wed, 32 Jun 2021 10:18:14 GMT",
        "Wed, 09 Jun 1600 10:18:14 GMT",
        "Wed, 09 Jun 2021 24:00:00 GMT",
        "Wed, 09 Jun 2021",
    ],
)
def test_parse_cookie_date_rejects_invalid_dates(text: str) -> None:
    assert parse_cookie_date(text) is None


def test_parse_cookie_date_maps_two_digit_years() -> None:
    assert parse_cookie_date("01 Jan 70 00:00:00") == 0.0
    assert parse_cookie_date("01 Jan 69 00:00:00") == parse_cookie_date("01 Jan 2069 00:00:00")


# -- domains ------------------------------------------------------------------------------


def test_cookie_without_domain_is_host_only() -> None:
    jar, _ = make_jar()
    set_cookies(jar, "http://example.com/", "a=1")
    assert sent(jar, "http://example.com/") == {"a": "1"}
    assert sent(jar, "http://www.example.com/") == {}
    assert jar.host_only_cookies == frozenset({("example.com", "", "a")})


def test_domain_cookie_is_sent_to_subdomains() -> None:
    jar, _ = make_jar()
    set_cookies(jar, "http://www.example.com/", "a=1; Domain=example.com")
    assert sent(jar, "http://example.com/") == {"a": "1"}
    assert sent(jar, "http://deep.api.example.com/") == {"a": "1"}


def test_domain_cookie_is_not_sent_to_other_domains() -> None:
    jar, _ = make_jar()
    set_cookies(jar, "http://www.example.com/", "a=1; Domain=example.com")
    assert sent(jar, "http://badexample.com/") == {}
    assert sent(jar, "http://example.org/") == {}


def test_leading_dot_in_domain_is_ignored() -> None:
    jar, _ = make_jar()
    set_cookies(jar, "http://example.com/", "a=1; Domain=.example.com")
    assert sent(jar, "http://sub.example.com/") == {"a": "1"}


def test_domain_attribute_is_case_insensitive() -> None:
    jar, _ = make_jar()
    set_cookies(jar, "http://www.example.com/", "a=1; Domain=EXAMPLE.com")
    assert sent(jar, "http://api.example.com/") == {"a": "1"}


def test_cookie_for_a_foreign_domain_is_rejected() -> None:
    jar, _ = make_jar()
    set_cookies(jar, "http://example.com/", "a=1; Domain=evil.com")
    assert len(jar) == 0


def test_cookie_for_a_subdomain_of_the_response_host_is_rejected() -> None:
    jar, _ = make_jar()
    set_cookies(jar, "http://example.com/", "a=1; Domain=sub.example.com")
    assert len(jar) == 0


def test_domain_with_trailing_dot_makes_a_host_only_cookie() -> None:
    jar, _ = make_jar()
    set_cookies(jar, "http://example.com/", "a=1; Domain=example.com.")
    assert sent(jar, "http://example.com/") == {"a": "1"}
    assert sent(jar, "http://sub.example.com/") == {}


def test_domain_cookie_replaces_host_only_cookie_of_same_name() -> None:
    jar, _ = make_jar()
    set_cookies(jar, "http://example.com/", "a=1")
    set_cookies(jar, "http://example.com/", "a=2; Domain=example.com")
    assert len(jar) == 1
    assert sent(jar, "http://sub.example.com/") == {"a": "2"}


def test_more_specific_domain_wins_for_the_same_name() -> None:
    jar, _ = make_jar()
    set_cookies(jar, "http://api.example.com/", "a=parent; Domain=example.com", "a=child")
    assert sent(jar, "http://api.example.com/") == {"a": "child"}
    assert sent(jar, "http://www.example.com/") == {"a": "parent"}


# -- shared cookies -----------------------------------------------------------------------


def test_cookies_set_without_response_url_are_sent_everywhere() -> None:
    jar, _ = make_jar()
    jar.update_cookies({"token": "t"})
    assert sent(jar, "http://example.com/any/path") == {"token": "t"}
    assert sent(jar, "https://other.org/") == {"token": "t"}


def test_shared_cookies_are_sent_to_ip_hosts() -> None:
    jar, _ = make_jar()
    jar.update_cookies({"token": "t"})
    assert sent(jar, "http://127.0.0.1:8080/") == {"token": "t"}


def test_shared_cookie_with_domain_attribute_only_goes_to_that_domain() -> None:
    jar, _ = make_jar()
    morsel: Morsel[str] = Morsel()
    morsel.set("a", "1", "1")
    morsel["domain"] = "example.com"
    jar.update_cookies({"a": morsel})
    assert sent(jar, "http://www.example.com/") == {"a": "1"}
    assert sent(jar, "http://example.org/") == {}


# -- IP addresses -------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["http://127.0.0.1/", "http://[::1]:8080/"])
def test_cookies_from_ip_hosts_are_rejected_by_default(url: str) -> None:
    jar, _ = make_jar()
    set_cookies(jar, url, "a=1")
    assert len(jar) == 0


def test_unsafe_jar_keeps_and_sends_ip_host_cookies() -> None:
    jar, _ = make_jar(unsafe=True)
    set_cookies(jar, "http://127.0.0.1:8080/", "a=1")
    assert sent(jar, "http://127.0.0.1:9999/") == {"a": "1"}
    assert sent(jar, "http://127.0.0.2/") == {}


def test_safe_jar_does_not_send_stored_ip_cookies_to_ip_hosts() -> None:
    unsafe, _ = make_jar(unsafe=True)
    set_cookies(unsafe, "http://127.0.0.1/", "a=1")
    safe, _ = make_jar()
    safe.update_cookies(unsafe.filter_cookies(URL("http://127.0.0.1/")), URL("http://a.test/"))
    assert sent(safe, "http://127.0.0.1/") == {}


def test_domain_cookie_does_not_match_ip_suffix() -> None:
    jar, _ = make_jar(unsafe=True)
    set_cookies(jar, "http://0.0.1/", "a=1; Domain=0.0.1")
    assert sent(jar, "http://127.0.0.1/") == {}


# -- paths --------------------------------------------------------------------------------


def test_default_path_is_the_directory_of_the_response_url() -> None:
    jar, _ = make_jar()
    set_cookies(jar, "http://example.com/app/login", "a=1")
    assert next(iter(jar))["path"] == "/app"
    assert sent(jar, "http://example.com/app/page") == {"a": "1"}
    assert sent(jar, "http://example.com/other") == {}


def test_default_path_of_a_top_level_resource_is_root() -> None:
    jar, _ = make_jar()
    set_cookies(jar, "http://example.com/login", "a=1")
    assert next(iter(jar))["path"] == "/"


def test_path_attribute_not_starting_with_slash_uses_default_path() -> None:
    jar, _ = make_jar()
    set_cookies(jar, "http://example.com/app/login", "a=1; Path=relative")
    assert next(iter(jar))["path"] == "/app"


@pytest.mark.parametrize(
    ("request_path", "expected"),
    [("/app", True), ("/app/", True), ("/app/x/y", True), ("/application", False), ("/", False)],
)
def test_path_matching_respects_segment_boundaries(request_path: str, expected: bool) -> None:
    jar, _ = make_jar()
    set_cookies(jar, "http://example.com/", "a=1; Path=/app")
    assert (sent(jar, "http://example.com" + request_path) == {"a": "1"}) is expected


def test_cookie_path_with_trailing_slash_does_not_match_the_bare_directory() -> None:
    jar, _ = make_jar()
    set_cookies(jar, "http://example.com/", "a=1; Path=/app/")
    assert sent(jar, "http://example.com/app") == {}
    assert sent(jar, "http://example.com/app/x") == {"a": "1"}


def test_more_specific_path_wins_for_the_same_name() -> None:
    jar, _ = make_jar()
    set_cookies(jar, "http://example.com/", "a=root; Path=/", "a=app; Path=/app")
    assert sent(jar, "http://example.com/app/x") == {"a": "app"}
    assert sent(jar, "http://example.com/x") == {"a": "root"}


def test_same_name_on_different_paths_are_distinct_cookies() -> None:
    jar, _ = make_jar()
    set_cookies(jar, "http://example.com/", "a=root; Path=/", "a=app; Path=/app")
    assert len(jar) == 2


# -- Secure -------------------------------------------------------------------------------


def test_secure_cookie_is_not_sent_over_plain_http() -> None:
    jar, _ = make_jar()
    set_cookies(jar, "https://example.com/", "s=1; Secure", "p=2")
    assert sent(jar, "http://example.com/") == {"p": "2"}


@pytest.mark.parametrize("scheme", ["https", "wss"])
def test_secure_cookie_is_sent_over_secure_schemes(scheme: str) -> None:
    jar, _ = make_jar()
    set_cookies(jar, "https://example.com/", "s=1; Secure")
    assert sent(jar, f"{scheme}://example.com/") == {"s": "1"}


def test_treat_as_secure_origin_sends_secure_cookies_over_http() -> None:
    jar, _ = make_jar(treat_as_secure_origin=["http://localhost:8080"])
    set_cookies(jar, "http://localhost:8080/", "s=1; Secure")
    assert sent(jar, "http://localhost:8080/x") == {"s": "1"}
    assert sent(jar, "http://localhost:9090/x") == {}


def test_treat_as_secure_origin_accepts_a_single_url() -> None:
    jar, _ = make_jar(treat_as_secure_origin=URL("http://localhost:8080/some/path"))
    assert jar.treat_as_secure_origin == frozenset({URL("http://localhost:8080")})


# -- expiry -------------------------------------------------------------------------------


def test_max_age_expires_the_cookie_on_the_jar_clock() -> None:
    jar, clock = make_jar()
    set_cookies(jar, "http://example.com/", "a=1; Max-Age=10")
    clock.now += 9
    assert sent(jar, "http://example.com/") == {"a": "1"}
    clock.now += 1
    assert sent(jar, "http://example.com/") == {}
    assert len(jar) == 0


def test_expires_in_the_future_keeps_the_cookie_until_then() -> None:
    jar, clock = make_jar()
    clock.now = 1623233894.0 - 5
    set_cookies(jar, "http://example.com/", "a=1; Expires=Wed, 09 Jun 2021 10:18:14 GMT")
    assert sent(jar, "http://example.com/") == {"a": "1"}
    clock.now += 5
    assert sent(jar, "http://example.com/") == {}


def test_expires_in_the_past_deletes_an_existing_cookie() -> None:
    jar, _ = make_jar()
    set_cookies(jar, "http://example.com/", "a=1")
    set_cookies(jar, "http://example.com/", "a=; Expires=Thu, 01 Jan 1970 00:00:00 GMT")
    assert len(jar) == 0


@pytest.mark.parametrize("max_age", ["0", "-1"])
def test_non_positive_max_age_deletes_an_existing_cookie(max_age: str) -> None:
    jar, _ = make_jar()
    set_cookies(jar, "http://example.com/", "a=1", "b=2")
    set_cookies(jar, "http://example.com/", f"a=1; Max-Age={max_age}")
    assert sent(jar, "http://example.com/") == {"b": "2"}


def test_max_age_takes_precedence_over_expires() -> None:
    jar, clock = make_jar()
    set_cookies(
        jar, "http://example.com/", "a=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=100"
    )
    clock.now += 50
    assert sent(jar, "http://example.com/") == {"a": "1"}


def test_integer_max_age_on_a_morsel_is_honoured() -> None:
    jar, _ = make_jar()
    set_cookies(jar, "http://example.com/", "a=1")
    morsel: Morsel[str] = Morsel()
    morsel.set("a", "1", "1")
    morsel["max-age"] = 0
    jar.update_cookies({"a": morsel}, URL("http://example.com/"))
    assert len(jar) == 0


def test_invalid_max_age_is_ignored() -> None:
    jar, clock = make_jar()
    set_cookies(jar, "http://example.com/", "a=1; Max-Age=soon")
    clock.now += 10**9
    assert sent(jar, "http://example.com/") == {"a": "1"}


def test_invalid_expires_is_ignored() -> None:
    jar, clock = make_jar()
    set_cookies(jar, "http://example.com/", "a=1; Expires=never")
    clock.now += 10**9
    assert sent(jar, "http://example.com/") == {"a": "1"}


def test_huge_max_age_does_not_overflow() -> None:
    jar, clock = make_jar()
    set_cookies(jar, "http://example.com/", f"a=1; Max-Age={10**30}")
    clock.now += 10**10
    assert sent(jar, "http://example.com/") == {"a": "1"}


def test_replacing_a_cookie_without_max_age_drops_its_old_expiry() -> None:
    jar, clock = make_jar()
    set_cookies(jar, "http://example.com/", "a=1; Max-Age=10")
    set_cookies(jar, "http://example.com/", "a=2")
    clock.now += 100
    assert sent(jar, "http://example.com/") == {"a": "2"}


def test_replacing_a_cookie_with_a_longer_max_age_extends_it() -> None:
    jar, clock = make_jar()
    set_cookies(jar, "http://example.com/", "a=1; Max-Age=10")
    set_cookies(jar, "http://example.com/", "a=2; Max-Age=100")
    clock.now += 50
    assert sent(jar, "http://example.com/") == {"a": "2"}


def test_iteration_skips_expired_cookies() -> None:
    jar, clock = make_jar()
    set_cookies(jar, "http://example.com/", "a=1; Max-Age=10", "b=2")
    clock.now += 10
    assert [morsel.key for morsel in jar] == ["b"]


# -- quoting and the Cookie header ----------------------------------------------------------


def test_quote_cookie_quotes_values_that_need_it() -> None:
    jar, _ = make_jar()
    jar.update_cookies({"a": "x y", "b": "plain"})
    assert header_for(jar, "http://example.com/") == 'a="x y"; b=plain'


def test_quote_cookie_false_sends_values_verbatim() -> None:
    jar, _ = make_jar(quote_cookie=False)
    jar.update_cookies({"a": "x y"})
    set_cookies(jar, "http://example.com/", 'b="quoted"')
    assert header_for(jar, "http://example.com/") == "a=x y; b=quoted"
    assert jar.quote_cookie is False


def test_quote_cookie_keeps_server_quoting_as_received() -> None:
    jar, _ = make_jar()
    set_cookies(jar, "http://example.com/", 'a="abc"', "b=abc")
    assert header_for(jar, "http://example.com/") == 'a="abc"; b=abc'


def test_a_replaced_value_is_sent_after_an_earlier_filter() -> None:
    jar, _ = make_jar()
    set_cookies(jar, "http://example.com/", "a=1")
    assert sent(jar, "http://example.com/") == {"a": "1"}
    set_cookies(jar, "http://example.com/", "a=2")
    assert sent(jar, "http://example.com/") == {"a": "2"}


def test_filtered_morsels_carry_no_attributes() -> None:
    jar, _ = make_jar()
    set_cookies(jar, "https://example.com/", "a=1; Path=/; Secure; HttpOnly; Max-Age=60")
    morsel = jar.filter_cookies(URL("https://example.com/"))["a"]
    assert morsel.OutputString() == "a=1"


def test_filter_cookies_accepts_a_string_url() -> None:
    jar, _ = make_jar()
    set_cookies(jar, "http://example.com/", "a=1")
    assert list(jar.filter_cookies("http://example.com/")) == ["a"]


def test_filter_cookies_returns_a_base_cookie() -> None:
    jar, _ = make_jar()
    assert isinstance(jar.filter_cookies(URL("http://example.com/")), BaseCookie)


def test_cookie_header_joins_pairs() -> None:
    cookies: SimpleCookie = SimpleCookie()
    cookies["a"] = "1"
    cookies["b"] = "2"
    assert cookie_header(cookies) == "a=1; b=2"


def test_cookie_header_of_no_cookies_is_empty() -> None:
    assert cookie_header(SimpleCookie()) == ""


@pytest.mark.parametrize("bad", ["x\ry", "x\ny", "x\x00y"])
def test_cookie_header_rejects_control_characters(bad: str) -> None:
    cookies: BaseCookie[str] = BaseCookie()
    morsel: Morsel[str] = Morsel()
    morsel.__setstate__({"key": "a", "value": bad, "coded_value": bad})  # type: ignore[attr-defined]
    dict.__setitem__(cookies, "a", morsel)
    with pytest.raises(ValueError, match="CR, LF or NUL"):
        cookie_header(cookies)


def test_jar_drops_cookies_with_control_characters_in_values() -> None:
    jar, _ = make_jar(quote_cookie=False)
    jar.update_cookies({"a": "x\r\nInjected: 1", "b": "ok"})
    assert header_for(jar, "http://example.com/") == "b=ok"


# -- update_cookies inputs ------------------------------------------------------------------


def test_update_cookies_accepts_pairs() -> None:
    jar, _ = make_jar()
    jar.update_cookies([("a", "1"), ("b", "2")], URL("http://example.com/"))
    assert sent(jar, "http://example.com/") == {"a": "1", "b": "2"}


def test_update_cookies_accepts_a_simple_cookie_and_honours_its_attributes() -> None:
    jar, _ = make_jar()
    cookies: SimpleCookie = SimpleCookie("a=1; Path=/app; Secure")
    jar.update_cookies(cookies, URL("https://example.com/"))
    assert sent(jar, "https://example.com/app") == {"a": "1"}
    assert sent(jar, "https://example.com/") == {}
    assert sent(jar, "http://example.com/app") == {}


def test_update_cookies_copies_morsels() -> None:
    jar, _ = make_jar()
    cookies: SimpleCookie = SimpleCookie("a=1")
    jar.update_cookies(cookies, URL("http://example.com/"))
    cookies["a"]["path"] = "/elsewhere"
    assert sent(jar, "http://example.com/") == {"a": "1"}


def test_update_cookies_with_response_url_makes_host_only_cookies() -> None:
    jar, _ = make_jar()
    jar.update_cookies({"a": "1"}, URL("http://example.com/"))
    assert sent(jar, "http://sub.example.com/") == {}


def test_at_most_fifty_cookies_are_taken_from_one_response() -> None:
    jar, _ = make_jar()
    set_cookies(jar, "http://example.com/", *(f"c{i}=1" for i in range(60)))
    assert len(jar) == 50


# -- clearing, iteration, views -------------------------------------------------------------


def populated_jar() -> CookieJar:
    jar, _ = make_jar()
    set_cookies(jar, "http://example.com/", "a=1", "s=1; Domain=example.com")
    set_cookies(jar, "http://api.example.com/", "b=2")
    set_cookies(jar, "http://example.org/", "c=3")
    return jar


def test_len_and_iter_cover_every_stored_cookie() -> None:
    jar = populated_jar()
    assert len(jar) == 4
    assert sorted(morsel.key for morsel in jar) == ["a", "b", "c", "s"]


def test_clear_removes_everything() -> None:
    jar = populated_jar()
    jar.clear()
    assert len(jar) == 0
    assert jar.host_only_cookies == frozenset()


def test_clear_with_predicate_removes_selected_cookies() -> None:
    jar = populated_jar()
    jar.clear(lambda morsel: morsel.key in ("a", "c"))
    assert sorted(morsel.key for morsel in jar) == ["b", "s"]


def test_clear_domain_removes_the_domain_and_its_subdomains() -> None:
    jar = populated_jar()
    jar.clear_domain("example.com")
    assert [morsel.key for morsel in jar] == ["c"]


def test_clear_domain_leaves_parent_domains() -> None:
    jar = populated_jar()
    jar.clear_domain("api.example.com")
    assert sorted(morsel.key for morsel in jar) == ["a", "c", "s"]


def test_cookies_view_is_keyed_by_domain_and_path() -> None:
    jar, _ = make_jar()
    set_cookies(jar, "http://example.com/", "a=1; Path=/app/")
    assert list(jar.cookies) == [("example.com", "/app")]
    assert jar.cookies[("example.com", "/app")]["a"].value == "1"


def test_unsafe_property_reflects_constructor() -> None:
    assert CookieJar(unsafe=True).unsafe is True
    assert CookieJar().unsafe is False


# -- persistence ----------------------------------------------------------------------------


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    jar, clock = make_jar()
    set_cookies(jar, "https://example.com/app/x", "h=1", "d=2; Domain=example.com; Secure")
    set_cookies(jar, "http://example.com/", "t=3; Max-Age=10")
    jar.update_cookies({"shared": "s"})
    jar.save(tmp_path / "jar.json")

    loaded = CookieJar(clock=clock)
    loaded.load(tmp_path / "jar.json")
    assert sent(loaded, "https://example.com/app/") == sent(jar, "https://example.com/app/")
    assert sent(loaded, "https://www.example.com/app/") == {"d": "2", "shared": "s"}
    clock.now += 10
    assert sent(loaded, "http://example.com/") == {"shared": "s"}


def test_save_creates_a_private_file(tmp_path: Path) -> None:
    jar, _ = make_jar()
    jar.update_cookies({"a": "1"})
    jar.save(tmp_path / "jar.json")
    assert stat.S_IMODE(os.stat(tmp_path / "jar.json").st_mode) == 0o600


def test_load_drops_cookies_that_expired_since_saving(tmp_path: Path) -> None:
    jar, clock = make_jar()
    set_cookies(jar, "http://example.com/", "a=1; Max-Age=10", "b=2")
    jar.save(tmp_path / "jar.json")
    clock.now += 20
    loaded = CookieJar(clock=clock)
    loaded.load(tmp_path / "jar.json")
    assert [morsel.key for morsel in loaded] == ["b"]


def test_load_replaces_the_current_contents(tmp_path: Path) -> None:
    empty, _ = make_jar()
    empty.save(tmp_path / "jar.json")
    jar = populated_jar()
    jar.load(tmp_path / "jar.json")
    assert len(jar) == 0


@pytest.mark.parametrize(
    "content",
    ["not json", "[1, 2]", '{"nobar": {}}', '{"a|/": {"x": {"key": "x"}}}', '{"a|/": 5}'],
)
def test_load_of_a_malformed_file_raises_and_keeps_the_jar(tmp_path: Path, content: str) -> None:
    (tmp_path / "jar.json").write_text(content)
    jar = populated_jar()
    with pytest.raises(ValueError, match="Malformed cookie file"):
        jar.load(tmp_path / "jar.json")
    assert len(jar) == 4


# -- DummyCookieJar -------------------------------------------------------------------------


def test_dummy_jar_stores_nothing() -> None:
    jar = DummyCookieJar()
    jar.update_cookies({"a": "1"})
    jar.update_cookies_from_headers(["b=2"], URL("http://example.com/"))
    assert len(jar) == 0
    assert list(jar) == []
    assert jar.filter_cookies(URL("http://example.com/")) == {}


def test_dummy_jar_clear_is_harmless() -> None:
    jar = DummyCookieJar()
    jar.clear()
    jar.clear_domain("example.com")
    assert (jar.unsafe, jar.quote_cookie) == (False, True)
    assert (dict(jar.cookies), jar.host_only_cookies) == ({}, frozenset())


# -- agreement with aiohttp's jar -----------------------------------------------------------

SCENARIOS: list[tuple[str, list[str], list[str]]] = [
    (
        "http://www.example.com/a/b",
        ["h=1", "d=2; Domain=example.com", "p=3; Path=/a", "q=4; Path=/a/", "s=5; Secure"],
        [
            "http://www.example.com/a/b",
            "https://www.example.com/a",
            "http://x.example.com/a/",
            "https://example.com/",
            "http://www.example.com/ab",
        ],
    ),
    (
        "https://api.example.com/v1/login",
        [
            "a=parent; Domain=example.com; Path=/",
            "a=child; Path=/v1",
            "b=1; Domain=other.com",
            'c="quoted value"',
            "d=x,y",
        ],
        [
            "https://api.example.com/v1/x",
            "https://www.example.com/v1/x",
            "https://api.example.com/",
        ],
    ),
]


@pytest.mark.parametrize(("origin", "fields", "requests"), SCENARIOS)
async def test_filter_cookies_agrees_with_aiohttp(
    origin: str, fields: list[str], requests: list[str]
) -> None:
    ours = CookieJar()
    theirs = aiohttp.CookieJar()
    ours.update_cookies_from_headers(fields, URL(origin))
    theirs.update_cookies_from_headers(fields, URL(origin))
    for request_url in requests:
        expected = cookie_header(theirs.filter_cookies(URL(request_url)))
        assert cookie_header(ours.filter_cookies(URL(request_url))) == expected, request_url


HOSTS = ["example.com", "www.example.com", "a.b.example.com", "other.org", "localhost"]
PATHS = ["/", "/a", "/a/", "/a/b", "/ab", "/a/b/c"]
urls = st.builds(
    "{}://{}{}".format,
    st.sampled_from(["http", "https"]),
    st.sampled_from(HOSTS),
    st.sampled_from(PATHS),
)
set_cookie_fields = st.builds(
    "{}={}{}{}{}{}".format,
    st.sampled_from(["x", "y", "z"]),
    st.sampled_from(["1", "2", '"q q"', "a,b", "v=w", ""]),
    st.sampled_from(["", *(f"; Domain={host}" for host in [*HOSTS, ".example.com", "com"])]),
    st.sampled_from(["", "; Path=", *(f"; Path={path}" for path in PATHS)]),
    st.sampled_from(["", "; Secure"]),
    st.sampled_from(["", "; Max-Age=0", "; Max-Age=600"]),
)


async def test_random_histories_agree_with_aiohttp() -> None:
    @settings(max_examples=300, deadline=None)
    @given(
        responses=st.lists(st.tuples(urls, st.lists(set_cookie_fields, max_size=3)), max_size=6),
        requests=st.lists(urls, min_size=1, max_size=4),
    )
    def check(responses: list[tuple[str, list[str]]], requests: list[str]) -> None:
        ours = CookieJar()
        theirs = aiohttp.CookieJar()
        for response_url, fields in responses:
            ours.update_cookies_from_headers(fields, URL(response_url))
            theirs.update_cookies_from_headers(fields, URL(response_url))
        for request_url in requests:
            expected = cookie_header(theirs.filter_cookies(URL(request_url)))
            assert cookie_header(ours.filter_cookies(URL(request_url))) == expected

    check()


# -- a real server --------------------------------------------------------------------------

SERVER_COOKIES = [
    ("session", "abc", {}),
    ("wide", "1", {"domain": "localhost"}),
    ("scoped", "2", {"path": "/app"}),
    ("private", "3", {"secure": True}),
    ("brief", "4", {"max_age": 30}),
    ("gone", "5", {"max_age": 0}),
    ("spaced", "x y", {}),
]


@pytest.fixture
async def cookie_server() -> AsyncIterator[int]:
    """aiohttp.web on 127.0.0.1: /set sets SERVER_COOKIES, /echo answers the Cookie header."""

    async def set_them(request: web.Request) -> web.Response:
        response = web.Response(text="ok")
        for name, value, attrs in SERVER_COOKIES:
            response.set_cookie(name, value, **attrs)  # type: ignore[arg-type]
        return response

    async def echo(request: web.Request) -> web.Response:
        return web.Response(text=request.headers.get("Cookie", ""))

    app = web.Application()
    app.router.add_get("/set", set_them)
    app.router.add_get("/echo", echo)
    app.router.add_get("/app/echo", echo)
    async with serve_app(app) as url:
        assert url.port is not None
        yield url.port


async def fetch_set_cookie(port: int, host: str, path: str) -> list[str]:
    """Set-Cookie values of one GET, over a raw socket to 127.0.0.1 with the given Host."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
    finally:
        writer.close()
        await writer.wait_closed()
    return [
        line.split(":", 1)[1].strip()
        for line in head.split("\r\n")
        if line.lower().startswith("set-cookie:")
    ]


async def test_real_server_cookies_are_stored_and_matched(cookie_server: int) -> None:
    jar, _ = make_jar()
    fields = await fetch_set_cookie(cookie_server, f"localhost:{cookie_server}", "/set")
    assert len(fields) == len(SERVER_COOKIES)
    jar.update_cookies_from_headers(fields, URL(f"http://localhost:{cookie_server}/set"))

    plain = "brief session spaced wide"
    everything = "brief private scoped session spaced wide"
    assert " ".join(sorted(jar.filter_cookies(URL("http://localhost/")))) == plain
    assert " ".join(sorted(jar.filter_cookies(URL("https://localhost/app/x")))) == everything
    assert " ".join(sorted(jar.filter_cookies(URL("http://sub.localhost/")))) == "wide"


async def test_real_server_quoted_value_round_trips(cookie_server: int) -> None:
    jar, _ = make_jar()
    fields = await fetch_set_cookie(cookie_server, "localhost", "/set")
    jar.update_cookies_from_headers(fields, URL("http://localhost/set"))
    assert jar.filter_cookies(URL("http://localhost/"))["spaced"].value == "x y"
    assert 'spaced="x y"' in header_for(jar, "http://localhost/")


async def test_real_server_max_age_expires_on_the_jar_clock(cookie_server: int) -> None:
    jar, clock = make_jar()
    fields = await fetch_set_cookie(cookie_server, "localhost", "/set")
    jar.update_cookies_from_headers(fields, URL("http://localhost/set"))
    clock.now += 29
    assert "brief" in jar.filter_cookies(URL("http://localhost/"))
    clock.now += 1
    assert "brief" not in jar.filter_cookies(URL("http://localhost/"))


async def test_real_server_cookies_from_an_ip_host_need_unsafe(cookie_server: int) -> None:
    url = URL(f"http://127.0.0.1:{cookie_server}/set")
    fields = await fetch_set_cookie(cookie_server, url.raw_authority, "/set")
    safe, _ = make_jar()
    unsafe, _ = make_jar(unsafe=True)
    safe.update_cookies_from_headers(fields, url)
    unsafe.update_cookies_from_headers(fields, url)
    assert len(safe) == 0
    assert "session" in unsafe.filter_cookies(url)


async def test_session_sends_back_cookies_the_server_set(cookie_server: int) -> None:
    base = URL(f"http://127.0.0.1:{cookie_server}")
    jar = aiotape.CookieJar(unsafe=True)
    async with aiotape.ClientSession(cookie_jar=jar) as session:
        async with session.get(base / "set") as resp:
            assert resp.status == 200
        async with session.get(base / "echo") as resp:
            root = await resp.text()
        async with session.get(base / "app/echo") as resp:
            app = await resp.text()
    assert sorted(root.split("; ")) == ["brief=4", "session=abc", 'spaced="x y"']
    assert sorted(app.split("; ")) == ["brief=4", "scoped=2", "session=abc", 'spaced="x y"']


async def test_session_with_dummy_jar_sends_no_cookies(cookie_server: int) -> None:
    base = URL(f"http://127.0.0.1:{cookie_server}")
    jar = aiotape.DummyCookieJar()
    async with aiotape.ClientSession(cookie_jar=jar) as session:  # type: ignore[arg-type]
        async with session.get(base / "set") as resp:
            assert len(resp.cookies) == len(SERVER_COOKIES)
        async with session.get(base / "echo") as resp:
            assert await resp.text() == ""
