"""Redirects, side by side with aiohttp: credentials, bodies and odd Location targets."""

from __future__ import annotations

import io
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests import parity
from tests.parity import Seen, StartServer, both, outcome

recording_server = parity.recording_server

CREDENTIALS = {
    "Authorization": "Bearer caller",
    "Proxy-Authorization": "Basic cHJveHk6cw==",
    "Cookie": "session=caller",
}


def _names(seen: Seen) -> set[str]:
    return {name.lower() for name in seen.headers}


@pytest.mark.parametrize("cross_origin", [True, False], ids=["other-origin", "same-origin"])
async def test_redirect_drops_caller_credentials_only_across_origins(
    recording_server: StartServer, cross_origin: bool
) -> None:
    origin, other = await recording_server(), await recording_server()
    target = other.url.with_path("/landing") if cross_origin else "/landing"
    start = origin.redirect("/go", str(target))

    async def call(lib: ModuleType) -> list[set[str]]:
        async with lib.ClientSession() as session:
            async with session.get(start, headers=CREDENTIALS) as resp:
                assert resp.status == 200
        return [
            _names(seen) & {"authorization", "proxy-authorization", "cookie"}
            for seen in origin.take() + other.take()
        ]

    theirs, ours = await both(call)
    assert ours == theirs
    assert ours[1] == (set() if cross_origin else set(map(str.lower, CREDENTIALS)))


@pytest.mark.filterwarnings("ignore:.*(BasicAuth|auth).*deprecated:DeprecationWarning")
async def test_session_auth_goes_only_to_the_base_url_origin(recording_server: StartServer) -> None:
    origin, other = await recording_server(), await recording_server()

    async def call(lib: ModuleType) -> list[bool]:
        auth = lib.BasicAuth("user", "pass")
        async with lib.ClientSession(f"{origin.url}/", auth=auth) as session:
            for url in ("echo", str(other.url.with_path("/elsewhere"))):
                async with session.get(url) as resp:
                    assert resp.status == 200
        return ["authorization" in _names(seen) for seen in origin.take() + other.take()]

    theirs, ours = await both(call)
    assert ours == theirs == [True, False]


def _hop_bodies(server: Any) -> list[tuple[str, bytes]]:
    return [(seen.method, seen.body) for seen in server.take()]


@pytest.mark.parametrize(
    ("method", "status"),
    [("POST", 307), ("PUT", 308), ("PUT", 301), ("PATCH", 302), ("POST", 302), ("POST", 303)],
)
async def test_redirect_after_file_upload_resends_the_file(
    recording_server: StartServer, tmp_path: Path, method: str, status: int
) -> None:
    server = await recording_server()
    start = server.redirect("/go", "/landing", status)
    path = tmp_path / "upload.bin"
    path.write_bytes(b"file body " * 1000)

    closed: list[bool] = []

    async def call(lib: ModuleType) -> tuple[Any, list[tuple[str, bytes]]]:
        file = path.open("rb")
        async with lib.ClientSession() as session:
            result = await outcome(_status(session.request(method, start, data=file)))
        closed.append(file.closed)
        file.close()
        return result, _hop_bodies(server)

    theirs, ours = await both(call)
    assert ours == theirs
    assert ours[0] == 200
    # aiohttp leaves the file open when a 302/303 turns the POST into a GET; aiotape closes it.
    assert closed[1] is True


async def _status(request: Any) -> int:
    async with request as resp:
        return int(resp.status)


@pytest.mark.parametrize("status", [307, 308, 302])
async def test_redirect_resends_bytesio_from_its_start_position(
    recording_server: StartServer, status: int
) -> None:
    server = await recording_server()
    start = server.redirect("/go", "/landing", status)

    async def call(lib: ModuleType) -> tuple[Any, list[tuple[str, bytes]], bool]:
        buffer = io.BytesIO(b"skip:payload")
        buffer.seek(5)
        async with lib.ClientSession() as session:
            result = await outcome(_status(session.put(start, data=buffer)))
        return result, _hop_bodies(server), buffer.closed

    theirs, ours = await both(call)
    assert ours == theirs
    assert ours[1] == [("PUT", b"payload")] * 2


async def test_redirect_after_formdata_file_upload_resends_it(
    recording_server: StartServer, tmp_path: Path
) -> None:
    server = await recording_server()
    start = server.redirect("/go", "/landing", 307)
    path = tmp_path / "report.txt"
    path.write_bytes(b"contents")

    async def call(lib: ModuleType) -> tuple[Any, list[bool]]:
        form = lib.FormData()
        form.add_field("f", path.open("rb"), filename="report.txt")
        async with lib.ClientSession() as session:
            result = await outcome(_status(session.post(start, data=form)))
        return result, [b"contents" in seen.body for seen in server.take()]

    theirs, ours = await both(call)
    assert ours == theirs == (200, [True, True])


