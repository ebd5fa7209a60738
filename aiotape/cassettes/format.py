"""vcrpy-compatible YAML: ``{version: 1, interactions: [{request, response}, ...]}``.

Plain HTTP interactions are exactly vcrpy's shape (so vcrpy loads aiotape cassettes and
aiotape replays vcrpy's). aiotape adds keys vcrpy ignores: ``response.chunks`` (chunk sizes as
they arrived), ``response.chunk_times``, ``elapsed``, ``error`` (a refused websocket handshake's
``error.headers`` in vcrpy's header layout) and ``websocket``. UTF-8 bodies
are written as readable strings, anything else as ``!!binary``. Only the safe loader is used.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

import yaml

from ..client import exceptions
from ..client.decoders import make_decoder, pieces
from ..client.simulation import reason_phrase
from .errors import CassetteFormatError
from .format_write import FORMAT_VERSION, dumps, to_dict
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
from .safe_yaml import gc_paused
from .safe_yaml import safe_load as _safe_load

if TYPE_CHECKING:
    from ..client.transport import WSMsgType

__all__ = ["FORMAT_VERSION", "dumps", "from_dict", "loads", "to_dict"]

_PHASES: frozenset[str] = frozenset({"connect", "head", "body"})
_HINT = " (fix it, or record it again with --record-mode=rewrite)"


# -- reading -------------------------------------------------------------------------------


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _mapping(value: Any, field: str) -> Mapping[str, Any]:
    if isinstance(value, Mapping):
        return value
    raise CassetteFormatError(f"{field} must be a mapping, not {_shown(value)}")


def _required(data: Mapping[str, Any], key: str, field: str) -> Any:
    value = data.get(key)
    if value is None:
        raise CassetteFormatError(f"{field}.{key} is missing")
    return value


def _number(value: Any, field: str, kind: type[int] | type[float] = int) -> Any:
    try:
        return kind(value)
    except (TypeError, ValueError, OverflowError):
        raise CassetteFormatError(f"{field} must be a number, not {_shown(value)}") from None


def _as_bytes(value: Any, field: str) -> bytes:
    if value is None:
        return b""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, list) and all(isinstance(v, (str, bytes)) for v in value):
        return b"".join(_as_bytes(v, field) for v in value)  # vcrpy's iterator bodies: chunks
    if isinstance(value, (dict, list)):  # vcrpy's aiohttp stubs store ``json=`` as is
        return json.dumps(value).encode()
    raise CassetteFormatError(f"{field} has an unsupported type ({type(value).__name__})")


def _headers_from(value: Any, field: str) -> Headers:
    if not value:
        return ()
    if type(value) is not dict and not isinstance(value, Mapping):
        raise CassetteFormatError(f"{field} must be a mapping of name to list of values")
    pairs: list[tuple[str, str]] = []
    append = pairs.append
    for name, values in value.items():
        key = name if type(name) is str else str(name)
        if type(values) is list:
            for text in values:
                append((key, text if type(text) is str else _text(text)))
        else:
            append((key, _text(values)))
    return tuple(pairs)


def _text(value: Any) -> str:
    """A header value or reason as text: bytes (``!!binary``: not UTF-8) as they were read."""
    if type(value) is bytes:
        return value.decode("utf-8", "surrogateescape")
    return str(value)


def _version(value: Any) -> tuple[int, int]:
    """``1.1``, ``"1.1"`` or httpx's ``"HTTP/1.1"`` / ``"HTTP/2"``."""
    text = str(value).upper().removeprefix("HTTP/")
    major, _, minor = text.partition(".")
    if not major.isdigit() or not (minor or "0").isdigit():
        raise CassetteFormatError(f"response.http_version must be like 1.1, not {_shown(value)}")
    return int(major), int(minor or 0)


def _decodes(body: bytes, coding: str) -> bool:
    """Whether ``body`` starts as valid ``coding`` data (identity and unknown codings pass)."""
    decoder = make_decoder(coding)
    if decoder is None:
        return True
    try:
        next(pieces(decoder, body), None)
    except exceptions.ClientPayloadError:
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


def _status_and_body(data: Mapping[str, Any]) -> tuple[int, str, bytes]:
    if "status_code" in data:  # vcrpy's older httpx layout: status_code, content
        code = _number(data["status_code"], "response.status_code")
        reason = reason_phrase(code)
        return code, reason, _as_bytes(data.get("content"), "response.content")
    status = _mapping(_required(data, "status", "response"), "response.status")
    code = _number(_required(status, "code", "response.status"), "response.status.code")
    body_field = data.get("body") or {}
    if isinstance(body_field, Mapping):
        body_field = body_field.get("string")
    return code, _text(status.get("message") or ""), _as_bytes(body_field, "response.body")


