"""Replay: find the recorded answer for a request and turn it back into a Response.

Nothing sleeps. Recorded latencies are compared with the replaying request's timeouts on a
virtual clock (seconds since the request hop started): a total deadline or sock_read gap that
the recording overshoots raises that timeout at once, after the chunks that arrived before it.
"""

from __future__ import annotations

import operator
import threading
from collections.abc import Callable, Hashable, Sequence
from itertools import compress
from typing import TYPE_CHECKING

from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from ..client import exceptions
from ..client.seam_request import request_loop
from ..client.transport import ChunkedBody, Request, Response
from .matching import Closest, MatchRule
from .model import (
    Headers,
    Interaction,
    RecordedError,
    RecordedRequest,
)
from .recorded import Exact, Recorded, latest

if TYPE_CHECKING:
    from .complaints import Complaints

__all__ = ["INCOMPLETE_BODY", "Playback", "replay", "replay_at"]

INCOMPLETE_BODY = (
    "aiotape: the cassette holds only the start of this body (the response was released "
    "before its end while recording); re-record it reading the whole body"
)
"""Message of the ClientPayloadError raised when reading past a partially recorded body."""


class Playback:
    """Recorded interactions indexed by match key, handed out once each in recorded order.

    A take gives the position of the interaction taken (in the order given), which
    :meth:`interaction` turns into its records and :func:`replay_at` into its response.
    Thread-safe; a take is synchronous, so concurrent identical requests get distinct answers.
    With ``allow_playback_repeats`` (vcrpy's rule) the first matching interaction answers every
    time.

    Interactions whose requests share a key form a group, named by its first position. The
    groups come from ``firsts`` when the rule is the default one (for each interaction, the
    first position sharing its :func:`default_key`, which the compiled cache keeps with
    ``exact``, the group of each recorded method and URI): at once when each interaction is
    its own group (the usual case), else at the first take; without them, the first take
    keys every request (a cassette nothing asks keys nothing). When the key depends on
    the method and URI alone, each recorded (method, URI) names its group, so a request sent
    as recorded is not taken apart; the keys of the groups are only needed (and computed) for
    a request that differs from every recorded one as a string.
    """

    __slots__ = (
        "_by_key",
        "_cursor",
        "_exact",
        "_firsts",
        "_groups",
        "_interactions",
        "_lock",
        "_ordered",
        "_played",
        "_ready",
        "_repeats",
        "_rule",
        "rows",
    )

    def __init__(
        self,
        interactions: Sequence[Interaction],
        rule: MatchRule,
        *,
        allow_playback_repeats: bool = False,
        firsts: Sequence[int] | None = None,
        exact: Exact | None = None,
    ) -> None:
        count = len(interactions)
        self._interactions = (
            interactions if type(interactions) is Recorded else Recorded.of(interactions)
        )
        self.rows = self._interactions.rows
        """The compiled rows of the interactions (None: not compiled)."""
        self._rule = rule
        if not (rule.default and firsts is not None and len(firsts) == count):
            firsts = exact = None
        self._firsts = firsts
        self._exact: Exact = {} if exact is None else exact
        self._repeats = allow_playback_repeats
        self._ordered = not allow_playback_repeats and not rule.custom
        self._played = [False] * count
        self._groups: dict[int, list[int]] = {}
        self._ready = firsts is not None and bool(exact) and _singletons(firsts, self._groups)
        self._by_key: dict[Hashable, int] | None = None
        self._cursor: dict[int, int] = {}
        self._lock = threading.Lock()

    def _group_all(self) -> None:
        """Fill ``_groups`` (positions by group) and ``_exact``, once.

        ``_ordered`` (no custom matchers, no repeats: a group plays one by one in recorded
        order): a group holds only the positions not played yet, the next one last.
        """
        with self._lock:
            if self._ready:
                return
            rule = self._rule
            firsts = self._firsts
            if firsts is None:
                by_key: dict[Hashable, int] = {}
                firsts = [
                    by_key.setdefault(rule.key(i.request), p)
                    for p, i in enumerate(self._interactions)
                ]
                self._by_key = by_key
            groups = self._groups
            if not _singletons(firsts, groups):
                for position, first in enumerate(firsts):
                    groups.setdefault(first, []).append(position)
                if self._ordered:
                    for group in groups.values():
                        group.reverse()
            if rule.plain and not self._exact:
                pairs = self._interactions.requests()
                self._exact.update(zip(pairs, firsts, strict=True))
            self._ready = True

    def _group(self, key: Hashable) -> int | None:
        """The group of the requests with match key ``key``, if any was recorded."""
        if not self._ready:
            self._group_all()
        by_key = self._by_key
        if by_key is None:  # every request so far was sent as recorded: key the groups now
            key_of = self._rule.key
            interactions = self._interactions
            by_key = {key_of(interactions[first].request): first for first in self._groups}
            self._by_key = by_key
        return by_key.get(key)

    def __len__(self) -> int:
        return len(self._interactions)

    @property
    def play_count(self) -> int:
        """How many recorded interactions have been played."""
        return self._played.count(True)

    @property
    def all_played(self) -> bool:
        """Whether every recorded interaction has been played."""
        return all(self._played)

    @property
    def interactions(self) -> Sequence[Interaction]:
        """Every interaction that may replay, in order."""
        return self._interactions

    def interaction(self, position: int) -> Interaction:
        """The interaction at ``position`` (in the order given)."""
        return self._interactions[position]

    @property
    def played_positions(self) -> tuple[int, ...]:
        """Positions (in the order given) of the interactions played so far."""
        return tuple(compress(range(len(self._played)), self._played))

    def take(self, live: RecordedRequest, url: URL | None = None) -> int | None:
        """The position of the next unplayed interaction matching ``live`` (marked played),
        if any. ``url`` is ``live.uri`` already parsed, when the caller has it.
        """
        if self._rule.plain:
            return self.take_plain(live.method, live.uri, url, live)
        return self.take_key(self._rule.key(live, url), live)

    def take_plain(
        self, method: str, uri: str, url: URL | None = None, live: RecordedRequest | None = None
    ) -> int | None:
        """``take`` for a ``plain`` rule, by the request's method and URI (``url``: ``uri``
        parsed, if at hand); ``live`` as for :meth:`take_key`.
        """
        if not self._ready:
            self._group_all()
        group = self._exact.get((method, uri))
        if group is None:
            group = self._group(self._rule.plain_key(method, uri, url))
            if group is None:
                return None
        if not self._ordered:
            return self._take_checked(group, live)
        try:  # :meth:`_pop`, inlined (the usual take)
            position = self._groups[group].pop()
        except IndexError:
            return None
        self._played[position] = True
        return position

    def take_key(self, key: Hashable, live: RecordedRequest | None = None) -> int | None:
        """``take`` by the request's match key; ``live`` (the request) may be None when the
        rule has no custom matchers, which alone read it.
        """
        group = self._group(key)
        if group is None:
            return None
        if not self._ordered:
            return self._take_checked(group, live)
        return self._pop(group)

    def _pop(self, group: int) -> int | None:
        """``_ordered``: the group's next position, played (a list's pop needs no lock)."""
        try:
            position = self._groups[group].pop()
        except IndexError:  # every interaction of the group was played
            return None
        self._played[position] = True
        return position

    def _take_checked(self, group: int, live: RecordedRequest | None) -> int | None:
        """A take with custom matchers or repeats."""
        positions = self._groups[group]
        with self._lock:
            if self._repeats:
                return self._first_accepted(live, positions)
            played = self._played
            start = self._cursor.get(group, 0)
            while start < len(positions) and played[positions[start]]:
                start += 1
            self._cursor[group] = start
            for offset in range(start, len(positions)):
                position = positions[offset]
                if not played[position] and self._accepts(live, position):
                    played[position] = True
                    return position
        return None

    def _accepts(self, live: RecordedRequest | None, position: int) -> bool:
        assert live is not None, "custom matchers need the live request"
        return self._rule.accepts(live, self._interactions[position].request)

    def _first_accepted(self, live: RecordedRequest | None, positions: list[int]) -> int | None:
        """vcrpy's playback repeats: the first matching interaction answers, every time."""
        custom = self._rule.custom
        for position in positions:
            if not custom or self._accepts(live, position):
                self._played[position] = True
                return position
        return None

    def closest(self, live: RecordedRequest) -> Closest | None:
        """The recorded interaction differing from ``live`` in the fewest matchers."""
        best: Closest | None = None
        for position, interaction in enumerate(self._interactions):
            differences = tuple(self._rule.differences(live, interaction.request))
            if best is None or len(differences) < len(best.differences):
                best = Closest(position, interaction, differences)
        return best


