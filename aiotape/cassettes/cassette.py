"""A cassette: one YAML file and its configuration; its transport plays or records it."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from types import TracebackType
from typing import Any

from ..client.transport import (
    Request,
    Response,
    Transport,
    WebSocketChannel,
    WSOptions,
    use_transport,
)
from .errors import CassetteLabel, Complaints
from .filters import DEFAULT_REDACTED_HEADERS, Filters, FilterSpec, RequestHook, ResponseHook
from .format import dumps, loads
from .matching import DEFAULT_MATCH_ON, MatchOn, MatchRule
from .model import Interaction
from .plan import RecordMode, plan
from .player import Playback
from .recorder import Recorder
from .storage import Signature, locked, signature, write_atomic
from .transport import CassetteTransport, LiveRequests

__all__ = [
    "Cassette",
    "CassetteTransport",
    "FileUsage",
    "RecordMode",
    "load_cassette",
    "use_cassette",
]


@dataclasses.dataclass(frozen=True, slots=True)
class FileUsage:
    """Which interactions of one cassette file a Cassette replayed (positions in the file)."""

    path: Path
    interactions: int
    played: tuple[int, ...]


def load_cassette(path: str | os.PathLike[str]) -> list[Interaction]:
    """The interactions of the cassette file at ``path`` (``[]`` if it does not exist)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    return loads(text, source=os.fspath(path))


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
        rule = MatchRule.compile(match_on)
        self._filters = Filters.build(
            filter_headers=filter_headers,
            filter_query_parameters=filter_query_parameters,
            filter_post_data_parameters=filter_post_data_parameters,
            before_record_request=before_record_request,
            before_record_response=before_record_response,
            redact_headers=redact_headers,
        )
        self._live = LiveRequests.build(rule, self._filters, ignore_hosts, ignore_localhost)
        self._signature: Signature | None = None if self.path is None else signature(self.path)
        self.existed = self._signature is not None
        steps = plan(self.record_mode, self.existed)
        replayed = self._load(steps.keep_recorded, extra_paths)
        self._playback = (
            Playback(replayed, rule, allow_playback_repeats=allow_playback_repeats)
            if steps.replay
            else None
        )
        self._recorder = Recorder(self._filters) if steps.record else None
        self._complaints = Complaints(
            CassetteLabel(self.path, self.record_mode.value, rule.names, self.existed, test_id),
            lambda live: None if self._playback is None else self._playback.closest(live),
        )
        self.unmatched = self._complaints.errors
        """Every UnmatchedRequestError / WebSocketMismatchError this cassette raised."""
        self.saved_count = 0
        """How many new interactions ``save`` has written to the file so far."""
        self._activation: AbstractContextManager[None] | None = None

    def _load(
        self, keep_recorded: bool, extra_paths: Iterable[str | os.PathLike[str]]
    ) -> list[Interaction]:
        """Read this cassette's file (unless rewriting it) and the extra ones: what may replay."""
        self._base = load_cassette(self.path) if keep_recorded and self.path is not None else []
        extras = [(Path(p), load_cassette(p)) for p in extra_paths]
        self._sources = ((self.path, len(self._base)), *((p, len(b)) for p, b in extras))
        return [*self._base, *(i for _, batch in extras for i in batch)]

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
        return CassetteTransport(
            inner, self._live, self._playback, self._recorder, self._complaints
        )

    async def handle(self, request: Request, inner: Transport) -> Response:
        """Replay or record one exchange (``self.transport(inner).handle(request)``)."""
        return await self.transport(inner).handle(request)

    async def connect_ws(
        self, request: Request, inner: Transport, options: WSOptions
    ) -> WebSocketChannel:
        """Replay or record one websocket session through ``inner``."""
        return await self.transport(inner).connect_ws(request, options)

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
        self._recorder.clear()
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


def use_cassette(path: str | os.PathLike[str] | None, **options: Any) -> Cassette:
    """``with use_cassette("x.yaml", record_mode="once"):`` replays/records every session.

    Options are Cassette's keyword arguments (vcrpy's names: ``record_mode``, ``match_on``,
    ``filter_headers``, ``before_record_request``, ``allow_playback_repeats``...).
    """
    return Cassette(path, **options)