def _response_from(value: Any) -> RecordedResponse:
    data = _mapping(value, "response")
    code, reason, body = _status_and_body(data)
    return _response(
        data, code, reason, body, _headers_from(data.get("headers"), "response.headers")
    )


def _response(
    data: Mapping[str, Any], code: int, reason: str, body: bytes, headers: Headers
) -> RecordedResponse:
    """The response of ``data`` given its status, body and headers (both readers share this)."""
    sizes = data.get("chunks")
    if sizes is None:
        headers = _drop_stale_encoding(headers, body)
        chunks: tuple[bytes, ...] = (body,) if body else ()
    elif not isinstance(sizes, list) or not all(isinstance(size, int) for size in sizes):
        raise CassetteFormatError(f"response.chunks must be a list of sizes, not {_shown(sizes)}")
    elif len(sizes) == 1 and sizes[0] == len(body) > 0:  # the usual case: one piece
        chunks = (body,)
    else:
        chunks = _split(body, sizes)
    times = tuple(_number(t, "response.chunk_times", float) for t in data.get("chunk_times") or ())
    if times and len(times) != len(chunks):
        raise CassetteFormatError("response.chunk_times and response.chunks differ in length")
    version = _version(data["http_version"]) if "http_version" in data else (1, 1)
    return RecordedResponse(
        code, reason, headers, chunks, times, version, bool(data.get("complete", True))
    )


def _error_from(value: Any) -> RecordedError:
    data = _mapping(value, "error")
    phase = str(data.get("phase", "head"))
    if phase not in _PHASES:
        raise CassetteFormatError(f"error.phase must be one of {sorted(_PHASES)}, not {phase!r}")
    errno = data.get("errno")
    strerror = data.get("strerror")
    status = data.get("status")
    return RecordedError(
        type=str(_required(data, "type", "error")),
        message=str(data.get("message") or ""),
        phase=cast(Phase, phase),
        errno=None if errno is None else _number(errno, "error.errno"),
        strerror=None if strerror is None else str(strerror),
        status=None if status is None else _number(status, "error.status"),
        headers=_headers_from(data.get("headers"), "error.headers"),
    )


@functools.cache
def _ws_types() -> dict[str, WSMsgType]:
    """The websocket message types by lower-case name (built by the first websocket read: a
    plain HTTP cassette builds none)."""
    from ..client.ws_messages import WSMsgType

    return {kind.name.lower(): kind for kind in WSMsgType}


def _frame_from(value: Any, field: str) -> WSFrame:
    data = _mapping(value, field)
    direction = data.get("dir")
    if direction not in ("send", "recv"):
        raise CassetteFormatError(f"{field}.dir must be send or recv, not {_shown(direction)}")
    types = _ws_types()
    kind = types.get(str(data.get("type")).lower())
    if kind is None:
        raise CassetteFormatError(f"{field}.type must be one of {sorted(types)}")
    at = _number(data.get("at", 0.0), f"{field}.at", float)
    if kind is types["close"]:
        code = _number(data.get("code", 1000), f"{field}.code")
        return WSFrame(direction, kind, code, str(data.get("reason")), at)
    payload = data.get("data")
    payload = str(payload) if kind is types["text"] else _as_bytes(payload, f"{field}.data")
    return WSFrame(direction, kind, payload, None, at)


def _websocket_from(value: Any) -> RecordedWebSocket:
    data = _mapping(value, "websocket")
    messages = data.get("messages") or ()
    if not isinstance(messages, list):
        raise CassetteFormatError("websocket.messages must be a list")
    return RecordedWebSocket(
        protocol=data.get("protocol"),
        frames=tuple(_frame_from(f, f"websocket.messages[{i}]") for i, f in enumerate(messages)),
    )


class _Unusual(Exception):
    """The quick reader met something beyond the common shape: the careful reader takes over."""


def _shared(headers: Headers, shared: dict[Any, Any]) -> Headers:
    """``headers``, or the equal block (and pairs) read before: far fewer objects to keep."""
    found: Headers | None = shared.get(headers)
    if found is None:
        found = shared[headers] = tuple([shared.setdefault(pair, pair) for pair in headers])
    return found