def _singletons(firsts: Sequence[int], groups: dict[int, list[int]]) -> bool:
    """Whether each interaction is its own group (the usual case); if so, ``groups`` gets
    them (``{p: [p]}``)."""
    positions = range(len(firsts))
    if not all(map(operator.eq, firsts, positions)):
        return False
    groups.update(zip(positions, map(list, zip(positions)), strict=True))
    return True


def _chunk_times(interaction: Interaction) -> Sequence[float]:
    response = interaction.response
    assert response is not None
    if len(response.chunk_times) == len(response.chunks):
        return response.chunk_times
    return [interaction.elapsed] * len(response.chunks)


def _timely(request: Request, last: float) -> bool:
    """Whether no timeout of ``request`` can fire during a recorded exchange whose last event
    (head or chunk) came ``last`` seconds in (the usual case: no sock_read, a total deadline
    far off); otherwise :func:`_first_timeout` decides, event by event.
    """
    sock_read = request.timeout.sock_read
    if sock_read and sock_read > 0:
        return False
    deadline = request.deadline
    if deadline is None:
        return True
    return last <= deadline - request_loop(request).time() - request.simulated_elapsed


def replay_at(
    playback: Playback, position: int, request: Request, complaints: Callable[[], Complaints]
) -> Response:
    """:func:`replay` of the interaction at ``position``; ``complaints()`` notes a recorded
    failure. A compiled plain answer (complete, no failure, no timeout in reach: the usual
    case) is built from its row, with no record built.
    """
    rows = playback.rows
    if rows is not None:
        row = rows[position]  # see :data:`~aiotape.cassettes.recorded.Row`
        last = row[14]
        if last is not None and _timely(request, last):  # :func:`_response`, inlined
            headers = CIMultiDictProxy(CIMultiDict(row[6]))
            return Response(row[4], row[5], headers, ChunkedBody(row[7]), row[9], None, row[12])
    interaction = playback.interaction(position)
    failed = interaction.error is not None
    return replay(interaction, request, complaints().replayed_failure(position) if failed else None)


