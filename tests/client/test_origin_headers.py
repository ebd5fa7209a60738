"""Calls without options to paths a session has not requested before: their URLs are made
from the origin's and their headers are shared per origin. Each test makes the same calls
through aiohttp and aiotape against local servers and compares what was sent."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import aiohttp
import pytest

import aiotape
from tests import parity
from tests.parity import RecordingServer, StartServer, both, outcome

recording_server = parity.recording_server

_SENT = ("Host", "Accept", "Accept-Encoding", "Authorization", "X-Tag")


def _sent(server: RecordingServer) -> list[tuple[str, str, dict[str, str | None]]]:
    """What the server received: method, path and the headers these tests vary."""
    return [
        (seen.method, seen.path_qs, {name: seen.headers.get(name) for name in _SENT})
        for seen in server.take()
    ]


def _info(resp: Any) -> tuple[str, str, str, dict[str, str]]:
    """The response's request_info, but the User-Agent (which names the client)."""
    info = resp.request_info
    headers = {name: value for name, value in info.headers.items() if name != "User-Agent"}
    return str(info.url), str(info.real_url), info.method, headers


async def test_new_paths_follow_session_header_changes(
    recording_server: StartServer,
) -> None:
    server = await recording_server()
    base = str(server.url)

    async def calls(lib: ModuleType) -> Any:
        infos = []
        async with lib.ClientSession(headers={"X-Tag": "one"}) as session:
            for path in ("/a", "/b/c.json", "/d"):
                if path == "/d":
                    session.headers["X-Tag"] = "two"
                async with session.get(base + path) as resp:
                    await resp.read()
                    infos.append(_info(resp))
            del session.headers["X-Tag"]
            async with session.head(base + "/e") as resp:
                infos.append(_info(resp))
        return infos, _sent(server)

    (theirs, their_sent), (ours, our_sent) = await both(calls)
    assert ours == theirs
    assert our_sent == their_sent
    assert [sent[2]["X-Tag"] for sent in our_sent] == ["one", "one", "two", None]


async def test_each_origin_gets_its_own_host_header(recording_server: StartServer) -> None:
    first, second = await recording_server(), await recording_server()
    port = first.url.port
    urls = [
        f"http://127.0.0.1:{port}/x",
        f"http://localhost:{port}/y",
        f"http://LOCALHOST:{port}/z",
        f"{second.url}/x",
        f"http://127.0.0.1:{port}/w",
    ]

    async def calls(lib: ModuleType) -> Any:
        async with lib.ClientSession() as session:
            for url in urls:
                async with session.get(url) as resp:
                    assert resp.status == 200
        return _sent(first), _sent(second)

    theirs, ours = await both(calls)
    assert ours == theirs
    hosts = [sent[2]["Host"] for sent in ours[0]]
    local, loopback = f"localhost:{port}", f"127.0.0.1:{port}"
    assert hosts == [loopback, local, local, loopback]
    assert ours[1][0][2]["Host"] == f"127.0.0.1:{second.url.port}"


@pytest.mark.filterwarnings("ignore:.*(BasicAuth|auth).*deprecated:DeprecationWarning")
async def test_session_auth_is_sent_to_every_new_path(recording_server: StartServer) -> None:
    server = await recording_server()

    async def calls(lib: ModuleType) -> Any:
        async with lib.ClientSession(auth=lib.BasicAuth("user", "pass")) as session:
            for path in ("/one", "/two"):
                async with session.get(f"{server.url}{path}") as resp:
                    await resp.read()
        return _sent(server)

    theirs, ours = await both(calls)
    assert ours == theirs
    assert {sent[2]["Authorization"] for sent in ours} == {"Basic dXNlcjpwYXNz"}


@pytest.mark.filterwarnings("ignore:.*(BasicAuth|auth).*deprecated:DeprecationWarning")
@pytest.mark.parametrize("method", ["GET", "OPTIONS", "get", "POST"])
async def test_a_conflicting_authorization_header_fails_every_new_path(
    recording_server: StartServer, method: str
) -> None:
    server = await recording_server()

    async def calls(lib: ModuleType) -> Any:
        results = []
        async with lib.ClientSession(
            auth=lib.BasicAuth("user", "pass"), headers={"Authorization": "Bearer x"}
        ) as session:
            for path in ("/one", "/two", "/one"):
                results.append(await outcome(session.request(method, f"{server.url}{path}")))
        return results, _sent(server)

    theirs, ours = await both(calls)
    assert ours == theirs
    assert ours[0][0][0] == "ValueError"


async def test_headers_of_one_origin_are_one_shared_read_only_view(
    recording_server: StartServer,
) -> None:
    server = await recording_server()
    async with aiotape.ClientSession() as session:
        async with session.get(f"{server.url}/a") as first:
            pass
        async with session.get(f"{server.url}/b") as second:
            pass
        session.headers["X-Tag"] = "later"
        async with session.get(f"{server.url}/c") as third:
            pass
    assert first.request_info.headers is second.request_info.headers
    assert "X-Tag" not in first.request_info.headers
    assert third.request_info.headers["X-Tag"] == "later"
    with pytest.raises(TypeError):
        first.request_info.headers["X-Tag"] = "x"  # type: ignore[index]
    assert [seen.path_qs for seen in server.take()] == ["/a", "/b", "/c"]


async def test_paths_the_origin_shortcut_refuses_are_sent_as_aiohttp_sends_them(
    recording_server: StartServer,
) -> None:
    server = await recording_server()
    paths = ["/a/../b", "/./c", "/d%41", "/e?q=1", "/f#frag", "/g h", "/.well-known/x", ""]

    async def calls(lib: ModuleType) -> Any:
        infos = []
        async with lib.ClientSession() as session:
            for path in paths:
                async with session.get(f"{server.url}{path}") as resp:
                    infos.append((str(resp.url), str(resp.real_url), resp.request_info.method))
        return infos, [seen.path_qs for seen in server.take()]

    theirs, ours = await both(calls)
    assert ours == theirs
    assert ours[1][:3] == ["/b", "/c", "/dA"]



async def test_urls_that_are_not_strings_raise_type_error_as_in_aiohttp() -> None:
    for module in (aiohttp, aiotape):
        async with module.ClientSession() as session:  # type: ignore[attr-defined]
            for url in (123, None, b"http://127.0.0.1/x"):
                with pytest.raises(TypeError):
                    await session.get(url)
