"""HTTP Digest authentication (RFC 7616) as a client middleware, aiohttp's DigestAuthMiddleware.

On a ``401`` with a ``WWW-Authenticate: Digest ...`` challenge the request is sent once more
with an ``Authorization: Digest ...`` answer. The challenge is kept: later requests inside its
protection space (the challenging origin, or the URIs of its ``domain`` parameter) answer it
up front, counting ``nc`` up while the server's nonce stays the same. Credentials are bound to
the origin of the first request; other origins pass through untouched.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from yarl import URL

from . import exceptions
from .auth import BasicAuth
from .middlewares import ClientHandlerType, ClientRequest

if TYPE_CHECKING:
    from .response import ClientResponse

__all__ = ["DigestAuthMiddleware"]

_HASHES: dict[str, Callable[[bytes], hashlib._Hash]] = {
    "MD5": hashlib.md5,
    "SHA": hashlib.sha1,
    "SHA256": hashlib.sha256,
    "SHA-256": hashlib.sha256,
    "SHA512": hashlib.sha512,
    "SHA-512": hashlib.sha512,
}
_SESSION_SUFFIX = "-SESS"
_CHALLENGE_KEYS = ("realm", "nonce", "qop", "algorithm", "opaque", "domain", "stale")
# One auth-param: name, then "=" and a quoted string or a token; a bare token is a scheme.
_PARAM = re.compile(r'(?:^|[\s,])\s*([\w-]+)(?:\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]+)))?')
_ESCAPED = re.compile(r"\\(.)")


def parse_challenge(params: str) -> dict[str, str]:
    """The parameters of the first challenge in ``params`` (text after the scheme name)."""
    found: dict[str, str] = {}
    for match in _PARAM.finditer(params):
        name, quoted, token = match.groups()
        if quoted is None and token is None:  # a scheme name: the next challenge starts
            if found:
                break
            continue
        found[name.lower()] = _ESCAPED.sub(r"\1", quoted) if quoted is not None else token
    return found


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class DigestAuthMiddleware:
    """Answers Digest challenges for ``login`` / ``password`` (MD5, SHA, SHA-256, SHA-512 and
    their ``-sess`` variants; qop ``auth`` and ``auth-int``).

    ``preemptive=True`` (the default) reuses the last challenge for later requests in its
    protection space, saving the 401 round trip.
    """

    def __init__(self, login: str, password: str, preemptive: bool = True) -> None:
        credentials = BasicAuth(login, password)  # refuses None and a ":" in the login
        self._login = credentials.login
        self._password = credentials.password
        self._preemptive = preemptive
        self._challenge: dict[str, str] = {}
        self._space: list[str] = []
        self._origin: URL | None = None
        self._nonce = ""
        self._count = 0

    async def __call__(self, request: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
        """Send ``request``; on a Digest challenge, answer it and send it once more."""
        origin = request.url.origin()
        if self._origin is None:
            self._origin = origin
        elif origin != self._origin and not self._covers(request.url):
            return await handler(request)
        if self._preemptive and self._challenge and self._covers(request.url):
            request.headers["Authorization"] = self._answer(request)
        response = await handler(request)
        if not self._take_challenge(response):
            return response
        response.release()
        request.headers["Authorization"] = self._answer(request)
        response = await handler(request)
        self._take_challenge(response)
        return response

    def _covers(self, url: URL) -> bool:
        """True when ``url`` is inside the protection space of the kept challenge."""
        target = str(url)
        for prefix in self._space:
            if target == prefix or (
                target.startswith(prefix) and (prefix.endswith("/") or target[len(prefix)] in "/?#")
            ):
                return True
        return False

    def _take_challenge(self, response: ClientResponse) -> bool:
        """Keep the Digest challenge of a 401; True when the request should be sent again."""
        if response.status != 401:
            return False
        scheme, _, rest = response.headers.get("WWW-Authenticate", "").partition(" ")
        if scheme.lower() != "digest" or not rest.strip():
            return False
        params = parse_challenge(rest)
        challenge = {key: params[key] for key in _CHALLENGE_KEYS if key in params}
        if not challenge:
            return False
        self._challenge = challenge
        origin = response.url.origin()
        space = [
            str(origin.join(URL(uri)) if uri.startswith("/") else URL(uri))
            for uri in (u.strip('"') for u in challenge.get("domain", "").split())
            if uri
        ]
        self._space = space or [str(origin)]
        return True

    def _answer(self, request: ClientRequest) -> str:
        """The ``Authorization`` value answering the kept challenge for ``request``."""
        challenge = self._challenge
        realm = challenge.get("realm")
        nonce = challenge.get("nonce")
        if realm is None:
            raise exceptions.ClientError(
                "Malformed Digest auth challenge: Missing 'realm' parameter"
            )
        if nonce is None:
            raise exceptions.ClientError(
                "Malformed Digest auth challenge: Missing 'nonce' parameter"
            )
        if not nonce:
            raise exceptions.ClientError(
                "Security issue: Digest auth challenge contains empty 'nonce' value"
            )
        algorithm = challenge.get("algorithm", "MD5")
        name = algorithm.upper()
        session = name.endswith(_SESSION_SUFFIX)
        hash_fn = _HASHES.get(name[: -len(_SESSION_SUFFIX)] if session else name)
        if hash_fn is None:
            raise exceptions.ClientError(
                f"Digest auth error: Unsupported hash algorithm: {algorithm}"
            )
        qop = self._qop(challenge.get("qop", ""))

        def digest(*parts: str | bytes) -> str:
            joined = b":".join(p.encode() if isinstance(p, str) else p for p in parts)
            return hash_fn(joined).hexdigest()

        uri = request.url.raw_path_qs
        self._count = self._count + 1 if nonce == self._nonce else 1
        self._nonce = nonce
        nc = f"{self._count:08x}"
        cnonce = hashlib.sha1(os.urandom(16)).hexdigest()[:16]
        ha1 = digest(self._login, realm, self._password)
        if session:
            ha1 = digest(ha1, nonce, cnonce)
        ha2 = digest(request.method, uri)
        if qop == "auth-int":
            ha2 = digest(request.method, uri, digest(self._body(request)))
        proof = (nonce, nc, cnonce, qop, ha2) if qop else (nonce, ha2)
        response = digest(ha1, *proof)
        fields = [
            f"username={_quote(self._login)}",
            f"realm={_quote(realm)}",
            f"nonce={_quote(nonce)}",
            f'uri="{uri}"',
            f'response="{response}"',
            f"algorithm={algorithm}",
        ]
        if challenge.get("opaque"):
            fields.append(f"opaque={_quote(challenge['opaque'])}")
        if qop:
            fields += [f"qop={qop}", f"nc={nc}", f'cnonce="{cnonce}"']
        return "Digest " + ", ".join(fields)

    @staticmethod
    def _qop(offered: str) -> str:
        """``auth-int`` when offered, else ``auth``; ``""`` when the server offers none."""
        if not offered:
            return ""
        choices = {q.strip() for q in offered.split(",")}
        if "auth-int" in choices:
            return "auth-int"
        if "auth" in choices:
            return "auth"
        raise exceptions.ClientError(
            f"Digest auth error: Unsupported Quality of Protection (qop) value(s): {offered}"
        )

    @staticmethod
    def _body(request: ClientRequest) -> bytes:
        body = request.body
        if not isinstance(body, bytes):
            raise exceptions.ClientError(
                "Digest auth-int needs a bytes body (a stream cannot be hashed)"
            )
        return body
