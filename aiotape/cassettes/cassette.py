"""A cassette: one YAML file, a record mode, and the transport that plays or records it."""

from __future__ import annotations

import dataclasses
import enum
import os
import shlex
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from types import TracebackType
from typing import Any

from ..client.transport import Request, Response, Transport, WebSocketChannel, use_transport
from .cache import load_file
from .errors import UnmatchedRequestError, WebSocketMismatchError
from .filters import DEFAULT_REDACTED_HEADERS, Filters, FilterSpec, RequestHook, ResponseHook
from .format import dumps
from .matching import DEFAULT_MATCH_ON, MatchOn, MatchRule
from .model import Interaction, RecordedRequest
from .player import Playback, ReplayChannel, replay
from .recorder import Recorder
from .storage import Signature, locked, signature, write_atomic

__all__ = [
    "Cassette",
    "CassetteTransport",
    "FileUsage",
    "RecordMode",
    "load_cassette",
    "use_cassette",
]

_LOCALHOSTS = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0"})


class RecordMode(str, enum.Enum):
    """vcrpy / pytest-recording record modes."""

    NONE = "none"
    """Replay only; an unmatched request fails."""
    ONCE = "once"
    """Record if the cassette file does not exist yet, else replay only."""
    NEW_EPISODES = "new_episodes"
    """Replay what matches, record the rest."""
    ALL = "all"
    """Record everything, never replay (new interactions are appended)."""
    REWRITE = "rewrite"
    """Record everything into a fresh cassette."""


@dataclasses.dataclass(frozen=True, slots=True)
class FileUsage:
    """Which interactions of one cassette file a Cassette replayed (positions in the file)."""

    path: Path
    interactions: int
    played: tuple[int, ...]


def load_cassette(path: str | os.PathLike[str]) -> list[Interaction]:
    """The interactions of the cassette file at ``path`` (``[]`` if it does not exist)."""
    return load_file(path)


