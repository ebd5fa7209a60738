"""The text of a cassette's errors: which request failed, where the cassette is, what was
recorded closest to it, and the command that records it again.

Imported by the first error a cassette raises (a clean replay raises none).
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable
from typing import TYPE_CHECKING

from .errors import UnmatchedRequestError, WebSocketMismatchError

if TYPE_CHECKING:
    from .matching import Closest
    from .model import RecordedRequest

__all__ = ["CassetteLabel", "Complaints", "unmatched_message"]


class CassetteLabel:
    """What the messages say about a cassette: its file, mode, matchers and test.

    ``path`` is the file as given (a str or a path; None: a cassette kept in memory).
    ``shared``: other tests use this file too, so never suggest rewriting it from one test.
    """

    __slots__ = ("existed", "matching", "path", "record_mode", "shared", "test_id")

    def __init__(
        self,
        path: str | os.PathLike[str] | None,
        record_mode: str,
        matching: tuple[str, ...],
        existed: bool,
        test_id: str | None,
        shared: bool = False,
    ) -> None:
        self.path = path
        self.record_mode = record_mode
        self.matching = matching
        self.existed = existed
        self.test_id = test_id
        self.shared = shared

    @property
    def where(self) -> str:
        """The cassette file, for humans."""
        return os.fspath(self.path) if self.path is not None else "<in-memory cassette>"

    def rerecord_hint(self, *, rewrite_only: bool = False) -> str:
        """The command (or call) that records the missing interaction."""
        if self.test_id is None:
            if rewrite_only:
                return "use_cassette(..., record_mode='rewrite')"
            target = repr(os.fspath(self.path)) if self.path else "None"
            if self.existed:
                return (
                    f"use_cassette({target}, record_mode='new_episodes') to add it, "
                    "or record_mode='rewrite' to record the cassette afresh"
                )
            return f"use_cassette({target}, record_mode='once')"
        test = shlex.quote(self.test_id)
        if self.shared:
            first = "remove its interaction from the cassette, then " if rewrite_only else ""
            return (
                f"{first}pytest --record-mode=new_episodes {test}\n"
                "    (the cassette is shared: --record-mode=rewrite would drop the other tests' "
                "interactions;\n    give the test its own cassette to re-record it alone)"
            )
        if rewrite_only:
            return f"pytest --record-mode=rewrite {test}"
        if self.existed:
            return (
                f"pytest --record-mode=new_episodes {test}  to add it, or\n"
                f"    pytest --record-mode=rewrite {test}  to record the cassette afresh"
            )
        return f"pytest --record-mode=once {test}"


def unmatched_message(
    label: CassetteLabel, live: RecordedRequest, closest: Closest | None, why: str = ""
) -> str:
    """Names the request, the cassette, the closest recorded interaction and the fix."""
    lines = [
        f"No recorded interaction matches {live.method} {live.uri}" + (f": {why}" if why else ""),
        f"  cassette: {label.where} (record mode '{label.record_mode}', "
        f"matching on {', '.join(label.matching) or 'custom matchers'})",
    ]
    if closest is None:
        state = "holds no interactions" if label.existed else "does not exist yet"
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
    lines.append(f"  to record it, run:\n    {label.rerecord_hint()}")
    return "\n".join(lines)


class Complaints:
    """Builds the errors a cassette raises for traffic it cannot answer, and keeps them all."""

    __slots__ = ("_closest", "errors", "label", "sources")

    def __init__(
        self,
        label: CassetteLabel,
        closest: Callable[[RecordedRequest], Closest | None],
        sources: tuple[tuple[str | os.PathLike[str] | None, int], ...] = (),
        errors: list[UnmatchedRequestError | WebSocketMismatchError] | None = None,
    ) -> None:
        self.label = label
        self._closest = closest
        self.sources = sources
        """(file, interaction count) of each file replayed, in order."""
        self.errors = [] if errors is None else errors
        """Every error built so far (``errors``: the list to keep them in)."""

    def replayed_failure(self, position: int) -> str:
        """The note on a recorded failure raised again: its file and interaction, the fix."""
        where, index = self.label.where, position
        for path, count in self.sources:
            if index < count:
                where = os.fspath(path) if path is not None else where
                break
            index -= count
        return (
            f"aiotape: replayed from cassette {where}, interaction #{index}: this failure was "
            "recorded, not raised by the service now. If the service was down while "
            f"recording, record it again:\n    {self.label.rerecord_hint(rewrite_only=True)}"
        )

    def unmatched(self, live: RecordedRequest, why: str = "") -> UnmatchedRequestError:
        """The error for a request nothing recorded answers (``why``: a further reason)."""
        message = unmatched_message(self.label, live, self._closest(live), why)
        error = UnmatchedRequestError(message)
        self.errors.append(error)
        return error

    def ws_mismatch(
        self, live: RecordedRequest, sent: str, expected: str
    ) -> WebSocketMismatchError:
        """The error for a websocket message the recording does not expect next."""
        why = (
            "\n  new_episodes adds new websocket sessions but cannot extend a recorded one: "
            "a session is one interaction, recorded whole"
            if self.label.record_mode == "new_episodes"
            else ""
        )
        error = WebSocketMismatchError(
            f"websocket {live.uri}: the client sent {sent}, but the recording expects "
            f"{expected} next\n  cassette: {self.label.where}{why}\n  to record it again, run:"
            f"\n    {self.label.rerecord_hint(rewrite_only=True)}"
        )
        self.errors.append(error)
        return error
