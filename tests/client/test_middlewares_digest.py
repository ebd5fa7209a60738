"""DigestAuthMiddleware (RFC 7616) against a local server that checks digests, beside aiohttp's."""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from yarl import URL

import aiotape
from aiotape.mocking import Call, MockResponse, MockRouter

CLIENTS = pytest.mark.parametrize("client", [aiohttp, aiotape], ids=["aiohttp", "aiotape"])
_PAIR = re.compile(r'(\w+)=(?:"([^"]*)"|([^,\s]+))')
_HASHES = {"MD5": hashlib.md5, "SHA": hashlib.sha1, "SHA-256": hashlib.sha256}
_HASHES["SHA-512"] = hashlib.sha512
Answer = tuple[int, dict[str, str], Any]


@dataclass
class DigestServer:
    """Checks ``Authorization: Digest`` answers; challenges (401) anything else."""

    algorithm: str = "MD5"
    qop: str | None = "auth"
    password: str = "secret"
    domain: str | None = None
    nonce: str = "dcd98b7102dd2f0e8b11d0f600bfb0c093"
    log: list[str | None] = field(default_factory=list)  # each request's Authorization

    def challenge(self) -> str:
        parts = ['realm="tests@aiotape"', f'nonce="{self.nonce}"', 'opaque="0pq"']
        parts.append(f"algorithm={self.algorithm}")
        if self.qop:
            parts.append(f'qop="{self.qop}"')
        if self.domain:
            parts.append(f'domain="{self.domain}"')
        return "Digest " + ", ".join(parts)

    def expected(self, method: str, body: bytes, got: dict[str, str]) -> str:
        name = self.algorithm.upper().removesuffix("-SESS")
        h: Callable[[str], str] = lambda s: _HASHES[name](s.encode()).hexdigest()  # noqa: E731
        ha1 = h(f"{got['username']}:tests@aiotape:{self.password}")
        if self.algorithm.upper().endswith("-SESS"):
            ha1 = h(f"{ha1}:{self.nonce}:{got['cnonce']}")
        ha2 = h(f"{method}:{got['uri']}")
        if self.qop == "auth-int":
            ha2 = h(f"{method}:{got['uri']}:{_HASHES[name](body).hexdigest()}")
        if not self.qop:
            return h(f"{ha1}:{self.nonce}:{ha2}")
        return h(f"{ha1}:{self.nonce}:{got['nc']}:{got['cnonce']}:{self.qop}:{ha2}")

    def handle(self, method: str, path_qs: str, headers: Any, body: bytes) -> Answer:
        """Status, headers and JSON payload of the answer to one request."""
        auth = headers.get("Authorization")
        self.log.append(auth)
        if auth and auth.startswith("Digest "):
            got = {k: q if q else t for k, q, t in _PAIR.findall(auth)}
            ok = got.get("uri") == path_qs and got.get("opaque") == "0pq"
            if ok and got.get("response") == self.expected(method, body, got):
                return 200, {}, {"user": got["username"], "nc": got.get("nc")}
        return 401, {"WWW-Authenticate": self.challenge()}, None


@pytest.fixture
async def digest_server() -> AsyncIterator[tuple[URL, DigestServer]]:
    server = DigestServer()

    async def handler(request: web.Request) -> web.Response:
        status, headers, payload = server.handle(
            request.method, request.raw_path, request.headers, await request.read()
        )
        return web.json_response(payload, status=status, headers=headers)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield URL(f"http://127.0.0.1:{port}"), server
    await runner.cleanup()


async def two_posts(client: Any, url: URL, **options: Any) -> list[tuple[int, Any]]:
    middleware = client.DigestAuthMiddleware("user", "secret", **options)
    results = []
    async with client.ClientSession(middlewares=[middleware]) as session:
        for body in (b"first", b"second"):
            async with session.post(url.with_query(q="a b"), data=body) as resp:
                results.append((resp.status, await resp.json()))
    return results


