"""ClientSession behaviour above the seam: headers, auth, cookies, redirects, status, lifecycle."""

from __future__ import annotations

import asyncio
import gc
import gzip
import threading

import pytest
from multidict import CIMultiDict
from yarl import URL

import aiotape
from tests.transports import RecordingTransport


async def test_auto_headers_and_skip_auto_headers(httpbin: URL) -> None:
    async with aiotape.ClientSession(headers={"X-Default": "1"}) as session:
        async with session.get(httpbin / "get", headers={"X-Req": "2"}) as resp:
            sent = (await resp.json())["headers"]
        assert sent["Host"] == f"127.0.0.1:{httpbin.port}"
        assert sent["Accept"] == "*/*"
        assert "gzip" in sent["Accept-Encoding"]
        assert sent["User-Agent"].startswith("Python/")
        assert (sent["X-Default"], sent["X-Req"]) == ("1", "2")
        async with session.get(
            httpbin / "get", skip_auto_headers=["User-Agent", "Accept-Encoding"]
        ) as resp:
            sent = (await resp.json())["headers"]
        assert "User-Agent" not in sent
        assert "Accept-Encoding" not in sent


async def test_request_headers_override_session_defaults(httpbin: URL) -> None:
    async with aiotape.ClientSession(headers={"X-Token": "session"}) as session:
        async with session.get(httpbin / "get", headers={"x-token": "request"}) as resp:
            sent = CIMultiDict((await resp.json())["headers"])
    assert sent.getall("X-Token") == ["request"]


async def test_basic_auth_param_session_and_url(httpbin: URL) -> None:
    auth = aiotape.BasicAuth("user", "pass")
    async with aiotape.ClientSession() as session:
        async with session.get(httpbin / "basic-auth/user/pass", auth=auth) as resp:
            assert resp.status == 200
        creds = httpbin.with_user("user").with_password("pass") / "basic-auth/user/pass"
        async with session.get(creds) as resp:
            assert resp.status == 200
            assert resp.url.user is None
        with pytest.raises(ValueError, match="Cannot combine AUTH"):
            await session.get(creds, auth=auth)
    async with aiotape.ClientSession(auth=auth) as session:
        async with session.get(httpbin / "basic-auth/user/pass") as resp:
            assert resp.status == 200


async def test_redirects_follow_and_record_history(httpbin: URL) -> None:
    async with aiotape.ClientSession() as session:
        async with session.get(httpbin / "redirect/3") as resp:
            assert resp.status == 200
            assert [r.status for r in resp.history] == [302, 302, 302]
            assert resp.url == httpbin / "get"
            assert resp.history[0].url == httpbin / "redirect/3"
        async with session.get(httpbin / "redirect/2", allow_redirects=False) as resp:
            assert resp.status == 302
            assert resp.headers["Location"] == "/redirect/1"


async def test_too_many_redirects(httpbin: URL) -> None:
    async with aiotape.ClientSession() as session:
        with pytest.raises(aiotape.TooManyRedirects) as info:
            await session.get(httpbin / "redirect/5", max_redirects=2)
    assert len(info.value.history) == 2


@pytest.mark.parametrize(
    ("status", "method", "expected_method", "body_kept"),
    [
        (301, "POST", "GET", False),
        (302, "POST", "GET", False),
        (303, "PUT", "GET", False),
        (307, "POST", "POST", True),
        (308, "PUT", "PUT", True),
        (302, "PUT", "PUT", True),
    ],
)
async def test_redirect_method_and_body_rules(
    httpbin: URL, status: int, method: str, expected_method: str, body_kept: bool
) -> None:
    url = httpbin.with_path("/redirect-to").with_query(url="/anything", status_code=status)
    async with aiotape.ClientSession() as session:
        async with session.request(method, url, data=b"payload") as resp:
            echoed = await resp.json()
    assert echoed["method"] == expected_method
    assert (echoed["data"] == "payload") is body_kept


async def test_authorization_dropped_on_cross_origin_redirect(httpbin: URL, raw_server) -> None:  # type: ignore[no-untyped-def]
    seen: list[bytes] = []

    async def other_origin(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await reader.readuntil(b"\r\n\r\n"))
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()

    other = await raw_server(other_origin)
    url = httpbin.with_path("/redirect-to").with_query(url=str(other.url / "x"))
    async with aiotape.ClientSession() as session:
        async with session.get(
            url, auth=aiotape.BasicAuth("u", "p"), headers={"X-Keep": "1"}
        ) as resp:
            assert await resp.text() == "ok"
    assert b"authorization" not in seen[0].lower()
    assert b"x-keep: 1" in seen[0].lower()


