"""The cassette file format: vcrpy's YAML shape plus aiotape's extra keys, read safely."""

from __future__ import annotations

import gzip

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from aiotape.cassettes import (
    CassetteFormatError,
    Interaction,
    RecordedError,
    RecordedRequest,
    RecordedResponse,
    RecordedWebSocket,
    WSFrame,
    dumps,
    loads,
)
from aiotape.cassettes.format import _safe_load
from aiotape.client.transport import WSMsgType


def _interaction(
    body: bytes = b'{"ok": true}', chunks: tuple[bytes, ...] | None = None
) -> Interaction:
    if chunks is None:
        chunks = (body,) if body else ()
    return Interaction(
        request=RecordedRequest(
            "POST", "http://api.test/items?a=1", (("Content-Type", "application/json"),), b"{}"
        ),
        response=RecordedResponse(
            200,
            "OK",
            (("Content-Type", "application/json"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")),
            chunks,
            (0.01,) * len(chunks),
        ),
        elapsed=0.005,
    )


def test_plain_interaction_has_vcrpy_shape() -> None:
    document = yaml.safe_load(dumps([_interaction()]))
    assert document["version"] == 1
    entry = document["interactions"][0]
    assert entry["request"] == {
        "method": "POST",
        "uri": "http://api.test/items?a=1",
        "headers": {"Content-Type": ["application/json"]},
        "body": "{}",
    }
    assert entry["response"]["status"] == {"code": 200, "message": "OK"}
    assert entry["response"]["body"] == {"string": '{"ok": true}'}


def test_repeated_headers_are_one_name_with_a_list_of_values() -> None:
    entry = yaml.safe_load(dumps([_interaction()]))["interactions"][0]
    assert entry["response"]["headers"]["Set-Cookie"] == ["a=1", "b=2"]


def test_binary_body_is_written_as_yaml_binary() -> None:
    body = gzip.compress(b"hello")
    text = dumps([_interaction(body)])
    assert "!!binary" in text
    assert loads(text)[0].response.body == body  # type: ignore[union-attr]


def test_text_body_is_readable_in_the_file() -> None:
    assert "string: Тест" in dumps([_interaction("Тест".encode())])


def test_chunk_boundaries_survive_a_round_trip() -> None:
    chunks = (b"ab", b"c", b"def")
    loaded = loads(dumps([_interaction(chunks=chunks)]))[0]
    assert loaded.response is not None
    assert loaded.response.chunks == chunks


def test_chunk_sizes_are_written_inline() -> None:
    assert "chunks: [2, 1, 3]" in dumps([_interaction(chunks=(b"ab", b"c", b"def"))])


def test_full_interaction_round_trips_unchanged() -> None:
    original = Interaction(
        request=RecordedRequest("GET", "ws://api.test/chat", (("Upgrade", "websocket"),)),
        response=RecordedResponse(101, "Switching Protocols", (("Upgrade", "websocket"),)),
        elapsed=0.25,
        websocket=RecordedWebSocket(
            "chat",
            (
                WSFrame("send", WSMsgType.TEXT, "hi", None, 0.0),
                WSFrame("recv", WSMsgType.BINARY, b"\x00\xff", None, 0.5),
                WSFrame("recv", WSMsgType.CLOSE, 1000, "bye", 1.0),
            ),
        ),
    )
    assert loads(dumps([original])) == [original]


def test_failure_round_trips_with_its_phase_and_errno() -> None:
    original = Interaction(
        request=RecordedRequest("GET", "http://down.test/"),
        error=RecordedError("ClientConnectorError", "Cannot connect", "connect", 111, "refused"),
        elapsed=0.001,
    )
    assert loads(dumps([original])) == [original]


def test_incomplete_body_flag_round_trips() -> None:
    original = Interaction(
        request=RecordedRequest("GET", "http://api.test/"),
        response=RecordedResponse(302, "Found", chunks=(), complete=False),
    )
    assert loads(dumps([original])) == [original]


@given(st.binary(max_size=300), st.text(max_size=200))
def test_any_body_round_trips_byte_for_byte(raw: bytes, text: str) -> None:
    for body in (raw, text.encode("utf-8")):
        loaded = loads(dumps([_interaction(body)]))[0]
        assert loaded.response is not None
        assert loaded.response.body == body


def test_vcrpy_cassette_without_aiotape_keys_loads() -> None:
    text = """
interactions:
- request:
    body: null
    headers: {}
    method: GET
    uri: http://api.test/empty
  response:
    body: {}
    headers:
      Content-Type: text/plain
    status: {code: 204, message: No Content}
version: 1
"""
    [loaded] = loads(text)
    assert loaded.response is not None
    assert (loaded.response.status, loaded.response.body) == (204, b"")
    assert loaded.response.headers == (("Content-Type", "text/plain"),)


def test_foreign_decoded_body_drops_its_stale_content_encoding() -> None:
    text = """
interactions:
- request: {method: GET, uri: 'http://api.test/', headers: {}, body: null}
  response:
    status: {code: 200, message: OK}
    headers: {Content-Encoding: [gzip], Content-Length: ['31'], Content-Type: [text/plain]}
    body: {string: already decoded}
version: 1
"""
    [loaded] = loads(text)
    assert loaded.response is not None
    assert loaded.response.headers == (("Content-Type", "text/plain"),)


def test_foreign_body_still_encoded_keeps_its_content_encoding() -> None:
    document = {
        "interactions": [
            {
                "request": {"method": "GET", "uri": "http://api.test/", "headers": {}},
                "response": {
                    "status": {"code": 200, "message": "OK"},
                    "headers": {"Content-Encoding": ["gzip"]},
                    "body": {"string": gzip.compress(b"x")},
                },
            }
        ],
        "version": 1,
    }
    [loaded] = loads(yaml.safe_dump(document))
    assert loaded.response is not None
    assert loaded.response.headers == (("Content-Encoding", "gzip"),)


def test_python_object_tags_are_refused() -> None:
    text = "interactions: !!python/object/apply:os.system ['true']\nversion: 1\n"
    with pytest.raises(CassetteFormatError, match=r"evil.yaml: tag .*python/object.* not allowed"):
        loads(text, source="evil.yaml")


def test_chunk_sizes_that_do_not_add_up_are_reported_with_the_interaction() -> None:
    text = dumps([_interaction(chunks=(b"ab", b"c"))]).replace("chunks: [2, 1]", "chunks: [2, 2]")
    with pytest.raises(CassetteFormatError, match=r"x.yaml: interaction #0: .*do not add up"):
        loads(text, source="x.yaml")


def test_missing_status_is_reported_with_the_interaction() -> None:
    text = "interactions:\n- request: {method: GET, uri: 'http://a/'}\n  response: {}\nversion: 1\n"
    with pytest.raises(CassetteFormatError, match=r"interaction #0: response\.status is missing"):
        loads(text)


def test_unknown_version_is_refused() -> None:
    with pytest.raises(CassetteFormatError, match="unsupported cassette version 2"):
        loads("interactions: []\nversion: 2\n")


def test_empty_file_has_no_interactions() -> None:
    assert loads("") == []


_yaml_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.binary(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@given(_yaml_values)
def test_fast_loader_reads_what_yaml_safe_load_reads(value: object) -> None:
    text = yaml.safe_dump({"interactions": [], "version": 1, "extra": value})
    assert _safe_load(text) == yaml.safe_load(text)


def test_fast_loader_resolves_anchors_and_aliases() -> None:
    text = "a: &shared {k: [1, 2]}\nb: *shared\n"
    assert _safe_load(text) == {"a": {"k": [1, 2]}, "b": {"k": [1, 2]}}
