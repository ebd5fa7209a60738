"""A cassette: one YAML file and its configuration; its transport plays or records it."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ..client.records import Frozen
from ..client.transport import Request, Response, use_transport
from .cache import load_file
from .cassette_file import NOTHING, REPLAY_ONLY, read_recorded, render, serializer_named
from .compiled_options import compile_options
from .errors import UnmatchedRequestError, WebSocketMismatchError
from .filters import (
    DEFAULT_REDACTED_HEADERS,
    DEFAULT_REDACTED_QUERY,
    Filters,
    FilterSpec,
    RequestHook,
    ResponseHook,
)
from .matching import DEFAULT_MATCH_ON, Closest, CustomMatcher, MatchOn
from .model import Interaction, RecordedRequest
from .plan import keeps_recorded, mode_of, plan
from .player import Playback
from .recorded import Recorded
from .storage import Signature, locked, signature, write_atomic
from .transport import CassetteTransport
from .vcr_config import VcrExtras

if TYPE_CHECKING:
    from ..client.seam_protocols import Transport
    from ..client.ws_types import WebSocketChannel, WSOptions
    from .complaints import Complaints
    from .record_mode import RecordMode
    from .recorder import Recorder
    from .vcr_config import Serializer
    from .vcr_shapes import VcrRequest

__all__ = [
    "Cassette",
    "CassetteTransport",
    "FileUsage",
    "load_cassette",
    "use_cassette",
]


class FileUsage(Frozen):
    """Which interactions of one cassette file a Cassette replayed (positions in the file)."""

    __slots__ = ("interactions", "path", "played")
    __match_args__ = ("path", "interactions", "played")
    path: str
    interactions: int
    played: tuple[int, ...]

    def __init__(self, path: str, interactions: int, played: tuple[int, ...]) -> None:
        _set = object.__setattr__
        _set(self, "path", path)
        _set(self, "interactions", interactions)
        _set(self, "played", played)


def load_cassette(path: str | os.PathLike[str]) -> list[Interaction]:
    """The interactions of the cassette file at ``path`` (``[]`` if it does not exist)."""
    return load_file(path)


def _recorder(filters: Filters) -> Recorder:
    """A Recorder (its module is imported by the first cassette that records, not by replays)."""
    from .recorder import Recorder

    return Recorder(filters)


def _spelled(file: str) -> str:
    """``file`` as ``os.fspath(Path(file))`` spells it (what messages show), without building
    the Path for a plain POSIX path (the usual case), which it leaves as it is."""
    plain = file and _POSIX and "//" not in file and "/." not in file and file[:2] != "./"
    return file if plain and file[-1:] != "/" else os.fspath(Path(file))


_POSIX = os.sep == "/" and os.altsep is None


def _no_closest(live: RecordedRequest) -> None:
    """A cassette that replays nothing has no closest interaction."""


_LabelArgs = tuple[str | None, str, tuple[str, ...], bool, str | None, bool]
"""The arguments of a cassette's :class:`CassetteLabel`."""


def _complaints(
    label: _LabelArgs,
    closest: Callable[[RecordedRequest], Closest | None],
    sources: tuple[tuple[str | os.PathLike[str] | None, int], ...],
    errors: list[UnmatchedRequestError | WebSocketMismatchError],
) -> Complaints:
    """The Complaints of a cassette (their module is imported by the first error built)."""
    from .complaints import CassetteLabel, Complaints

    return Complaints(CassetteLabel(*label), closest, sources, errors)


