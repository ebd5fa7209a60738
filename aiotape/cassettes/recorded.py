"""The interactions a cassette replays: records, or the compiled cache's plain rows.

A compiled cassette (see :mod:`.cache`) keeps each interaction as a row: a flat tuple of str,
bytes, int, float, None and tuples of them. :class:`Recorded` builds an interaction's records
from its row the first time it is read, so a replay that answers from the rows (see
:func:`aiotape.cassettes.player.replay_at`) builds none.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, overload

from .model import (
    Headers,
    Interaction,
    RecordedError,
    RecordedRequest,
    RecordedResponse,
    RecordedWebSocket,
    WSFrame,
)

__all__ = ["Exact", "Recorded", "Row", "latest", "to_row"]

Row = tuple[Any, ...]
"""An interaction as one flat tuple (fewer objects to unmarshal): the request's ``method, uri,
headers, body``, the response's ``status, reason, headers, chunks, chunk_times, version,
complete`` (all None without a response), then ``error, elapsed, websocket, last``: the
failure and the websocket session as :func:`to_row` writes them (or None), and when the last
event (head or chunk) of a plain answer (a complete response, no failure) came, else None."""

Exact = dict[tuple[str, str], int]
"""The group (see Playback) of each recorded (method, URI), under the default match rule."""


def _same(value: Any) -> Any:
    return value


def to_row(
    interaction: Interaction,
    headers: Callable[[Headers], Headers] = _same,
    text: Callable[[str], str] = _same,
) -> Row:
    """``interaction`` as a :data:`Row` (``headers`` and ``text`` may return equal values
    already seen, for them to be stored once)."""
    request, response, error, ws = (
        interaction.request,
        interaction.response,
        interaction.error,
        interaction.websocket,
    )
    last = None
    if response is not None and response.complete and error is None:
        last = latest(interaction.elapsed, response.chunk_times)
    return (
        request.method,
        request.uri,
        headers(request.headers),
        request.body,
        *(
            _NO_RESPONSE
            if response is None
            else (
                response.status,
                text(response.reason),
                headers(response.headers),
                response.chunks,
                response.chunk_times,
                response.version,
                response.complete,
            )
        ),
        None
        if error is None
        else (
            error.type,
            error.message,
            error.phase,
            error.errno,
            error.strerror,
            error.status,
            headers(error.headers),
        ),
        interaction.elapsed,
        None
        if ws is None
        else (
            ws.protocol,
            tuple((f.direction, int(f.type), f.data, f.extra, f.at) for f in ws.frames),
        ),
        last,
    )


_NO_RESPONSE = (None,) * 7


def latest(elapsed: float, chunk_times: Sequence[float]) -> float:
    """When the last event of an exchange happened: its head at ``elapsed``, its chunks at
    ``chunk_times``."""
    return max(elapsed, *chunk_times) if chunk_times else elapsed


def _twin(cls: type) -> type:
    """A class with the slots and bases of frozen dataclass ``cls``, to build its instances fast.

    Filled with plain attribute stores and then given ``cls`` as its class (``__class__``
    assignment: the layouts are the same), an instance is a ``cls`` instance built without
    the frozen ``__init__``'s ``object.__setattr__`` per field, which costs three times as
    much. Only for plain data this module wrote itself, every field set.
    """
    namespace = {
        "__slots__": vars(cls)["__slots__"],
        # object's own methods for both names of the slot: plain stores, no Python call
        "__setattr__": object.__setattr__,
        "__delattr__": object.__delattr__,
    }
    return type(f"_Building{cls.__name__}", cls.__bases__, namespace)


@functools.cache
def _twins() -> tuple[type, type, type]:
    """The twins of Interaction, RecordedRequest and RecordedResponse (made by the first record
    built: a replay from the rows builds none)."""
    return _twin(Interaction), _twin(RecordedRequest), _twin(RecordedResponse)


def _build(row: Row) -> Interaction:
    """The records of ``row``."""
    building_interaction, building_request, building_response = _twins()
    interaction: Any = building_interaction()
    interaction.request = sent = building_request()
    sent.method, sent.uri, sent.headers, sent.body = row[:4]
    sent.__class__ = RecordedRequest
    if row[4] is None:
        interaction.response = None
    else:
        interaction.response = head = building_response()
        (
            head.status,
            head.reason,
            head.headers,
            head.chunks,
            head.chunk_times,
            head.version,
            head.complete,
        ) = row[4:11]
        head.__class__ = RecordedResponse
    error, elapsed, ws = row[11:14]
    interaction.error = None if error is None else RecordedError(*error)
    interaction.elapsed = elapsed
    interaction.websocket = None if ws is None else _websocket(ws)
    interaction.__class__ = Interaction
    built: Interaction = interaction
    return built


def _websocket(ws: tuple[Any, ...]) -> RecordedWebSocket:
    from ..client.ws_messages import WSMsgType  # built by the first websocket a replay reads

    protocol, frames = ws
    return RecordedWebSocket(
        protocol, tuple(WSFrame(d, WSMsgType(t), data, x, at) for d, t, data, x, at in frames)
    )


class Recorded(Sequence[Interaction]):
    """A cassette's interactions in order; compiled ones are built from their rows when read.

    ``built`` holds the records (None where not built yet: then ``rows`` holds the rows).
    ``firsts`` (for each interaction, the first position whose request has the same default
    key) and ``exact`` are the groups the compiled cache found; None when unknown.
    """

    __slots__ = ("_built", "exact", "firsts", "rows")

    def __init__(
        self,
        built: list[Interaction | None],
        rows: Sequence[Row] | None = None,
        firsts: Sequence[int] | None = None,
        exact: Exact | None = None,
    ) -> None:
        self._built = built
        self.rows = rows
        """The interactions' rows (None: not compiled)."""
        self.firsts = firsts
        self.exact = exact

    @classmethod
    def of(cls, interactions: Iterable[Interaction]) -> Recorded:
        """Records already built."""
        return cls(list(interactions))

    def __len__(self) -> int:
        return len(self._built)

    @overload
    def __getitem__(self, index: int) -> Interaction: ...

    @overload
    def __getitem__(self, index: slice) -> list[Interaction]: ...

    def __getitem__(self, index: int | slice) -> Interaction | list[Interaction]:
        if isinstance(index, slice):
            return [self[i] for i in range(len(self))[index]]
        found = self._built[index]
        if found is None:
            assert self.rows is not None  # only rows leave an interaction unbuilt
            found = self._built[index] = _build(self.rows[index])
        return found

    def records(self) -> list[Interaction]:
        """Every interaction, built."""
        built, rows = self._built, self.rows
        if rows is not None:
            for position, found in enumerate(built):
                if found is None:
                    built[position] = _build(rows[position])
        return built  # type: ignore[return-value]  # every one built

    def __iter__(self) -> Iterator[Interaction]:
        if self.rows is None:
            return iter(self._built)  # type: ignore[arg-type]  # every one built
        return (self[i] for i in range(len(self._built)))

    def requests(self) -> list[tuple[str, str]]:
        """(method, URI) of every interaction's request."""
        rows = self.rows
        if rows is None:
            return [(i.request.method, i.request.uri) for i in self]
        return [row[:2] for row in rows]