async def test_non_http_redirect_is_rejected(httpbin: URL) -> None:
    url = httpbin.with_path("/redirect-to").with_query(url="ftp://127.0.0.1/file")
    async with aiotape.ClientSession() as session:
        with pytest.raises(aiotape.NonHttpUrlRedirectClientError):
            await session.get(url)


async def test_cookies_from_redirect_are_stored_and_sent(httpbin: URL) -> None:
    async with aiotape.ClientSession(cookie_jar=aiotape.CookieJar(unsafe=True)) as session:
        async with session.get(httpbin / "cookies/set", params={"a": "1", "b": "2"}) as resp:
            assert (await resp.json())["cookies"] == {"a": "1", "b": "2"}
            assert resp.history[0].cookies["a"].value == "1"
        async with session.get(httpbin / "cookies", cookies={"c": "3"}) as resp:
            assert (await resp.json())["cookies"] == {"a": "1", "b": "2", "c": "3"}


async def test_default_cookie_jar_ignores_ip_hosts(httpbin: URL) -> None:
    async with aiotape.ClientSession() as session:
        async with session.get(httpbin / "cookies/set", params={"a": "1"}) as resp:
            assert (await resp.json())["cookies"] == {}


async def test_dummy_cookie_jar_stores_nothing(httpbin: URL) -> None:
    async with aiotape.ClientSession(cookie_jar=aiotape.DummyCookieJar()) as session:
        async with session.get(httpbin / "cookies/set", params={"a": "1"}) as resp:
            assert (await resp.json())["cookies"] == {}
        assert len(session.cookie_jar) == 0


async def test_raise_for_status_session_request_and_callable(httpbin: URL) -> None:
    async with aiotape.ClientSession(raise_for_status=True) as session:
        with pytest.raises(aiotape.ClientResponseError) as info:
            await session.get(httpbin / "status/404")
        assert info.value.status == 404
        assert info.value.request_info.url == httpbin / "status/404"
        async with session.get(httpbin / "status/500", raise_for_status=False) as resp:
            assert resp.status == 500 and not resp.ok

    seen: list[int] = []

    async def check(resp: aiotape.ClientResponse) -> None:
        seen.append(resp.status)

    async with aiotape.ClientSession(raise_for_status=check) as session:
        async with session.get(httpbin / "status/418"):
            pass
    assert seen == [418]


async def test_response_metadata(httpbin: URL) -> None:
    async with aiotape.ClientSession() as session:
        async with session.get(f"{httpbin}/get#frag") as resp:
            assert resp.ok and resp.reason == "OK"
            assert resp.version == aiotape.HttpVersion11
            assert resp.content_type == "application/json"
            assert resp.charset == "utf-8"
            assert resp.content_length == len(await resp.read())
            assert resp.real_url.fragment == "frag" and resp.url.fragment == ""
            assert resp.method == "GET"
            assert any(name.lower() == b"content-type" for name, _ in resp.raw_headers)


async def test_json_with_wrong_content_type_raises_content_type_error(httpbin: URL) -> None:
    async with aiotape.ClientSession() as session:
        async with session.get(httpbin / "text") as resp:
            with pytest.raises(aiotape.ContentTypeError, match="unexpected mimetype: text/plain"):
                await resp.json()
            with pytest.raises(ValueError):
                await resp.json(content_type=None)


async def test_module_level_request(httpbin: URL) -> None:
    async with aiotape.request("GET", httpbin / "get") as resp:
        assert (await resp.json())["method"] == "GET"
    resp = await aiotape.request("POST", httpbin / "post", data=b"x")
    assert (await resp.json())["data"] == "x"


async def test_closed_session_refuses_requests(httpbin: URL) -> None:
    session = aiotape.ClientSession()
    await session.close()
    with pytest.raises(RuntimeError, match="Session is closed"):
        await session.get(httpbin / "get")


def test_unclosed_session_warns() -> None:
    async def leak() -> None:
        aiotape.ClientSession(transport=RecordingTransport())

    with pytest.warns(ResourceWarning, match="Unclosed client session"):
        asyncio.run(leak())
        gc.collect()


async def test_custom_transport_gets_final_wire_request() -> None:
    transport = RecordingTransport()
    async with aiotape.ClientSession("http://api.test", transport=transport) as session:
        async with session.post("/items", params={"q": "1"}, json={"a": 1}) as resp:
            assert await resp.json() == {}
    [request] = transport.requests
    assert request.url == URL("http://api.test/items?q=1")
    assert request.headers["Host"] == "api.test"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Content-Length"] == str(len(b'{"a": 1}'))
    assert request.body == b'{"a": 1}'
    assert request.deadline is not None and request.deadline >= request.started + 300
    assert transport.closed


