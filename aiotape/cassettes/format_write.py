"""Writing vcrpy-compatible YAML (the reading side, and the format, are in :mod:`.format`):
UTF-8 bodies and header values as readable strings, anything else as ``!!binary``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import yaml

from .model import Headers, Interaction, RecordedError, RecordedRequest, RecordedResponse, WSFrame

__all__ = ["FORMAT_VERSION", "dumps", "to_dict"]

FORMAT_VERSION = 1
_BaseDumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Flow(list[Any]):
    """A list written in flow style (``[1, 2, 3]``): chunk sizes and times stay one line."""


class _Dumper(_BaseDumper):  # type: ignore[misc, valid-type]
    """Safe dumper that writes ``_Flow`` lists inline."""


def _represent_flow(dumper: yaml.SafeDumper, data: _Flow) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)


_Dumper.add_representer(_Flow, _represent_flow)


def _text_or_bytes(data: bytes) -> str | bytes:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data


def _wire_text(text: str) -> str | bytes:
    """``text``, or for text decoded from bytes that were not UTF-8 (lone surrogates, which
    YAML cannot hold) those bytes, written as ``!!binary``."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape")
    return text


def _headers_to_dict(headers: Headers) -> dict[str, list[str | bytes]]:
    grouped: dict[str, list[str | bytes]] = {}
    by_lower: dict[str, list[str | bytes]] = {}
    for name, value in headers:
        values = by_lower.get(name.lower())
        if values is None:  # str(): multidict's istr names are a str subclass yaml refuses
            values = by_lower[name.lower()] = grouped[str(name)] = []
        values.append(_wire_text(str(value)))
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
        "status": {"code": response.status, "message": _wire_text(response.reason)},
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
    if error.headers:
        data["headers"] = _headers_to_dict(error.headers)
    return data


def _frame_to_dict(frame: WSFrame) -> dict[str, Any]:
    kind = frame.type.name.lower()
    data: dict[str, Any] = {"dir": frame.direction, "type": kind}
    if kind == "close":
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