def replay(interaction: Interaction, request: Request, note: str | None = None) -> Response:
    """The recorded response for ``request``, or the recorded (or virtual-time) failure.

    The response carries the recorded latency of its head as its ``simulated_elapsed``.
    ``note`` is added to a recorded failure raised again (where it was replayed from).
    """
    response = interaction.response
    error = interaction.error
    if response is None:
        assert error is not None
        connecting = error.phase == "connect"
        early = _first_timeout(request, [interaction.elapsed], 0.0, connecting=connecting)
        if early is not None:
            raise early[1]
        raise _noted(_rebuilt(error, request), note)
    timely = _timely(request, latest(interaction.elapsed, response.chunk_times))
    head = None if timely else _first_timeout(request, [interaction.elapsed], 0.0)
    if head is not None:
        raise head[1]
    chunks = response.chunks
    body_error: BaseException | None = None
    late = None
    if not timely:
        late = _first_timeout(request, _chunk_times(interaction), interaction.elapsed)
    if late is not None:
        chunks, body_error = chunks[: late[0]], late[1]
    elif error is not None:
        body_error = _noted(_rebuilt(error, request), note)
    elif not response.complete:
        body_error = exceptions.ClientPayloadError(INCOMPLETE_BODY)
    return _response(
        response.status,
        response.reason,
        response.headers,
        chunks,
        response.version,
        interaction.elapsed,
        body_error,
    )


def _first_timeout(
    request: Request, events: Sequence[float], start: float, *, connecting: bool = False
) -> tuple[int, BaseException] | None:
    """:func:`aiotape.client.simulation.first_timeout` (its module, which imports ``http``, is
    imported by the first replay a timeout may cut short or that fails: a clean replay from
    the compiled rows needs neither)."""
    from ..client.simulation import first_timeout

    return first_timeout(request, events, start, connecting=connecting)


def _response(
    status: int,
    reason: str,
    headers: Headers,
    chunks: Sequence[bytes],
    version: tuple[int, int],
    elapsed: float,
    body_error: BaseException | None,
) -> Response:
    # positional: Response(status, reason, headers, body, version, raw_headers, simulated_elapsed)
    return Response(
        status,
        reason,
        CIMultiDictProxy(CIMultiDict(headers)),
        ChunkedBody(chunks, body_error),
        version,
        None,  # raw_headers: the recorded headers, encoded if asked for
        elapsed,
    )


def _rebuilt(error: RecordedError, request: Request) -> BaseException:
    """The exception a recorded failure stands for (its module is imported by the first one)."""
    from .failures import rebuild

    return rebuild(error, request)


def _noted(error: BaseException, note: str | None) -> BaseException:
    """``error`` with ``note`` added (``__notes__``, which pytest shows under the error)."""
    if note is not None:
        notes = getattr(error, "__notes__", None)
        error.__notes__ = [*(notes or ()), note]  # type: ignore[attr-defined]  # add_note(): 3.11+
    return error
