"""Drift: how a live interaction differs from the recorded one it matched.

``compare(recorded, live)`` returns the changes, each of one kind:

- ``status``: the status code (or the outcome: a response vs a failure) changed; the rest of
  the exchange is then not compared, it answers a different question;
- ``header``: a response header changed, volatile ones (Date, request ids, Set-Cookie
  values...) left out; Set-Cookie still counts by cookie name;
- ``body-schema``: a JSON key added or removed, a type changed, or the media type changed;
- ``body-value``: the same shape with other values (non-JSON bodies: other bytes);
- ``ws``: a websocket frame differs in type, text or JSON shape, or is missing or extra;
- ``missing`` / ``extra``: recorded interactions never made live, live ones never recorded
  (see :mod:`aiotape.cassettes.verify`, which pairs interactions).

Bodies are compared decoded (gzip, deflate, br). Only ``body-value`` passes, unless strict.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ..client import exceptions
from ..client.decoders import make_decoder, pieces
from ..client.transport import WSMsgType
from .model import Headers, Interaction, RecordedResponse, RecordedWebSocket, WSFrame

__all__ = [
    "FAILING_KINDS",
    "KINDS",
    "VOLATILE_HEADERS",
    "Change",
    "Drift",
    "DriftKind",
    "VerifyIgnore",
    "compare",
    "json_changes",
]

DriftKind = Literal["status", "header", "body-schema", "body-value", "ws", "missing", "extra"]

KINDS: tuple[DriftKind, ...] = (
    "status",
    "header",
    "body-schema",
    "body-value",
    "ws",
    "missing",
    "extra",
)
"""Every kind of change, in the order reports list them."""

FAILING_KINDS: frozenset[DriftKind] = frozenset(KINDS) - {"body-value"}
"""Kinds that fail a test; ``body-value`` fails too only in strict mode."""

VOLATILE_HEADERS: tuple[str, ...] = (
    "date",
    "server",
    "expires",
    "age",
    "etag",
    "last-modified",
    "cf-ray",
    "via",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "sec-websocket-accept",
    "traceparent",
    "tracestate",
    "*request-id",
    "*requestid",
    "*trace-id",
    "*correlation-id",
)
"""Response headers (lower case, ``*`` globs) that change on every call and are not compared.

Content-Length and Transfer-Encoding are left to the body comparison; Sec-WebSocket-Accept
answers the random handshake key. Set-Cookie is compared by cookie names only.
"""

_BODY_TEXT_LIMIT = 4096


@dataclass(frozen=True, slots=True)
class Change:
    """One difference: its kind, where (JSON path, header name, ``status``...), both values.

    ``None`` stands for "absent" (a removed key or header, a missing frame) or JSON null.
    """

    kind: DriftKind
    path: str
    recorded: Any
    live: Any

    def to_json(self) -> dict[str, Any]:
        """``{"kind", "path", "recorded", "live"}``."""
        return {"kind": self.kind, "path": self.path, "recorded": self.recorded, "live": self.live}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Change:
        """The inverse of ``to_json``."""
        if data["kind"] not in KINDS:
            raise ValueError(f"unknown drift kind {data['kind']!r}")
        return cls(data["kind"], data["path"], data["recorded"], data["live"])


@dataclass(frozen=True, slots=True)
class Drift:
    """The changes found in one interaction of a cassette during one test.

    ``interaction`` is the recorded interaction's position in the cassette (None for an
    ``extra`` live one); ``request`` is ``"METHOD URL"``.
    """

    test: str
    cassette: str
    interaction: int | None
    request: str
    changes: tuple[Change, ...]

    def failing(self, *, strict: bool = False) -> tuple[Change, ...]:
        """The changes that fail the test (all of them when ``strict``)."""
        if strict:
            return self.changes
        return tuple(c for c in self.changes if c.kind in FAILING_KINDS)

    def to_json(self) -> dict[str, Any]:
        """The ``--drift-report`` entry for this interaction."""
        return {
            "test": self.test,
            "cassette": self.cassette,
            "interaction": self.interaction,
            "request": self.request,
            "changes": [change.to_json() for change in self.changes],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Drift:
        """The inverse of ``to_json`` (reads report and xdist part entries)."""
        return cls(
            test=data["test"],
            cassette=data["cassette"],
            interaction=data["interaction"],
            request=data["request"],
            changes=tuple(Change.from_json(c) for c in data["changes"]),
        )


def _path_pattern(glob: str) -> re.Pattern[str]:
    """``*`` matches anything; a matching path's descendants match too."""
    body = ".*".join(re.escape(part) for part in glob.split("*"))
    return re.compile(rf"{body}(?:[.\[].*)?", re.DOTALL)