async def test_use_transport_reaches_existing_sessions_and_other_threads() -> None:
    override = RecordingTransport(b'{"mocked": true}')
    own = RecordingTransport()
    async with aiotape.ClientSession(transport=own) as session:
        with aiotape.use_transport(override):
            async with session.get("http://svc.test/a") as resp:
                assert await resp.json() == {"mocked": True}

            def in_thread() -> None:
                async def go() -> None:
                    async with aiotape.ClientSession(transport=own) as other:
                        await (await other.get("http://svc.test/b")).read()

                asyncio.run(go())

            thread = threading.Thread(target=in_thread)
            thread.start()
            thread.join()
        async with session.get("http://svc.test/c") as resp:
            await resp.read()
    assert [r.url.path for r in override.requests] == ["/a", "/b"]
    assert [r.url.path for r in own.requests] == ["/c"]


async def test_use_transport_factory_receives_session_transport() -> None:
    own = RecordingTransport()
    seen: list[object] = []

    def wrap(inner: aiotape.Transport) -> aiotape.Transport:
        seen.append(inner)
        return inner

    async with aiotape.ClientSession(transport=own) as session:
        with aiotape.use_transport(wrap):
            await (await session.get("http://svc.test/")).read()
    assert seen == [own]


async def test_non_http_scheme_and_missing_host_are_invalid() -> None:
    async with aiotape.ClientSession(transport=RecordingTransport()) as session:
        with pytest.raises(aiotape.NonHttpUrlClientError):
            await session.get("ftp://127.0.0.1/x")
        with pytest.raises(aiotape.InvalidUrlClientError):
            await session.get("/relative-without-base")


async def test_data_and_json_together_is_value_error() -> None:
    async with aiotape.ClientSession(transport=RecordingTransport()) as session:
        with pytest.raises(ValueError, match="data and json"):
            await session.post("http://svc.test/", data=b"x", json={})


async def test_chunked_true_sets_transfer_encoding() -> None:
    transport = RecordingTransport()
    async with aiotape.ClientSession(transport=transport) as session:
        await (await session.post("http://svc.test/", data=b"abc", chunked=True)).read()
        await (await session.post("http://svc.test/")).read()
    assert transport.requests[0].headers["Transfer-Encoding"] == "chunked"
    assert "Content-Length" not in transport.requests[0].headers
    assert transport.requests[1].headers["Content-Length"] == "0"


async def test_dropped_unread_response_frees_its_pool_slot(httpbin: URL) -> None:
    connector = aiotape.TCPConnector(limit=1)
    timeout = aiotape.ClientTimeout(total=2)
    async with aiotape.ClientSession(connector=connector, timeout=timeout) as session:
        # 10 MB cannot arrive whole (reading pauses), so only releasing frees the slot.
        await session.get(httpbin / "stream-bytes/10000000", params={"chunk_size": 65536})
        gc.collect()
        async with session.get(httpbin / "get") as resp:
            assert resp.status == 200


async def test_method_is_any_http_token_and_nothing_else() -> None:
    transport = RecordingTransport()
    async with aiotape.ClientSession(transport=transport) as session:
        await (await session.request("m-search", "http://svc.test/")).read()
        for bad in ("GET\r\nX: 1", "GET /", "G\x00T", ""):
            with pytest.raises(ValueError, match="non-token"):
                await session.request(bad, "http://svc.test/")
    assert [r.method for r in transport.requests] == ["M-SEARCH"]


async def test_links_match_aiohttp(httpbin: URL) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as peer, peer.get(httpbin / "links") as theirs:
        expected = {key: dict(value) for key, value in theirs.links.items()}
    async with aiotape.ClientSession() as session, session.get(httpbin / "links") as resp:
        got = {key: dict(value) for key, value in resp.links.items()}
    assert got == expected
    assert got["next"]["url"] == URL("https://api.test/items?page=2")
    assert got["last"]["title"] == "The End"


async def test_release_may_be_awaited_or_not(httpbin: URL) -> None:
    async with aiotape.ClientSession() as session:
        resp = await session.get(httpbin / "get")
        await resp.release()
        resp = await session.get(httpbin / "get")
        resp.release()
        assert resp.closed


async def test_per_request_auto_decompress_and_read_bufsize(httpbin: URL) -> None:
    async with aiotape.ClientSession() as session:
        async with session.get(httpbin / "encoded/gzip", auto_decompress=False) as resp:
            assert gzip.decompress(await resp.read()) == b'{"encoded": "gzip"}'
        async with session.get(httpbin / "encoded/gzip") as resp:
            assert await resp.json() == {"encoded": "gzip"}
        async with session.get(httpbin / "get", read_bufsize=16) as resp:
            with pytest.raises(ValueError):
                await resp.content.readline()  # a JSON body with no newline, limit 16
        assert session.connector_owner
