"""Comparing recorded interactions while ignoring what changes on every recording.

Volatile headers (Date, Server...) and the expiry attributes of Set-Cookie are left out,
timings and chunk boundaries are ignored, and bodies are compared decoded.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

from ..cassettes.model import Headers, Interaction, RecordedWebSocket
from .render import body_lines, decode_body

__all__ = [
    "VOLATILE_HEADERS",
    "Change",
    "authority",
    "differences",
    "fingerprint",
    "pair_key",
]

VOLATILE_HEADERS = frozenset(
    {
        "date",
        "server",
        "age",
        "expires",
        "last-modified",
        "etag",
        "x-request-id",
        "via",
        "sec-websocket-key",
        "sec-websocket-accept",
    }
)
"""Headers (lower case) whose values differ from one recording to the next."""

_COOKIE_EXPIRY = re.compile(r";\s*(?:expires|max-age)=[^;]*", re.IGNORECASE)
_BODY_DIFF_LINES = 40


@dataclass(frozen=True, slots=True)
class Change:
    """One difference between two recordings of an interaction: what, and how (lines)."""

    what: str
    lines: tuple[str, ...] = ()


def _normalized(headers: Headers, ignore: frozenset[str]) -> dict[str, tuple[str, ...]]:
    grouped: dict[str, list[str]] = {}
    for name, value in headers:
        key = name.lower()
        if key in ignore:
            continue
        if key == "set-cookie":
            value = _COOKIE_EXPIRY.sub("", value)
        grouped.setdefault(key, []).append(value)
    return {name: tuple(values) for name, values in grouped.items()}


def _frames(websocket: RecordedWebSocket | None) -> tuple[Hashable, ...]:
    if websocket is None:
        return ()
    frames = tuple((f.direction, f.type, f.data, f.extra) for f in websocket.frames)
    return (websocket.protocol, frames)


def pair_key(interaction: Interaction) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    """What pairs an interaction with its counterpart in another recording: method, path, query.

    Host and port are left out so recordings against servers on different ports still pair.
    """
    url = interaction.request.url
    return (interaction.request.method, url.path, tuple(sorted(url.query.items())))


def fingerprint(interaction: Interaction, ignore: frozenset[str] = VOLATILE_HEADERS) -> Hashable:
    """Equal for interactions that are the same request with the same answer."""
    request, response, error = interaction.request, interaction.response, interaction.error
    answer: Hashable = None
    if response is not None:
        answer = (
            response.status,
            tuple(sorted(_normalized(response.headers, ignore).items())),
            decode_body(response.headers, response.body).data,
        )
    return (
        request.method,
        request.uri,
        tuple(sorted(_normalized(request.headers, ignore).items())),
        request.body,
        answer,
        None if error is None else (error.type, error.phase, error.message),
        _frames(interaction.websocket),
    )


def _header_changes(
    side: str, old: Headers, new: Headers, ignore: frozenset[str]
) -> Iterable[Change]:
    before, after = _normalized(old, ignore), _normalized(new, ignore)
    for name in sorted(before.keys() | after.keys()):
        was, now = before.get(name), after.get(name)
        if was == now:
            continue
        if was is None:
            yield Change(f"{side} header {name} added: {', '.join(now or ())}")
        elif now is None:
            yield Change(f"{side} header {name} removed (was {', '.join(was)})")
        else:
            yield Change(f"{side} header {name}: {', '.join(was)} -> {', '.join(now)}")


def _text_diff(what: str, old: list[str], new: list[str]) -> Change:
    lines = list(difflib.unified_diff(old, new, "A", "B", lineterm="", n=1))[2:]
    if len(lines) > _BODY_DIFF_LINES:
        lines = [*lines[:_BODY_DIFF_LINES], f"... ({len(lines) - _BODY_DIFF_LINES} more lines)"]
    return Change(what, tuple(lines))


def _body_change(
    side: str, old: tuple[Headers, bytes], new: tuple[Headers, bytes]
) -> Change | None:
    if decode_body(*old).data == decode_body(*new).data:
        return None
    return _text_diff(f"{side} body", body_lines(*old, limit=0), body_lines(*new, limit=0))


def _ws_lines(websocket: RecordedWebSocket | None) -> list[str]:
    if websocket is None:
        return ["(no websocket session)"]
    return [
        f"{f.direction} {f.type.name.lower()} {f.data!r} {f.extra or ''}".rstrip()
        for f in websocket.frames
    ]


def authority(interaction: Interaction) -> str:
    """The host and port the request went to: ``127.0.0.1:8080``."""
    url = interaction.request.url
    return f"{url.host}:{url.port}"


def _target(interaction: Interaction, with_authority: bool) -> Hashable:
    url = interaction.request.url
    where = (url.host, url.port) if with_authority else ()
    return (url.scheme, *where, url.path, tuple(sorted(url.query.items())))


def differences(
    old: Interaction,
    new: Interaction,
    ignore: frozenset[str] = VOLATILE_HEADERS,
    *,
    compare_authority: bool = True,
) -> list[Change]:
    """How ``new`` differs from ``old``, ignoring ``ignore`` headers, timings and encodings.

    Without ``compare_authority``, host, port and the Host header are not compared.
    """
    changes: list[Change] = []
    if not compare_authority:
        ignore = ignore | {"host"}
    if _target(old, compare_authority) != _target(new, compare_authority):
        changes.append(Change(f"uri: {old.request.uri} -> {new.request.uri}"))
    changes += _header_changes("request", old.request.headers, new.request.headers, ignore)
    request_body = _body_change(
        "request",
        (old.request.headers, old.request.body),
        (new.request.headers, new.request.body),
    )
    if request_body is not None:
        changes.append(request_body)
    was, now = old.response, new.response
    if was is None or now is None:
        if (was is None) != (now is None):
            changes.append(Change("response: " + ("recorded" if was is None else "gone")))
    else:
        if (was.status, was.reason) != (now.status, now.reason):
            changes.append(
                Change(f"status: {was.status} {was.reason} -> {now.status} {now.reason}")
            )
        changes += _header_changes("response", was.headers, now.headers, ignore)
        response_body = _body_change("response", (was.headers, was.body), (now.headers, now.body))
        if response_body is not None:
            changes.append(response_body)
    old_error, new_error = old.error, new.error
    if (old_error and (old_error.type, old_error.phase)) != (
        new_error and (new_error.type, new_error.phase)
    ):
        describe = [
            "none" if e is None else f"{e.type} ({e.phase})" for e in (old_error, new_error)
        ]
        changes.append(Change(f"error: {describe[0]} -> {describe[1]}"))
    if _frames(old.websocket) != _frames(new.websocket):
        changes.append(
            _text_diff("websocket messages", _ws_lines(old.websocket), _ws_lines(new.websocket))
        )
    return changes