@dataclass(frozen=True, slots=True)
class VerifyIgnore:
    """What else to leave out: header names and change paths (``*`` globs, case-insensitive
    for headers). A path pattern covers what lies below it: ``$.meta`` ignores ``$.meta.at``.
    """

    headers: tuple[str, ...] = ()
    json_paths: tuple[str, ...] = ()
    _header_globs: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _paths: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        globs = (*VOLATILE_HEADERS, *(h.lower() for h in self.headers))
        object.__setattr__(self, "_header_globs", globs)
        object.__setattr__(self, "_paths", tuple(_path_pattern(p) for p in self.json_paths))

    @classmethod
    def from_config(cls, config: Mapping[str, Iterable[str]] | None) -> VerifyIgnore:
        """From ``vcr_config["verify_ignore"]``: ``{"headers": [...], "json_paths": [...]}``."""
        if not config:
            return cls()
        unknown = set(config) - {"headers", "json_paths"}
        if unknown:
            raise ValueError(
                f"verify_ignore: unknown keys {sorted(unknown)} (known: headers, json_paths)"
            )
        for key, value in config.items():
            if isinstance(value, str):
                raise ValueError(f"verify_ignore[{key!r}] must be a list of strings, not a string")
        return cls(tuple(config.get("headers", ())), tuple(config.get("json_paths", ())))

    def ignores_header(self, name: str) -> bool:
        """Whether response header ``name`` is left out of the comparison."""
        lowered = name.lower()
        return any(fnmatch.fnmatchcase(lowered, glob) for glob in self._header_globs)

    def ignores_path(self, path: str) -> bool:
        """Whether a change at ``path`` is left out."""
        return any(pattern.fullmatch(path) for pattern in self._paths)


def compare(
    recorded: Interaction, live: Interaction, ignore: VerifyIgnore | None = None
) -> tuple[Change, ...]:
    """How ``live`` differs from ``recorded`` (an empty tuple: it does not)."""
    ignore = VerifyIgnore() if ignore is None else ignore
    outcome = _outcome_change(recorded, live)
    if outcome is not None:
        return (outcome,)
    changes: list[Change] = []
    rec, liv = recorded.response, live.response
    if rec is not None and liv is not None:
        changes.extend(_header_changes(rec.headers, liv.headers, ignore))
        if _body_known(recorded) and _body_known(live):
            changes.extend(_body_changes(rec, liv, ignore))
    if recorded.websocket is not None and live.websocket is not None:
        changes.extend(_ws_changes(recorded.websocket, live.websocket))
    return tuple(c for c in changes if not ignore.ignores_path(c.path))


def _outcome(interaction: Interaction) -> int | str | None:
    """The status code, or the failure's class name when there is no response."""
    if interaction.response is not None:
        return interaction.response.status
    return None if interaction.error is None else interaction.error.type


def _outcome_change(recorded: Interaction, live: Interaction) -> Change | None:
    rec, liv = _outcome(recorded), _outcome(live)
    if rec != liv:
        return Change("status", "status", rec, liv)
    if (recorded.websocket is None) != (live.websocket is None):
        return Change("ws", "ws", _ws_state(recorded), _ws_state(live))
    return None


def _ws_state(interaction: Interaction) -> str:
    return "websocket" if interaction.websocket is not None else "no websocket"


def _body_known(interaction: Interaction) -> bool:
    """Whether the whole body was recorded (not released early, not failed mid-body)."""
    response = interaction.response
    return response is not None and response.complete and interaction.error is None