async def test_307_after_a_generator_upload_refuses_to_resend_it(
    recording_server: StartServer,
) -> None:
    server = await recording_server()
    start = server.redirect("/go", "/landing", 307)

    async def gen() -> Any:
        yield b"once"

    async def call(lib: ModuleType) -> tuple[Any, list[tuple[str, bytes]]]:
        async with lib.ClientSession() as session:
            result = await outcome(_status(session.post(start, data=gen())))
        return result, _hop_bodies(server)

    theirs, ours = await both(call)
    assert ours == theirs
    assert ours[0][0] == "ClientPayloadError"


async def test_post_turned_get_by_302_keeps_or_drops_headers_like_aiohttp(
    recording_server: StartServer,
) -> None:
    server = await recording_server()
    start = server.redirect("/go", "/landing", 302)
    headers = {"Content-Type": "text/plain", "X-Keep": "1"}

    async def call(lib: ModuleType) -> list[tuple[str, bytes, set[str]]]:
        async with lib.ClientSession() as session:
            assert await _status(session.post(start, data=b"abc", headers=headers)) == 200
        wanted = {"content-type", "content-length", "x-keep", "transfer-encoding"}
        return [(seen.method, seen.body, _names(seen) & wanted) for seen in server.take()]

    theirs, ours = await both(call)
    assert ours == theirs
    assert ours[1][:2] == ("GET", b"")


@pytest.mark.parametrize(
    "location",
    [
        "http:/landing",
        "http:landing",
        "http:\\\\landing",
        "call:+123",
        "skype:someone",
        "http://",
        "https:///landing",
        "http:///landing",
        "../up?x=1",
        "?only=query",
        "sp ace/ünï",
        "%7Euser/a%2Fb",
        " /trimmed ",
        "#frag",
        "HTTP:/upper",
    ],
)
async def test_odd_redirect_targets_match_aiohttp(
    recording_server: StartServer, location: str
) -> None:
    server = await recording_server()
    start = server.redirect("/go", location)

    async def call(lib: ModuleType) -> tuple[Any, list[str]]:
        async with lib.ClientSession() as session:
            result = await outcome(_status(session.get(start)))
        return result, [seen.path_qs for seen in server.take()]

    theirs, ours = await both(call)
    assert ours == theirs


async def test_redirect_exception_classes_are_aiohttps(recording_server: StartServer) -> None:
    import aiohttp

    import aiotape

    server = await recording_server()
    start = server.redirect("/go", "skype:someone")
    async with aiotape.ClientSession() as session:
        with pytest.raises(aiohttp.NonHttpUrlRedirectClientError):
            await session.get(start)


@pytest.mark.filterwarnings("ignore:.*(BasicAuth|auth).*deprecated:DeprecationWarning")
@pytest.mark.parametrize("where", ["session", "request", "url"])
@pytest.mark.parametrize("hop", ["same origin", "other origin", "other origin with credentials"])
async def test_basic_auth_across_redirects_matches_aiohttp(
    recording_server: StartServer, where: str, hop: str
) -> None:
    origin, other = await recording_server(), await recording_server()
    target = {
        "same origin": str(origin.url.with_path("/landing")),
        "other origin": str(other.url.with_path("/landing")),
        "other origin with credentials": str(
            other.url.with_path("/landing").with_user("u2").with_password("p2")
        ),
    }[hop]
    start = origin.redirect("/go", target)

    async def call(lib: ModuleType) -> Any:
        auth = lib.BasicAuth("user", "pass")
        session_auth = auth if where == "session" else None
        request_auth = auth if where == "request" else None
        url = start.with_user("user").with_password("pass") if where == "url" else start
        async with lib.ClientSession(auth=session_auth) as session:
            result = await outcome(_status(session.get(url, auth=request_auth)))
        hops = origin.take() + other.take()
        return result, [seen.headers.get("Authorization") for seen in hops]

    theirs, ours = await both(call)
    assert ours == theirs


async def test_redirect_history_and_too_many_redirects_match_aiohttp(
    recording_server: StartServer,
) -> None:
    server = await recording_server()
    server.redirect("/a", "/b", 301)
    server.redirect("/b", "/c", 308)
    server.redirect("/loop", "/loop", 302)
    server.redirect("/nowhere", "", 302)

    async def call(lib: ModuleType) -> Any:
        async with lib.ClientSession() as session:
            async with session.get(server.url.with_path("/a")) as resp:
                chain = [(r.status, r.url.path) for r in (*resp.history, resp)]
            async with session.get(server.url.with_path("/nowhere")) as resp:
                empty = resp.status, len(resp.history)
            try:
                await session.get(server.url.with_path("/loop"), max_redirects=3)
            except lib.TooManyRedirects as exc:
                too_many = str(exc), len(exc.history), str(exc.request_info.url)
        return chain, empty, too_many, [seen.path_qs for seen in server.take()]

    theirs, ours = await both(call)
    assert ours == theirs