def _quick_response(data: Any, shared: dict[Any, Any]) -> RecordedResponse:
    status = data["status"]
    code = status["code"]
    body_field = data.get("body")
    if type(code) is not int or type(body_field) is not dict or "status_code" in data:
        raise _Unusual
    body = _as_bytes(body_field.get("string"), "response.body")
    headers = _shared(_headers_from(data.get("headers"), "response.headers"), shared)
    return _response(data, code, _text(status.get("message") or ""), body, headers)


def _quick(data: Any, shared: dict[Any, Any]) -> Interaction:
    """The shape aiotape and vcrpy write for plain HTTP, with as few checks as it needs;
    anything else raises _Unusual, and the careful reader reads it or explains it."""
    request, response = data["request"], data["response"]
    if "error" in data or "websocket" in data or type(request) is not dict:
        raise _Unusual
    method, uri = request["method"], request["uri"]
    if type(method) is not str or type(uri) is not str:
        raise _Unusual
    headers = _shared(_headers_from(request.get("headers"), "request.headers"), shared)
    body = _as_bytes(request.get("body"), "request.body")
    return Interaction(
        RecordedRequest(method.upper(), uri, headers, body),
        _quick_response(response, shared),
        None,
        _number(data.get("elapsed") or 0.0, "elapsed", float),
    )


def from_dict(data: Mapping[str, Any], shared: dict[Any, Any] | None = None) -> Interaction:
    """One interaction from its mapping (vcrpy's or aiotape's); pass one ``shared`` dict for
    all of a cassette's interactions to keep its equal header blocks and pairs once."""
    try:
        return _quick(data, {} if shared is None else shared)
    except (_Unusual, LookupError, TypeError, ValueError, AttributeError, CassetteFormatError):
        return _from_dict_carefully(data)


def _from_dict_carefully(data: Mapping[str, Any]) -> Interaction:
    req = _mapping(
        _required(_mapping(data, "the interaction"), "request", "interaction"), "request"
    )
    request = RecordedRequest(
        method=str(_required(req, "method", "request")).upper(),
        uri=str(_required(req, "uri", "request")),
        headers=_headers_from(req.get("headers"), "request.headers"),
        body=_as_bytes(req.get("body"), "request.body"),
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
        elapsed=_number(data.get("elapsed") or 0.0, "elapsed", float),
        websocket=None if ws is None else _websocket_from(ws),
    )


def loads(text: str, *, source: str = "<string>") -> list[Interaction]:
    """Interactions of a cassette's text; ``source`` names it in errors.

    A malformed cassette raises one CassetteFormatError naming the file, the interaction and
    the field, without chaining the parser's internals.
    """
    with gc_paused():
        return _interactions(text, source)


class _BadInteraction(CassetteFormatError):
    """An interaction that cannot be read; the message already names the file and position."""


def _reader(source: str) -> Callable[[Any, int], Interaction]:
    """Reads interaction mappings of one cassette (sharing equal headers between them)."""
    shared: dict[Any, Any] = {}

    def read(item: Any, index: int) -> Interaction:
        if type(item) is Interaction:  # already read while parsing
            return item
        try:
            return from_dict(item, shared)
        except CassetteFormatError as exc:
            raise _BadInteraction(f"{source}: interaction #{index}: {exc}{_HINT}") from None
        except (KeyError, TypeError, ValueError, AttributeError) as exc:  # a shape not foreseen
            raise _BadInteraction(
                f"{source}: interaction #{index} is malformed ({type(exc).__name__}: {exc}){_HINT}"
            ) from None

    return read


def _interactions(text: str, source: str) -> list[Interaction]:
    read = _reader(source)
    try:
        document = _safe_load(text, read)
        if document is None:
            return []
        items = document.get("interactions", []) if isinstance(document, Mapping) else None
        if not isinstance(items, list):
            raise CassetteFormatError("expected a mapping with an 'interactions' list")
        version = document.get("version", FORMAT_VERSION)
        if version != FORMAT_VERSION:
            raise CassetteFormatError(f"unsupported cassette version {version!r}")
        return [read(item, index) for index, item in enumerate(items)]
    except _BadInteraction as exc:  # raised again here: no traceback through the parser
        raise CassetteFormatError(str(exc)) from None
    except yaml.YAMLError as exc:
        raise CassetteFormatError(f"{source}: not valid cassette YAML: {exc}{_HINT}") from None
    except CassetteFormatError as exc:
        raise CassetteFormatError(f"{source}: {exc}") from None
