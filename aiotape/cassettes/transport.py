"""The Transport a cassette installs: replays what it holds, records the rest through ``inner``."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable, Iterable
from typing import TYPE_CHECKING

from ..client.transport import Request, Response, url_string
from .filters import Filters
from .matching import MatchRule
from .model import RecordedRequest
from .player import Playback, replay, replay_at

if TYPE_CHECKING:
    from ..client.seam_protocols import Transport
    from ..client.ws_types import WebSocketChannel, WSOptions
    from .complaints import Complaints
    from .recorder import Recorder

__all__ = ["CassetteTransport", "LiveRequests"]

_LOCALHOSTS = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0"})


class LiveRequests:
    """Which live requests a cassette takes, and how each one looks when matched.

    ``filtered``: whether matching needs the request filtered first (hooks, filtered or
    matched parts); ``direct``: whether every request is taken as it is (nothing ignored,
    nothing filtered), so :meth:`match` need not be asked.
    """

    __slots__ = ("direct", "filtered", "filters", "ignored_hosts", "rule")

    def __init__(
        self, rule: MatchRule, filters: Filters, ignored_hosts: frozenset[str], filtered: bool
    ) -> None:
        self.rule = rule
        self.filters = filters
        self.ignored_hosts = ignored_hosts
        self.filtered = filtered
        self.direct = not ignored_hosts and not filtered

    @classmethod
    def build(
        cls, rule: MatchRule, filters: Filters, ignore_hosts: Iterable[str], ignore_localhost: bool
    ) -> LiveRequests:
        """Ignore ``ignore_hosts`` (and localhost if asked); filter only when matching needs it."""
        filtered = bool(
            filters.request_hooks
            or filters.query
            or rule.custom
            or rule.needs_body
            or "headers" in rule.names
        )
        ignored = frozenset(ignore_hosts) | (_LOCALHOSTS if ignore_localhost else frozenset())
        return cls(rule, filters, ignored, filtered)

    def wire(self, request: Request, body: bytes) -> RecordedRequest:
        """``request`` as it went on the wire, unfiltered."""
        return RecordedRequest(
            request.method, str(request.url), tuple(request.headers.items()), body
        )

    def match(self, request: Request, body: bytes) -> tuple[bool, RecordedRequest | None]:
        """Whether the cassette takes ``request`` (False: an ignored host, or a request hook
        dropped it), and the request as matched when matching needs it filtered (else None:
        the method and URL are the key).
        """
        if self.ignored_hosts and request.url.host in self.ignored_hosts:
            return False, None
        if not self.filtered:
            return True, None
        live = self.filters.request(self.wire(request, body))
        return live is not None, live


class CassetteTransport:
    """Replays the cassette's interactions and records new ones; real I/O goes to ``inner``.

    ``playback`` is None when the cassette only records, ``recorder`` None when it only
    replays. Both are shared by every transport of one cassette (one per session).
    ``inner`` is the transport real traffic goes through. ``complaints`` gives what words the
    errors (called when one is needed: a clean replay builds none).
    """

    __slots__ = ("_complaints", "_live", "_plain", "_playback", "_recorder", "inner")

    def __init__(
        self,
        inner: Transport,
        live: LiveRequests,
        playback: Playback | None,
        recorder: Recorder | None,
        complaints: Callable[[], Complaints],
    ) -> None:
        self.inner = inner
        self._live = live
        self._playback = playback
        self._plain = playback if live.direct and live.rule.plain else None
        """The playback when every request is taken by its method and URL as sent (the usual
        case: no snapshot of the request is built, nothing is filtered)."""
        self._recorder = recorder
        self._complaints = complaints

    def _take(self, request: Request, matched: RecordedRequest | None) -> int | None:
        """The position of the recorded answer: by ``matched`` when matching needs the request
        filtered, else by the key of its method and URL (no snapshot of the request is built).
        """
        playback = self._playback
        if playback is None:
            return None
        if matched is not None:
            return playback.take(matched)
        return playback.take_plain(request.method, url_string(request), request.url)

    async def handle(self, request: Request) -> Response:
        """Replay the recorded answer to ``request``, or record it through ``inner``."""
        plain = self._plain
        if plain is not None:  # the usual case: :meth:`_take` by method and URL, inlined
            position = plain.take_plain(request.method, url_string(request), request.url)
            if position is not None:
                return replay_at(plain, position, request, self._complaints)
            body = request.body
            return await self._unanswered(request, body if isinstance(body, bytes) else b"", None)
        body = request.body
        if not isinstance(body, bytes):
            if self._live.rule.needs_body:
                chunks = [chunk async for chunk in body]
                request = dataclasses.replace(request, body=_resend(chunks))  # still streamed
                body = b"".join(chunks)
            else:
                body = b""
        matched = None
        if not self._live.direct:
            taken, matched = self._live.match(request, body)
            if not taken:
                return await self.inner.handle(request)
        playback = self._playback
        position = self._take(request, matched)
        if position is not None and playback is not None:
            return replay_at(playback, position, request, self._complaints)
        return await self._unanswered(request, body, matched)

    async def _unanswered(
        self, request: Request, body: bytes, matched: RecordedRequest | None
    ) -> Response:
        """Record ``request`` (nothing recorded answers it), or raise why it cannot be."""
        if self._recorder is not None:
            return await self._recorder.handle(request, self.inner)
        raise self._complaints().unmatched(matched or self._live.wire(request, body))

    async def connect_ws(self, request: Request, options: WSOptions) -> WebSocketChannel:
        """Replay the recorded websocket session for ``request``, or record it through ``inner``."""
        taken, matched = self._live.match(request, b"")
        if not taken:
            return await self.inner.connect_ws(request, options)
        playback = self._playback
        position = self._take(request, matched)
        live = matched or self._live.wire(request, b"")
        if position is not None and playback is not None:
            interaction = playback.interaction(position)
            failed = interaction.error is not None
            note = self._complaints().replayed_failure(position) if failed else None
            handshake = replay(interaction, request, note)
            if interaction.websocket is None:
                raise self._complaints().unmatched(
                    live, "the recorded answer is not a websocket session"
                )
            from .ws_replay import ReplayChannel  # imported by the first session replayed

            return ReplayChannel(
                interaction.websocket,
                handshake,
                lambda sent, expected: self._complaints().ws_mismatch(live, sent, expected),
            )
        if self._recorder is not None:
            return await self._recorder.connect_ws(request, self.inner, options)
        raise self._complaints().unmatched(live)

    async def aclose(self) -> None:
        """Nothing to release: ``inner`` belongs to the session."""


async def _resend(chunks: list[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk
