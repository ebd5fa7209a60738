"""vcrpy-compatible YAML: ``{version: 1, interactions: [{request, response}, ...]}``.

Plain HTTP interactions are exactly vcrpy's shape (so vcrpy loads aiotape cassettes and
aiotape replays vcrpy's). aiotape adds keys vcrpy ignores: ``response.chunks`` (chunk sizes as
they arrived), ``response.chunk_times``, ``elapsed``, ``error`` and ``websocket``. UTF-8 bodies
are written as readable strings, anything else as ``!!binary``. Only the safe loader is used.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, cast

import yaml

from ..client.decoders import make_decoder, pieces
from ..client.exceptions import ClientPayloadError
from ..client.transport import WSMsgType
from .errors import CassetteFormatError
from .model import (
    Headers,
    Interaction,
    Phase,
    RecordedError,
    RecordedRequest,
    RecordedResponse,
    RecordedWebSocket,
    WSFrame,
)

__all__ = ["FORMAT_VERSION", "dumps", "from_dict", "loads", "to_dict"]

FORMAT_VERSION = 1
_PHASES: frozenset[str] = frozenset({"connect", "head", "body"})
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BaseDumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Flow(list[Any]):
    """A list written in flow style (``[1, 2, 3]``): chunk sizes and times stay one line."""


class _Dumper(_BaseDumper):  # type: ignore[misc, valid-type]
    """Safe dumper that writes ``_Flow`` lists inline."""


def _represent_flow(dumper: yaml.SafeDumper, data: _Flow) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)


_Dumper.add_representer(_Flow, _represent_flow)


# -- writing -------------------------------------------------------------------------------


def _text_or_bytes(data: bytes) -> str | bytes:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data


def _headers_to_dict(headers: Headers) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    by_lower: dict[str, list[str]] = {}
    for name, value in headers:
        values = by_lower.get(name.lower())
        if values is None:  # str(): multidict's istr names are a str subclass yaml refuses
            values = by_lower[name.lower()] = grouped[str(name)] = []
        values.append(str(value))
    return grouped


def _times(times: Sequence[float]) -> _Flow:
    return _Flow(round(t, 6) for t in times)


def _request_to_dict(request: RecordedRequest) -> dict[str, Any]:
    return {
        "method": request.method,
        "uri": request.uri,
        "headers": _headers_to_dict(request.headers),
        "body": _text_or_bytes(request.body) if request.body else None,
    }


def _response_to_dict(response: RecordedResponse) -> dict[str, Any]:
    data: dict[str, Any] = {
        "status": {"code": response.status, "message": response.reason},
        "headers": _headers_to_dict(response.headers),
        "body": {"string": _text_or_bytes(response.body)},
        "chunks": _Flow(len(chunk) for chunk in response.chunks),
    }
    if response.chunk_times:
        data["chunk_times"] = _times(response.chunk_times)
    if response.version != (1, 1):
        data["http_version"] = "{}.{}".format(*response.version)
    if not response.complete:
        data["complete"] = False
    return data


def _error_to_dict(error: RecordedError) -> dict[str, Any]:
    data: dict[str, Any] = {"type": error.type, "message": error.message, "phase": error.phase}
    if error.errno is not None:
        data["errno"] = error.errno
    if error.strerror is not None:
        data["strerror"] = error.strerror
    if error.status is not None:
        data["status"] = error.status
    return data


def _frame_to_dict(frame: WSFrame) -> dict[str, Any]:
    data: dict[str, Any] = {"dir": frame.direction, "type": frame.type.name.lower()}
    if frame.type is WSMsgType.CLOSE:
        data["code"] = frame.data
        data["reason"] = frame.extra or ""
    else:
        data["data"] = frame.data
    data["at"] = round(frame.at, 6)
    return data


def to_dict(interaction: Interaction) -> dict[str, Any]:
    """One interaction as vcrpy's mapping plus aiotape's extra keys."""
    data: dict[str, Any] = {"request": _request_to_dict(interaction.request)}
    if interaction.response is not None:
        data["response"] = _response_to_dict(interaction.response)
    if interaction.error is not None:
        data["error"] = _error_to_dict(interaction.error)
    data["elapsed"] = round(interaction.elapsed, 6)
    if interaction.websocket is not None:
        data["websocket"] = {
            "protocol": interaction.websocket.protocol,
            "messages": [_frame_to_dict(f) for f in interaction.websocket.frames],
        }
    return data


def dumps(interactions: Iterable[Interaction]) -> str:
    """The cassette file text for ``interactions``."""
    document = {"interactions": [to_dict(i) for i in interactions], "version": FORMAT_VERSION}
    text: str = yaml.dump(
        document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False
    )
    return text


# -- reading -------------------------------------------------------------------------------


def _as_bytes(value: Any) -> bytes:
    if value is None:
        return b""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, list) and all(isinstance(v, (str, bytes)) for v in value):
        return b"".join(_as_bytes(v) for v in value)  # vcrpy's iterator bodies: the chunks
    if isinstance(value, (dict, list)):  # vcrpy's aiohttp stubs store ``json=`` as is
        return json.dumps(value).encode()
    raise CassetteFormatError(f"unsupported body of type {type(value).__name__}")


def _headers_from(value: Any) -> Headers:
    if not value:
        return ()
    if not isinstance(value, Mapping):
        raise CassetteFormatError("headers must be a mapping of name to list of values")
    pairs: list[tuple[str, str]] = []
    for name, values in value.items():
        key = str(name)
        if isinstance(values, list):
            pairs.extend((key, v if v.__class__ is str else str(v)) for v in values)
        else:
            pairs.append((key, str(values)))
    return tuple(pairs)


def _decodes(body: bytes, coding: str) -> bool:
    """Whether ``body`` starts as valid ``coding`` data (identity and unknown codings pass)."""
    decoder = make_decoder(coding)
    if decoder is None:
        return True
    try:
        next(pieces(decoder, body), None)
    except ClientPayloadError:
        return False
    return True


def _drop_stale_encoding(headers: Headers, body: bytes) -> Headers:
    """vcrpy's aiohttp stubs store the *decoded* body next to the original Content-Encoding.

    For responses without aiotape's ``chunks`` key, drop Content-Encoding (and the now wrong
    Content-Length) when the body does not decode with it, so the session does not try to.
    """
    codings = [
        c.strip().lower()
        for name, value in headers
        if name.lower() == "content-encoding"
        for c in value.split(",")
    ]
    if not body or not codings or all(_decodes(body, c) for c in codings):
        return headers
    dropped = ("content-encoding", "content-length")
    return tuple((n, v) for n, v in headers if n.lower() not in dropped)


def _split(body: bytes, sizes: Sequence[int]) -> tuple[bytes, ...]:
    if sum(sizes) != len(body) or any(size <= 0 for size in sizes):
        raise CassetteFormatError(
            f"response.chunks {list(sizes)} do not add up to the body's {len(body)} bytes"
        )
    chunks: list[bytes] = []
    start = 0
    for size in sizes:
        chunks.append(body[start : start + size])
        start += size
    return tuple(chunks)


def _response_from(data: Mapping[str, Any]) -> RecordedResponse:
    status = data["status"]
    body_field = data.get("body") or {}
    body = _as_bytes(body_field.get("string") if isinstance(body_field, Mapping) else body_field)
    headers = _headers_from(data.get("headers"))
    sizes = data.get("chunks")
    if sizes is None:
        headers = _drop_stale_encoding(headers, body)
        chunks: tuple[bytes, ...] = (body,) if body else ()
    else:
        chunks = _split(body, sizes)
    times = tuple(float(t) for t in data.get("chunk_times") or ())
    if times and len(times) != len(chunks):
        raise CassetteFormatError("response.chunk_times and response.chunks differ in length")
    major, _, minor = str(data.get("http_version", "1.1")).partition(".")
    return RecordedResponse(
        status=int(status["code"]),
        reason=str(status.get("message") or ""),
        headers=headers,
        chunks=chunks,
        chunk_times=times,
        version=(int(major), int(minor or 0)),
        complete=bool(data.get("complete", True)),
    )


def _error_from(data: Mapping[str, Any]) -> RecordedError:
    phase = str(data.get("phase", "head"))
    if phase not in _PHASES:
        raise CassetteFormatError(f"error.phase must be one of {sorted(_PHASES)}, not {phase!r}")
    errno = data.get("errno")
    strerror = data.get("strerror")
    status = data.get("status")
    return RecordedError(
        type=str(data["type"]),
        message=str(data.get("message") or ""),
        phase=cast(Phase, phase),
        errno=None if errno is None else int(errno),
        strerror=None if strerror is None else str(strerror),
        status=None if status is None else int(status),
    )


def _frame_from(data: Mapping[str, Any]) -> WSFrame:
    direction = data["dir"]
    if direction not in ("send", "recv"):
        raise CassetteFormatError(f"websocket message dir must be send or recv, not {direction!r}")
    kind = WSMsgType[str(data["type"]).upper()]
    at = float(data.get("at", 0.0))
    if kind is WSMsgType.CLOSE:
        return WSFrame(direction, kind, int(data.get("code", 1000)), str(data.get("reason")), at)
    payload = data.get("data")
    payload = str(payload) if kind is WSMsgType.TEXT else _as_bytes(payload)
    return WSFrame(direction, kind, payload, None, at)


def from_dict(data: Mapping[str, Any]) -> Interaction:
    """One interaction from its mapping (vcrpy's or aiotape's)."""
    req = data["request"]
    request = RecordedRequest(
        method=str(req["method"]).upper(),
        uri=str(req["uri"]),
        headers=_headers_from(req.get("headers")),
        body=_as_bytes(req.get("body")),
    )
    response = data.get("response")
    error = data.get("error")
    if response is None and error is None:
        raise CassetteFormatError("an interaction needs a response or an error")
    ws = data.get("websocket")
    return Interaction(
        request=request,
        response=None if response is None else _response_from(response),
        error=None if error is None else _error_from(error),
        elapsed=float(data.get("elapsed") or 0.0),
        websocket=None
        if ws is None
        else RecordedWebSocket(
            protocol=ws.get("protocol"),
            frames=tuple(_frame_from(f) for f in ws.get("messages") or ()),
        ),
    )


_MAYBE_TYPED = frozenset("0123456789-+.~nNtTfFyYoO=<:")
"""First characters of plain scalars that may resolve to something other than a string."""

_resolve: Callable[[type[yaml.Node], str, tuple[bool, bool]], str] = (
    yaml.resolver.Resolver().resolve
)
_constructor = yaml.constructor.SafeConstructor()


_DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?")
_KNOWN_PLAIN: dict[str, Any] = {"null": None, "~": None, "": None, "true": True, "false": False}


def _typed_scalar(event: yaml.ScalarEvent) -> Any:
    value = event.value
    if event.tag is None:  # the common cases first: status codes, timings, null bodies
        if value in _KNOWN_PLAIN:
            return _KNOWN_PLAIN[value]
        number = _DECIMAL.fullmatch(value)
        if number is not None:
            return float(value) if number.group(1) else int(value)
    tag = event.tag
    if tag is None or tag == "!":
        tag = _resolve(yaml.ScalarNode, event.value, (True, False))
    if tag == "tag:yaml.org,2002:str":
        return event.value
    construct = _constructor.yaml_constructors.get(tag)
    if construct is None:
        raise CassetteFormatError(f"tag {tag!r} is not allowed in a cassette")
    return construct(_constructor, yaml.ScalarNode(tag, event.value))


def _safe_load(text: str) -> Any:
    """``yaml.safe_load`` built straight from libyaml's events: same result, several times faster.

    PyYAML's loader resolves and constructs every node in Python through generic machinery;
    a cassette is hundreds of thousands of plain strings, so they are taken as they come and
    only scalars that may be typed (numbers, null, booleans, ``!!binary``...) go through
    SafeConstructor. Tags on collections (``!!python/object``...) are refused.
    """
    parser = _Loader(text)
    try:
        events = iter(parser.get_event, None)  # libyaml directly: no per-event generator
        return _build(events, anchors={})
    finally:
        parser.dispose()


def _build(events: Iterator[yaml.Event], anchors: dict[str, Any]) -> Any:
    stack: list[tuple[list[Any], bool, str | None]] = []
    current: list[Any] = []
    root = current
    for event in events:
        value: Any
        if isinstance(event, yaml.ScalarEvent):
            value = event.value
            if event.tag is not None or (
                event.implicit[0] and (not value or value[0] in _MAYBE_TYPED)
            ):
                value = _typed_scalar(event)
            if event.anchor:
                anchors[event.anchor] = value
            current.append(value)
        elif isinstance(event, yaml.CollectionStartEvent):
            if event.tag is not None and not event.implicit:
                raise CassetteFormatError(f"tag {event.tag!r} is not allowed in a cassette")
            stack.append((current, isinstance(event, yaml.MappingStartEvent), event.anchor))
            current = []
        elif isinstance(event, yaml.CollectionEndEvent):
            parent, is_mapping, anchor = stack.pop()
            items = iter(current)
            value = dict(zip(items, items, strict=False)) if is_mapping else current
            if anchor:
                anchors[anchor] = value
            current = parent
            current.append(value)
        elif isinstance(event, yaml.AliasEvent):
            current.append(anchors[str(event.anchor)])
        elif isinstance(event, yaml.StreamEndEvent):
            break
    return root[0] if root else None


def loads(text: str, *, source: str = "<string>") -> list[Interaction]:
    """Interactions of a cassette's text; ``source`` names it in errors."""
    try:
        document = _safe_load(text)
    except (yaml.YAMLError, KeyError, TypeError) as exc:
        raise CassetteFormatError(f"{source}: not valid cassette YAML: {exc}") from exc
    except CassetteFormatError as exc:
        raise CassetteFormatError(f"{source}: {exc}") from exc
    if document is None:
        return []
    if not isinstance(document, Mapping) or not isinstance(document.get("interactions", []), list):
        raise CassetteFormatError(f"{source}: expected a mapping with an 'interactions' list")
    version = document.get("version", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        raise CassetteFormatError(f"{source}: unsupported cassette version {version!r}")
    interactions: list[Interaction] = []
    for index, item in enumerate(document.get("interactions") or ()):
        try:
            interactions.append(from_dict(item))
        except CassetteFormatError as exc:
            raise CassetteFormatError(f"{source}: interaction #{index}: {exc}") from exc
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise CassetteFormatError(
                f"{source}: interaction #{index} is malformed ({type(exc).__name__}: {exc})"
            ) from exc
    return interactions