class Cassette(AbstractContextManager["Cassette"]):
    """Plays and/or records one cassette file according to its record mode.

    Use it as a context manager (``with use_cassette(path): ...``) to route every session
    through it, or wrap a transport yourself: ``ClientSession(transport=c.transport(inner))``.
    ``extra_paths`` are replayed too but never written.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None,
        *,
        record_mode: RecordMode | str = RecordMode.NONE,
        match_on: MatchOn = DEFAULT_MATCH_ON,
        allow_playback_repeats: bool = False,
        filter_headers: Iterable[FilterSpec] = (),
        filter_query_parameters: Iterable[FilterSpec] = (),
        filter_post_data_parameters: Iterable[FilterSpec] = (),
        before_record_request: RequestHook | Sequence[RequestHook] | None = None,
        before_record_response: ResponseHook | Sequence[ResponseHook] | None = None,
        redact_headers: Iterable[str] = DEFAULT_REDACTED_HEADERS,
        ignore_hosts: Iterable[str] = (),
        ignore_localhost: bool = False,
        extra_paths: Iterable[str | os.PathLike[str]] = (),
        test_id: str | None = None,
    ) -> None:
        self.path = None if path is None else Path(path)
        self.record_mode = RecordMode(record_mode)
        self.test_id = test_id
        self.unmatched: list[UnmatchedRequestError | WebSocketMismatchError] = []
        self._rule = MatchRule.compile(match_on)
        self._filters = Filters.build(
            filter_headers=filter_headers,
            filter_query_parameters=filter_query_parameters,
            filter_post_data_parameters=filter_post_data_parameters,
            before_record_request=before_record_request,
            before_record_response=before_record_response,
            redact_headers=redact_headers,
        )
        self._filter_live = bool(
            self._filters.request_hooks
            or self._filters.query
            or self._rule.custom
            or self._rule.needs_body
            or "headers" in self._rule.names
        )
        self._ignored_hosts = frozenset(ignore_hosts) | (_LOCALHOSTS if ignore_localhost else set())
        self._signature: Signature | None = None
        loaded: list[Interaction] = []
        if self.path is not None:
            self._signature = signature(self.path)
            if self.record_mode is not RecordMode.REWRITE:
                loaded = load_cassette(self.path)
        self.existed = self._signature is not None
        mode = self.record_mode
        records_only = mode in (RecordMode.ALL, RecordMode.REWRITE) or (
            mode is RecordMode.ONCE and not self.existed
        )
        self._base = loaded
        extras = [(Path(p), load_cassette(p)) for p in extra_paths]
        self._sources = ((self.path, len(loaded)), *((p, len(batch)) for p, batch in extras))
        replayed = [*loaded, *(i for _, batch in extras for i in batch)]
        self._playback: Playback | None = (
            None
            if records_only
            else Playback(replayed, self._rule, allow_playback_repeats=allow_playback_repeats)
        )
        writes = records_only or mode is RecordMode.NEW_EPISODES
        self._recorder: Recorder | None = Recorder(self._filters) if writes else None
        self.saved_count = 0
        """How many new interactions ``save`` has written to the file so far."""
        self._activation: AbstractContextManager[None] | None = None
        self._redirect_time: dict[float, float] = {}

    # -- inspection --------------------------------------------------------------------------
    @property
    def play_count(self) -> int:
        """How many recorded interactions were replayed."""
        return 0 if self._playback is None else self._playback.play_count

    @property
    def all_played(self) -> bool:
        """Whether every interaction available for replay was replayed."""
        return self._playback is None or self._playback.all_played

    @property
    def replaying(self) -> bool:
        """Whether recorded interactions are replayed (False in the record-only modes)."""
        return self._playback is not None

    def file_usage(self) -> list[FileUsage]:
        """Per replayed file (this cassette's, then the extra ones): which interactions played."""
        if self._playback is None:
            return []
        played = self._playback.played_positions
        usage: list[FileUsage] = []
        start = 0
        for path, count in self._sources:
            if path is not None:
                mine = tuple(p - start for p in played if start <= p < start + count)
                usage.append(FileUsage(path, count, mine))
            start += count
        return usage

    @property
    def new_interactions(self) -> list[Interaction]:
        """Interactions recorded so far (filtered, not yet saved)."""
        return [] if self._recorder is None else self._recorder.interactions()

    @property
    def write_protected(self) -> bool:
        """Whether this cassette refuses to record."""
        return self._recorder is None

    # -- the transport -----------------------------------------------------------------------
    def transport(self, inner: Transport) -> CassetteTransport:
        """A transport playing/recording this cassette, sending real traffic through ``inner``."""
        return CassetteTransport(self, inner)

    def _lookup(
        self, request: Request, body: bytes
    ) -> tuple[RecordedRequest | None, Interaction | None]:
        """The live request as matched (None: not a cassette request) and its recorded answer."""
        if self._ignored_hosts and request.url.host in self._ignored_hosts:
            return None, None
        live = RecordedRequest(
            request.method, str(request.url), tuple(request.headers.items()), body
        )
        if self._filter_live:
            filtered = self._filters.request(live)
            if filtered is None:  # before_record_request dropped it
                return None, None
            live = filtered
        if self._playback is None:
            return live, None
        return live, self._playback.take(live, None if self._filter_live else request.url)

    async def handle(self, request: Request, inner: Transport) -> Response:
        """Replay the recorded answer to ``request``, or record it through ``inner``."""
        body = request.body
        if isinstance(body, bytes):
            live, interaction = self._lookup(request, body)
        elif self._rule.needs_body:
            chunks = [chunk async for chunk in body]
            request = dataclasses.replace(request, body=_resend(chunks))  # still streamed
            live, interaction = self._lookup(request, b"".join(chunks))
        else:
            live, interaction = self._lookup(request, b"")
        if live is None:
            return await inner.handle(request)
        if interaction is not None:
            return self._replay(interaction, request)
        if self._recorder is not None:
            return await self._recorder.handle(request, inner)
        raise self._unmatched(live)

    def _replay(self, interaction: Interaction, request: Request) -> Response:
        """Replay one hop; a redirect's recorded latency counts against the next hop's deadline.

        Hops of one request share ``request.started`` (a loop-clock reading, unique per call).
        """
        spent = self._redirect_time.pop(request.started, 0.0)
        response = replay(interaction, request, spent)
        if 300 <= response.status < 400 and "Location" in response.headers:
            self._redirect_time[request.started] = spent + interaction.elapsed
        return response

    async def connect_ws(
        self, request: Request, inner: Transport, **options: Any
    ) -> WebSocketChannel:
        """Replay the recorded websocket session for ``request``, or record it through ``inner``."""
        live, interaction = self._lookup(request, b"")
        if live is None:
            return await inner.connect_ws(request, **options)
        if interaction is not None:
            handshake = replay(interaction, request)
            if interaction.websocket is None:
                raise self._unmatched(live, "the recorded answer is not a websocket session")
            return ReplayChannel(
                interaction.websocket,
                handshake,
                lambda sent, expected: self._ws_mismatch(live, sent, expected),
            )
        if self._recorder is not None:
            return await self._recorder.connect_ws(request, inner, **options)
        raise self._unmatched(live)

    # -- errors ------------------------------------------------------------------------------
    def _unmatched(self, live: RecordedRequest, why: str = "") -> UnmatchedRequestError:
        error = UnmatchedRequestError(self._unmatched_message(live, why))
        self.unmatched.append(error)
        return error

    def _ws_mismatch(
        self, live: RecordedRequest, sent: str, expected: str
    ) -> WebSocketMismatchError:
        where = os.fspath(self.path) if self.path is not None else "<in-memory cassette>"
        error = WebSocketMismatchError(
            f"websocket {live.uri}: the client sent {sent}, but the recording expects "
            f"{expected} next\n  cassette: {where}\n  to record it again, run:\n"
            f"    {self._rerecord_hint(rewrite_only=True)}"
        )
        self.unmatched.append(error)
        return error

    def _rerecord_hint(self, *, rewrite_only: bool = False) -> str:
        if rewrite_only:
            if self.test_id is None:
                return "use_cassette(..., record_mode='rewrite')"
            return f"pytest --record-mode=rewrite {shlex.quote(self.test_id)}"
        if self.test_id is None:
            target = repr(os.fspath(self.path)) if self.path else "None"
            if self.existed:
                return (
                    f"use_cassette({target}, record_mode='new_episodes') to add it, "
                    "or record_mode='rewrite' to record the cassette afresh"
                )
            return f"use_cassette({target}, record_mode='once')"
        test = shlex.quote(self.test_id)
        if self.existed:
            return (
                f"pytest --record-mode=new_episodes {test}  to add it, or\n"
                f"    pytest --record-mode=rewrite {test}  to record the cassette afresh"
            )
        return f"pytest --record-mode=once {test}"

    def _unmatched_message(self, live: RecordedRequest, why: str = "") -> str:
        where = os.fspath(self.path) if self.path is not None else "<in-memory cassette>"
        lines = [
            f"No recorded interaction matches {live.method} {live.uri}"
            + (f": {why}" if why else ""),
            f"  cassette: {where} (record mode '{self.record_mode.value}', "
            f"matching on {', '.join(self._rule.names) or 'custom matchers'})",
        ]
        closest = None if self._playback is None else self._playback.closest(live)
        if closest is None:
            state = "holds no interactions" if self.existed else "does not exist yet"
            lines.append(f"  the cassette {state}")
        elif not closest.differences:
            lines.append(
                f"  every matching interaction was already played (e.g. #{closest.position}); "
                "pass allow_playback_repeats=True to replay them again"
            )
        else:
            recorded = closest.interaction.request
            lines.append(
                f"  closest recorded: #{closest.position} {recorded.method} {recorded.uri} "
                f"(differs in {', '.join(closest.differences)})"
            )
        lines.append(f"  to record it, run:\n    {self._rerecord_hint()}")
        return "\n".join(lines)

    # -- saving ------------------------------------------------------------------------------
    def save(self) -> bool:
        """Write new interactions (atomically, under a lock); True if the file was written.

        If another process replaced the file since it was loaded (``pytest -n``), its
        content is kept and the new interactions are appended to it.
        """
        if self.path is None or self._recorder is None:
            return False
        new = self._recorder.interactions()
        if not new:
            return False
        with locked(self.path):
            base = self._base
            if signature(self.path) != self._signature:
                base = load_cassette(self.path)
            merged = [*base, *new]
            write_atomic(self.path, dumps(merged))
            self._signature = signature(self.path)
        self._base = merged
        self.saved_count += len(new)
        self._recorder = Recorder(self._filters)
        return True

    def __enter__(self) -> Cassette:
        self._activation = use_transport(self.transport)
        self._activation.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        activation, self._activation = self._activation, None
        try:
            if activation is not None:
                activation.__exit__(exc_type, exc, tb)
        finally:
            self.save()


class CassetteTransport:
    """The Transport a cassette installs: replays or records, real I/O through ``inner``."""

    __slots__ = ("_cassette", "_inner")

    def __init__(self, cassette: Cassette, inner: Transport) -> None:
        self._cassette = cassette
        self._inner = inner

    async def handle(self, request: Request) -> Response:
        """Replay or record one exchange."""
        return await self._cassette.handle(request, self._inner)

    async def connect_ws(
        self,
        request: Request,
        *,
        protocols: Sequence[str] = (),
        max_msg_size: int = 4 * 1024 * 1024,
        compress: int = 0,
    ) -> WebSocketChannel:
        """Replay or record one websocket session."""
        return await self._cassette.connect_ws(
            request, self._inner, protocols=protocols, max_msg_size=max_msg_size, compress=compress
        )

    async def aclose(self) -> None:
        """Nothing to release: ``inner`` belongs to the session."""


async def _resend(chunks: list[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


def use_cassette(path: str | os.PathLike[str] | None, **options: Any) -> Cassette:
    """``with use_cassette("x.yaml", record_mode="once"):`` replays/records every session.

    Options are Cassette's keyword arguments (vcrpy's names: ``record_mode``, ``match_on``,
    ``filter_headers``, ``before_record_request``, ``allow_playback_repeats``...).
    """
    return Cassette(path, **options)