@pytest.mark.parametrize(
    "algorithm",
    ["MD5", "MD5-sess", "SHA", "SHA-256", "SHA-256-sess", "SHA-512", "SHA-512-sess"],
)
@pytest.mark.parametrize("qop", ["auth", "auth-int", None])
async def test_digest_answers_and_reuses_the_challenge_like_aiohttp(
    digest_server: tuple[URL, DigestServer], algorithm: str, qop: str | None
) -> None:
    if qop is None and algorithm.endswith("-sess"):
        pytest.skip("a -sess digest needs the cnonce that only a qop answer carries")
    url, server = digest_server
    server.algorithm, server.qop = algorithm, qop
    outcomes = []
    for client in (aiohttp, aiotape):
        server.log.clear()
        results = await two_posts(client, url / "protected")
        outcomes.append((results, [a is not None for a in server.log]))
    nc = ["00000001", "00000002"] if qop else [None, None]
    expected = [(200, {"user": "user", "nc": n}) for n in nc]
    assert outcomes[1] == outcomes[0] == (expected, [False, True, True])


@CLIENTS
async def test_without_preemptive_every_request_is_challenged(
    client: Any, digest_server: tuple[URL, DigestServer]
) -> None:
    url, server = digest_server
    results = await two_posts(client, url / "p", preemptive=False)
    assert [status for status, _ in results] == [200, 200]
    assert [a is not None for a in server.log] == [False, True, False, True]


@CLIENTS
async def test_wrong_password_ends_with_the_401(
    client: Any, digest_server: tuple[URL, DigestServer]
) -> None:
    url, server = digest_server
    server.password = "other"
    async with client.ClientSession(middlewares=[client.DigestAuthMiddleware("u", "x")]) as s:
        async with s.get(url / "p") as resp:
            assert resp.status == 401
    assert len(server.log) == 2


@CLIENTS
async def test_credentials_stay_with_the_first_origin(
    client: Any, digest_server: tuple[URL, DigestServer]
) -> None:
    url, server = digest_server
    async with client.ClientSession(middlewares=[client.DigestAuthMiddleware("u", "secret")]) as s:
        async with s.get(url / "p") as resp:
            assert resp.status == 200
        async with s.get(url.with_host("localhost") / "p") as resp:
            assert resp.status == 401
    assert [a is not None for a in server.log] == [False, True, False]


@CLIENTS
async def test_domain_limits_the_preemptive_answer(
    client: Any, digest_server: tuple[URL, DigestServer]
) -> None:
    url, server = digest_server
    server.domain = "/api"
    async with client.ClientSession(middlewares=[client.DigestAuthMiddleware("u", "secret")]) as s:
        for path in ("api/a", "api/b", "other"):
            async with s.get(url / path) as resp:
                assert resp.status == 200
    assert [a is not None for a in server.log] == [False, True, True, False, True]


async def test_unsupported_challenges_are_refused_or_passed_through(
    http_mock: MockRouter,
) -> None:
    http_mock.get("http://api.test/basic", status=401, headers={"WWW-Authenticate": "Basic x=1"})
    http_mock.get(
        "http://api.test/md4",
        status=401,
        headers={"WWW-Authenticate": 'Digest realm="r", nonce="n", algorithm=MD4'},
    )
    async with aiotape.ClientSession(middlewares=[aiotape.DigestAuthMiddleware("u", "p")]) as s:
        async with s.get("http://api.test/basic") as resp:
            assert resp.status == 401
        with pytest.raises(aiotape.ClientError, match="Unsupported hash algorithm: MD4"):
            await s.get("http://api.test/md4")


@CLIENTS
def test_a_colon_in_the_login_is_refused(client: Any) -> None:
    with pytest.raises(ValueError, match="RFC 1945"):
        client.DigestAuthMiddleware("a:b", "p")


async def test_digest_auth_under_http_mock(http_mock: MockRouter) -> None:
    """The middleware sits above the seam: a mock answering challenges is enough."""
    server = DigestServer(algorithm="SHA-256", qop="auth-int")

    def answer(call: Call) -> MockResponse:
        status, headers, payload = server.handle(
            call.method, call.url.raw_path_qs, call.headers, call.body
        )
        return MockResponse(status, headers=headers, json=payload)

    http_mock.post("http://api.test/secret", callback=answer)
    middleware = aiotape.DigestAuthMiddleware("user", "secret")
    async with aiotape.ClientSession(middlewares=[middleware]) as session:
        async with session.post("http://api.test/secret", data=b"x") as resp:
            assert await resp.json() == {"user": "user", "nc": "00000001"}
    assert len(server.log) == 2