class Cassette:
    """Plays and/or records one cassette file according to its record mode.

    Use it as a context manager (``with use_cassette(path): ...``) to route every session
    through it, or wrap a transport yourself: ``ClientSession(transport=c.transport(inner))``.
    ``extra_paths`` are replayed too but never written. Options are vcrpy's (see
    :mod:`.vcr_config`); ``matchers``/``serializers`` are the ones registered by name.
    ``test_id`` (the pytest node id) and ``shared`` (other tests use the file too) shape
    the re-record commands the errors suggest.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None,
        *,
        record_mode: RecordMode | str = "none",
        match_on: MatchOn = DEFAULT_MATCH_ON,
        allow_playback_repeats: bool = False,
        filter_headers: Iterable[FilterSpec] = (),
        filter_query_parameters: Iterable[FilterSpec] = (),
        filter_post_data_parameters: Iterable[FilterSpec] = (),
        before_record_request: RequestHook | Sequence[RequestHook] | None = None,
        before_record_response: ResponseHook | Sequence[ResponseHook] | None = None,
        redact_headers: Iterable[str] = DEFAULT_REDACTED_HEADERS,
        redact_query: Iterable[str] = DEFAULT_REDACTED_QUERY,
        ignore_hosts: Iterable[str] = (),
        ignore_localhost: bool = False,
        decode_compressed_response: bool = False,
        record_on_exception: bool = True,
        drop_unused_requests: bool = False,
        serializer: str | Serializer = "yaml",
        matchers: Mapping[str, CustomMatcher] | None = None,
        serializers: Mapping[str, Serializer] | None = None,
        extra_paths: Iterable[str | os.PathLike[str]] = (),
        test_id: str | None = None,
        shared: bool = False,
        **vcr_options: Any,
    ) -> None:
        extras = VcrExtras.parse(vcr_options)
        self._file = None if path is None else _spelled(extras.path(path))
        self._path: Path | None = None
        self._mode = mode_of(record_mode)
        self.test_id = test_id
        self.shared = shared
        self.record_on_exception = record_on_exception
        self.drop_unused_requests = drop_unused_requests
        self._serializer = serializer_named(serializer, serializers)
        self._rule, self._filters, self._live = compile_options(
            match_on=(
                match_on  # the usual case: the same tuple (the defaults), found at once
                if type(match_on) is tuple and not extras.additional_matchers
                else (*match_on, *extras.additional_matchers)
            ),
            matchers=matchers,
            filter_headers=filter_headers,
            filter_query_parameters=filter_query_parameters,
            filter_post_data_parameters=filter_post_data_parameters,
            before_record_request=before_record_request or extras.before_record,
            before_record_response=before_record_response,
            redact_headers=redact_headers,
            redact_query=redact_query,
            decode_compressed_response=decode_compressed_response,
            ignore_hosts=ignore_hosts,
            ignore_localhost=ignore_localhost,
        )
        self._repeats = allow_playback_repeats
        self._activation: AbstractContextManager[None] | None = None
        self._setup(extra_paths)

    @classmethod
    def for_test(cls, path: str, record_mode: str, test_id: str, shared: bool) -> Cassette:
        """``Cassette(path, record_mode=..., test_id=..., shared=...)``: the pytest plugin's
        cassette for a test that configures none. Its other options are the defaults, taken
        from the state a cassette given none starts with rather than parsed again."""
        cassette = cls.__new__(cls)
        vars(cassette).update(_default_state())
        cassette._file = _spelled(path)
        cassette._mode = mode_of(record_mode)
        cassette.test_id = test_id
        cassette.shared = shared
        cassette._setup(())
        return cassette

    def _setup(self, extra_paths: Iterable[str | os.PathLike[str]]) -> None:
        """Load what the record mode replays and prepare the recorder."""
        replayed = NOTHING
        self._signature: Signature | None = None
        file = self._file
        if file is not None:
            if keeps_recorded(self._mode):
                signed = self.drop_unused_requests or self._mode not in REPLAY_ONLY
                replayed, self._signature = read_recorded(file, self._serializer, signed)
            else:
                self._signature = signature(file)
        self._base: Sequence[Interaction] = replayed
        self.existed = self._signature is not None
        steps = plan(self._mode, self.existed)
        self._loaded = len(replayed)
        self._extras: tuple[tuple[Path, int], ...] = ()
        if extra_paths:
            paths = [Path(p) for p in extra_paths]
            extras = [(p, read_recorded(os.fspath(p), self._serializer)[0]) for p in paths]
            self._extras = tuple((p, len(batch)) for p, batch in extras)
            replayed = Recorded.of([*replayed, *(i for _, batch in extras for i in batch)])
        self._playback = (
            Playback(
                replayed,
                self._rule,
                allow_playback_repeats=self._repeats,
                firsts=replayed.firsts,
                exact=replayed.exact,
            )
            if steps.replay
            else None
        )
        self._recorder = _recorder(self._filters) if steps.record else None
        self._transport: CassetteTransport | None = None
        self.unmatched: list[UnmatchedRequestError | WebSocketMismatchError] = []
        """Every UnmatchedRequestError / WebSocketMismatchError this cassette raised."""
        self.saved_count = 0
        """How many new interactions ``save`` has written to the file so far."""
        self.saved_failures: list[Interaction] = []
        """The interactions ``save`` wrote that hold a failure (the service may have been down)."""

    @property
    def record_mode(self) -> RecordMode:
        """The record mode (kept as its value: the enum is built when first asked for)."""
        from .record_mode import RecordMode

        return RecordMode(self._mode)

    @record_mode.setter
    def record_mode(self, mode: RecordMode | str) -> None:
        self._mode = mode_of(mode)

    @property
    def path(self) -> Path | None:
        """The cassette file (None: a cassette kept in memory only)."""
        path = self._path
        if path is None and self._file is not None:
            path = self._path = Path(self._file)
        return path

    @path.setter
    def path(self, path: Path | None) -> None:
        self._path = path
        self._file = None if path is None else os.fspath(path)

    @property
    def file(self) -> str | None:
        """The cassette file as a str: ``path`` without building a ``Path``."""
        return self._file

    def _complain(self) -> Callable[[], Complaints]:
        """What builds the errors of traffic this cassette cannot answer when one is raised
        (a clean replay builds none). It holds no reference to the cassette (which keeps its
        transport): a dropped cassette is freed at once, with no cycle to collect."""
        label = (
            self._file,
            self._mode,
            self._rule.names,
            self.existed,
            self.test_id,
            self.shared,
        )
        closest = _no_closest if self._playback is None else self._playback.closest
        sources = ((self._file, self._loaded), *self._extras)  # a str: no Path built
        return functools.partial(_complaints, label, closest, sources, self.unmatched)

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
        if not self._extras:  # the usual case: this cassette's file alone
            file = self._file
            return [] if file is None else [FileUsage(file, self._loaded, played)]
        usage: list[FileUsage] = []
        start = 0
        for source, count in ((self._file, self._loaded), *self._extras):
            if source is not None:
                mine = tuple(p - start for p in played if start <= p < start + count)
                usage.append(FileUsage(os.fspath(source), count, mine))
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

    @property
    def saw_traffic(self) -> bool:
        """Whether any request reached this cassette (replayed, recorded or unmatched)."""
        recorded = self._recorder is not None and len(self._recorder) > 0
        return recorded or self.play_count > 0 or bool(self.unmatched) or self.saved_count > 0

    @property
    def data(self) -> list[tuple[VcrRequest, dict[str, Any] | None]]:
        """vcrpy's ``Cassette.data``: (request, response dict) per interaction, recorded last.

        A recorded failure has no response: None.
        """
        from .vcr_shapes import request_to_vcr, response_to_vcr

        replayable = [] if self._playback is None else list(self._playback.interactions)
        return [
            (
                request_to_vcr(i.request),
                None if i.response is None else response_to_vcr(i.response),
            )
            for i in (*replayable, *self.new_interactions)
        ]

    @property
    def requests(self) -> list[VcrRequest]:
        """vcrpy's ``Cassette.requests``: every interaction's request, vcrpy-shaped."""
        return [request for request, _ in self.data]

    @property
    def responses(self) -> list[dict[str, Any] | None]:
        """vcrpy's ``Cassette.responses``: every interaction's response dict."""
        return [response for _, response in self.data]

    # -- the transport -----------------------------------------------------------------------
    def transport(self, inner: Transport) -> CassetteTransport:
        """A transport playing/recording this cassette, sending real traffic through ``inner``.

        The last one made is kept for the next call with the same ``inner`` (a session asks
        for its transport once per request).
        """
        known = self._transport
        if known is not None and known.inner is inner:
            return known
        self._transport = CassetteTransport(
            inner, self._live, self._playback, self._recorder, self._complain()
        )
        return self._transport

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
        content is kept and the new interactions are appended to it. With
        ``drop_unused_requests`` (vcrpy's rule, in any record mode that replays) the
        interactions of the file that were not played are left out.
        """
        file = self._file
        if file is None or (self._recorder is None and not self.drop_unused_requests):
            return False  # nothing to write (the usual case of a replay)
        new = [] if self._recorder is None else self._recorder.interactions()
        dropping = self._unused_to_drop()
        if not new and not dropping:
            return False
        path = Path(file)
        with locked(path):
            base = self._base
            if signature(file) != self._signature:
                base = read_recorded(file, self._serializer)[0]
            elif dropping:
                base = [i for p, i in enumerate(base) if p not in dropping]
            merged = [*base, *new]
            write_atomic(path, render(merged, self._serializer))
            self._signature = signature(file)
        self._base = merged
        self.saved_count += len(new)
        self.saved_failures.extend(i for i in new if i.error is not None)
        self.drop_unused_requests = False  # the positions played refer to the old file
        if self._recorder is not None:
            self._recorder.clear()
        return True

    def _unused_to_drop(self) -> frozenset[int]:
        """With ``drop_unused_requests``: positions in this file that were never played.

        None when the cassette saw no traffic: its file is another library's to keep.
        """
        if not self.drop_unused_requests or self._playback is None or not self.saw_traffic:
            return frozenset()
        played = set(self._playback.played_positions)
        return frozenset(p for p in range(len(self._base)) if p not in played)

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
            if exc is None or self.record_on_exception:
                self.save()


_OPTIONS = (
    "_activation",
    "_filters",
    "_live",
    "_path",
    "_repeats",
    "_rule",
    "_serializer",
    "drop_unused_requests",
    "record_on_exception",
)
"""What a cassette's options set besides its file, record mode and test (see ``for_test``)."""


@functools.cache
def _default_state() -> dict[str, Any]:
    """The attributes ``_OPTIONS`` of a cassette given no options, from one kept in memory."""
    blank = vars(Cassette(None))
    return {name: blank[name] for name in _OPTIONS}


def use_cassette(path: str | os.PathLike[str] | None, **options: Any) -> Cassette:
    """``with use_cassette("x.yaml", record_mode="once"):`` replays/records every session.

    Options are Cassette's keyword arguments: every option name of vcrpy's ``use_cassette``
    (``record_mode``, ``match_on``, ``filter_headers``, ``before_record_request``,
    ``decode_compressed_response``, ``serializer``, ``path_transformer``...).
    """
    return Cassette(path, **options)
