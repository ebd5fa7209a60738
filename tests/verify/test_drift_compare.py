"""Comparison rules on hand-built interactions: JSON shapes, websocket frames, odd outcomes."""

from __future__ import annotations

import gzip

from aiotape.cassettes import (
    Interaction,
    RecordedRequest,
    RecordedResponse,
    RecordedWebSocket,
    WSFrame,
)
from aiotape.cassettes.drift import Change, VerifyIgnore, compare, json_changes
from aiotape.client.transport import WSMsgType

_JSON = (("Content-Type", "application/json"),)


def _response(
    body: bytes, headers: tuple[tuple[str, str], ...] = _JSON, *, complete: bool = True
) -> Interaction:
    response = RecordedResponse(200, "OK", headers, (body,), complete=complete)
    return Interaction(RecordedRequest("GET", "http://127.0.0.1/x"), response)


def _ws(*frames: WSFrame, protocol: str | None = None) -> Interaction:
    handshake = RecordedResponse(101, "Switching Protocols")
    return Interaction(
        RecordedRequest("GET", "http://127.0.0.1/ws"),
        handshake,
        websocket=RecordedWebSocket(protocol, frames),
    )


def _recv(kind: WSMsgType, data: str | bytes | int, extra: str | None = None) -> WSFrame:
    return WSFrame("recv", kind, data, extra, 0.0)


def test_ignored_header_names_are_globs_and_case_insensitive() -> None:
    ignore = VerifyIgnore.from_config({"headers": ["X-Cache-*"]})
    assert ignore.ignores_header("x-cache-status")
    assert ignore.ignores_header("X-Amzn-RequestId")  # volatile by default
    assert ignore.ignores_header("CF-Ray")
    assert not ignore.ignores_header("X-RateLimit-Limit")


def test_list_turned_into_scalar_is_a_schema_change() -> None:
    found = list(json_changes({"tags": ["a"]}, {"tags": "a"}, "$"))
    assert found == [Change("body-schema", "$.tags", ["a"], "a")]


def test_null_fits_any_type_and_list_length_is_a_value() -> None:
    found = list(json_changes({"at": None, "ids": [1, 2]}, {"at": "noon", "ids": [3]}, "$"))
    assert found == [
        Change("body-value", "$.at", None, "noon"),
        Change("body-value", "$.ids[0]", 1, 3),
        Change("body-value", "$.ids", [1, 2], [3]),
    ]


def test_keys_that_are_not_identifiers_are_quoted_in_paths() -> None:
    found = list(json_changes({"a b": {"x.y": 1}}, {"a b": {}}, "$"))
    assert found == [Change("body-schema", '$["a b"]["x.y"]', 1, None)]


def test_websocket_frames_missing_or_extra_are_ws_drift() -> None:
    recorded = _ws(_recv(WSMsgType.TEXT, "a"), _recv(WSMsgType.TEXT, "b"))
    live = _ws(_recv(WSMsgType.TEXT, "a"))
    assert compare(recorded, live) == (Change("ws", "ws.recv[1]", "text 'b'", None),)
    assert compare(live, recorded) == (Change("ws", "ws.recv[1]", None, "text 'b'"),)


def test_websocket_frame_type_binary_data_close_code_and_protocol_are_ws_drift() -> None:
    recorded = _ws(
        _recv(WSMsgType.TEXT, "1"),
        _recv(WSMsgType.BINARY, b"\x00\xff"),
        _recv(WSMsgType.CLOSE, 1000),
        protocol="chat.v1",
    )
    live = _ws(
        _recv(WSMsgType.BINARY, b"1"),
        _recv(WSMsgType.BINARY, b"\x00\xfe"),
        _recv(WSMsgType.CLOSE, 4000, "bye"),
        protocol="chat.v2",
    )
    assert [(c.path, c.recorded, c.live) for c in compare(recorded, live)] == [
        ("ws.protocol", "chat.v1", "chat.v2"),
        ("ws.recv[0]", "text '1'", "binary '1'"),
        (
            "ws.recv[1]",
            "binary '<2 bytes, sha256 06eb7d6a69ee19e5>'",
            "binary '<2 bytes, sha256 dcc3494d498009f1>'",
        ),
        ("ws.recv[2]", "close 1000", "close 4000 'bye'"),
    ]


def test_pings_and_pongs_are_not_compared() -> None:
    recorded = _ws(_recv(WSMsgType.PING, b"t1"), _recv(WSMsgType.TEXT, "a"))
    live = _ws(_recv(WSMsgType.TEXT, "a"), _recv(WSMsgType.PONG, b"t2"))
    assert compare(recorded, live) == ()


def test_body_released_before_its_end_is_not_compared() -> None:
    recorded = _response(b'{"a": 1, "b"', complete=False)
    assert compare(recorded, _response(b'{"a": 2}')) == ()


def test_body_that_stops_being_json_is_a_schema_change() -> None:
    found = compare(_response(b'{"a": 1}'), _response(b"<html>oops</html>"))
    assert found == (Change("body-schema", "$", '{"a": 1}', "<html>oops</html>"),)


def test_encoded_and_plain_bodies_with_the_same_json_only_differ_in_the_header() -> None:
    encoded = _response(gzip.compress(b'{"a": 1}'), (*_JSON, ("Content-Encoding", "gzip")))
    assert compare(encoded, _response(b'{"a": 1}')) == (
        Change("header", "Content-Encoding", "gzip", None),
    )


def test_multiple_values_of_a_header_are_compared_as_a_list() -> None:
    recorded = _response(b"{}", (*_JSON, ("Vary", "Accept"), ("Vary", "Origin")))
    live = _response(b"{}", (*_JSON, ("vary", "Accept")))
    assert compare(recorded, live) == (Change("header", "Vary", ["Accept", "Origin"], "Accept"),)


def test_charset_change_is_header_drift() -> None:
    latin = (("Content-Type", "application/json; charset=latin-1"),)
    assert compare(_response(b"{}"), _response(b"{}", latin)) == (
        Change("header", "Content-Type", None, "latin-1"),
    )


def test_ignoring_content_type_leaves_out_media_type_and_charset() -> None:
    text = (("Content-Type", "text/plain; charset=latin-1"),)
    ignore = VerifyIgnore(headers=("Content-Type",))
    assert compare(_response(b'{"a": 1}'), _response(b'{"a": 1}', text), ignore) == ()
    assert compare(_response(b'{"a": 1}'), _response(b'{"a": 2}', text), ignore) == (
        Change("body-value", "$.a", 1, 2),
    )