# -- headers ---------------------------------------------------------------------------------
def _header_values(headers: Headers, ignore: VerifyIgnore) -> dict[str, tuple[str, list[str]]]:
    """Compared headers by lower-case name: (name as sent, values in order)."""
    values: dict[str, tuple[str, list[str]]] = {}
    for name, value in headers:
        lowered = name.lower()
        if lowered == "content-type" or ignore.ignores_header(name):
            continue
        if lowered == "set-cookie":
            value = value.split("=", 1)[0].strip()
        values.setdefault(lowered, (name, []))[1].append(value)
    cookies = values.get("set-cookie")
    if cookies is not None:
        cookies[1].sort()  # the order of Set-Cookie headers means nothing
    return values


def _shown(values: list[str] | None) -> str | list[str] | None:
    if values is None:
        return None
    return values[0] if len(values) == 1 else values


def _header_changes(recorded: Headers, live: Headers, ignore: VerifyIgnore) -> Iterator[Change]:
    rec, liv = _header_values(recorded, ignore), _header_values(live, ignore)
    for lowered in sorted(rec.keys() | liv.keys()):
        rec_name, rec_values = rec.get(lowered, ("", None))
        liv_name, liv_values = liv.get(lowered, ("", None))
        if rec_values != liv_values:
            yield Change("header", rec_name or liv_name, _shown(rec_values), _shown(liv_values))
    rec_charset, liv_charset = _charset(recorded), _charset(live)
    if rec_charset != liv_charset and not ignore.ignores_header("content-type"):
        yield Change("header", "Content-Type", rec_charset, liv_charset)


def _header(headers: Headers, name: str) -> str:
    return next((v for k, v in headers if k.lower() == name), "")


def _media_type(headers: Headers) -> str:
    return _header(headers, "content-type").split(";")[0].strip().lower()


def _charset(headers: Headers) -> str | None:
    for param in _header(headers, "content-type").split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip('"').lower()
    return None


# -- bodies ----------------------------------------------------------------------------------
def _decoded(response: RecordedResponse) -> bytes:
    """The body with its Content-Encodings undone (as sent, if it does not decode)."""
    body = response.body
    codings = [c for c in _header(response.headers, "content-encoding").split(",") if c.strip()]
    for coding in reversed(codings):
        decoder = make_decoder(coding)
        if decoder is None:
            return response.body
        try:
            body = b"".join(pieces(decoder, body)) + decoder.flush()
        except exceptions.ClientPayloadError:
            return response.body
    return body


def _is_json_type(media_type: str) -> bool:
    return media_type == "application/json" or media_type.endswith("+json")


_NOT_JSON = object()


def _parse_json(data: bytes | str) -> Any:
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return _NOT_JSON


def _body_value(body: bytes) -> str:
    """A body as shown in a report: its text (cut to a length), or a digest of binary data."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return f"<{len(body)} bytes, sha256 {hashlib.sha256(body).hexdigest()[:16]}>"
    if len(text) > _BODY_TEXT_LIMIT:
        return f"{text[:_BODY_TEXT_LIMIT]}... ({len(text) - _BODY_TEXT_LIMIT} more characters)"
    return text


def _body_changes(
    recorded: RecordedResponse, live: RecordedResponse, ignore: VerifyIgnore
) -> Iterator[Change]:
    rec_type, liv_type = _media_type(recorded.headers), _media_type(live.headers)
    if rec_type != liv_type and not ignore.ignores_header("content-type"):
        yield Change("body-schema", "Content-Type", rec_type or None, liv_type or None)
        return
    rec_body, liv_body = _decoded(recorded), _decoded(live)
    if rec_body == liv_body:
        return
    if _is_json_type(rec_type):
        rec_json, liv_json = _parse_json(rec_body), _parse_json(liv_body)
        if rec_json is not _NOT_JSON and liv_json is not _NOT_JSON:
            yield from json_changes(rec_json, liv_json, "$", schema_kind="body-schema")
            return
        if (rec_json is _NOT_JSON) != (liv_json is _NOT_JSON):
            yield Change("body-schema", "$", _body_value(rec_body), _body_value(liv_body))
            return
    yield Change("body-value", "body", _body_value(rec_body), _body_value(liv_body))


# -- JSON shapes -----------------------------------------------------------------------------
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _member(path: str, key: str) -> str:
    if _IDENTIFIER.fullmatch(key):
        return f"{path}.{key}"
    return f"{path}[{json.dumps(key)}]"


def json_changes(
    recorded: Any, live: Any, path: str, *, schema_kind: DriftKind = "body-schema"
) -> Iterator[Change]:
    """Shape changes (as ``schema_kind``) and value changes (``body-value``) between two
    parsed JSON documents, with JSON paths under ``path``.

    null fits any type (a nullable field that holds a value keeps its schema); numbers are
    one type; list items are compared pairwise, and a different length is a value change.
    """
    rec_type, liv_type = _json_type(recorded), _json_type(live)
    if "null" in (rec_type, liv_type) or rec_type != liv_type:
        kind: DriftKind = "body-value" if "null" in (rec_type, liv_type) else schema_kind
        if recorded != live:
            yield Change(kind, path, recorded, live)
        return
    if rec_type == "object":
        for key, value in recorded.items():
            if key in live:
                yield from json_changes(
                    value, live[key], _member(path, key), schema_kind=schema_kind
                )
            else:
                yield Change(schema_kind, _member(path, key), value, None)
        for key, value in live.items():
            if key not in recorded:
                yield Change(schema_kind, _member(path, key), None, value)
    elif rec_type == "array":
        for index, (rec_item, liv_item) in enumerate(zip(recorded, live, strict=False)):
            yield from json_changes(rec_item, liv_item, f"{path}[{index}]", schema_kind=schema_kind)
        if len(recorded) != len(live):
            yield Change("body-value", path, recorded, live)
    elif recorded != live:
        yield Change("body-value", path, recorded, live)


# -- websockets ------------------------------------------------------------------------------
_CONTENT_FRAMES = frozenset({WSMsgType.TEXT, WSMsgType.BINARY, WSMsgType.CLOSE})


def _frame_summary(frame: WSFrame) -> str:
    if frame.type is WSMsgType.TEXT:
        return f"text {frame.data!r}"
    if frame.type is WSMsgType.CLOSE:
        code = frame.data if isinstance(frame.data, int) else None
        return f"close {code}" + (f" {frame.extra!r}" if frame.extra else "")
    data = frame.data if isinstance(frame.data, bytes) else b""
    return f"binary {_body_value(data)!r}"


def _frame_changes(path: str, recorded: WSFrame, live: WSFrame) -> Iterator[Change]:
    if recorded.type is WSMsgType.TEXT and live.type is WSMsgType.TEXT:
        rec_text, liv_text = str(recorded.data), str(live.data)
        if rec_text == liv_text:
            return
        rec_json, liv_json = _container(rec_text), _container(liv_text)
        if rec_json is not _NOT_JSON and liv_json is not _NOT_JSON:
            yield from json_changes(rec_json, liv_json, path, schema_kind="ws")
        else:
            yield Change("ws", path, rec_text, liv_text)
    elif (recorded.type, recorded.data, recorded.extra) != (live.type, live.data, live.extra):
        yield Change("ws", path, _frame_summary(recorded), _frame_summary(live))


def _container(text: str) -> Any:
    """A text frame's JSON object or array (``_NOT_JSON`` for other text)."""
    if text.lstrip()[:1] not in ("{", "["):
        return _NOT_JSON
    return _parse_json(text)


def _content(websocket: RecordedWebSocket, direction: str) -> list[WSFrame]:
    return [f for f in websocket.frames if f.direction == direction and f.type in _CONTENT_FRAMES]


def _ws_changes(recorded: RecordedWebSocket, live: RecordedWebSocket) -> Iterator[Change]:
    """Frames compared in order per direction (how the two directions interleave is timing);
    pings and pongs are keep-alive traffic and left out.
    """
    if recorded.protocol != live.protocol:
        yield Change("ws", "ws.protocol", recorded.protocol, live.protocol)
    for direction in ("send", "recv"):
        rec, liv = _content(recorded, direction), _content(live, direction)
        for index, (rec_frame, liv_frame) in enumerate(zip(rec, liv, strict=False)):
            yield from _frame_changes(f"ws.{direction}[{index}]", rec_frame, liv_frame)
        for index in range(len(liv), len(rec)):
            yield Change("ws", f"ws.{direction}[{index}]", _frame_summary(rec[index]), None)
        for index in range(len(rec), len(liv)):
            yield Change("ws", f"ws.{direction}[{index}]", None, _frame_summary(liv[index]))
