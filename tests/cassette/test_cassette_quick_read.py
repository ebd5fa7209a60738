"""The quick interaction reader reads exactly what the careful one reads, or hands over to it.

``from_dict`` first tries a reader for the common shape and falls back to the careful reader
(which also explains malformed cassettes). Whatever the quick reader accepts, both must agree.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from aiotape.cassettes import (
    CassetteFormatError,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    dumps,
    loads,
)
from aiotape.cassettes.format import _from_dict_carefully, _quick, _Unusual, from_dict
from aiotape.cassettes.safe_yaml import safe_load
from tests.cassette.test_cassette_corpus import FILES, needs_corpus


def _documents(text: str) -> list[Any]:
    return list((safe_load(text) or {}).get("interactions") or ())


def _agree(item: Any) -> bool:
    """Whether the quick reader took ``item`` (and then read it as the careful one does)."""
    try:
        quick = _quick(item, {})
    except (_Unusual, LookupError, TypeError, ValueError, AttributeError, CassetteFormatError):
        return False
    assert quick == _from_dict_carefully(item)
    return True


@needs_corpus
def test_corpus_interactions_read_the_same_both_ways() -> None:
    taken = [_agree(item) for path in FILES for item in _documents(path.read_text("utf-8"))]
    assert any(taken), "the quick reader should take the common vcrpy shape"


_headers = st.lists(
    st.tuples(st.sampled_from(["Host", "Accept", "Set-Cookie", "X-N"]), st.text(max_size=8)),
    max_size=5,
)


@given(
    _headers,
    _headers,
    st.lists(st.binary(min_size=1, max_size=20), max_size=3),
    st.sampled_from([(1, 1), (1, 0), (2, 0)]),
    st.booleans(),
    st.binary(max_size=10),
)
def test_recorded_interactions_read_the_same_both_ways(
    request_headers: list[tuple[str, str]],
    response_headers: list[tuple[str, str]],
    chunks: list[bytes],
    version: tuple[int, int],
    complete: bool,
    request_body: bytes,
) -> None:
    original = Interaction(
        RecordedRequest("POST", "http://api.test/x?a=1", tuple(request_headers), request_body),
        RecordedResponse(
            201,
            "Created",
            tuple(response_headers),
            tuple(chunks),
            tuple(0.001 * n for n in range(len(chunks))),
            version,
            complete,
        ),
        elapsed=0.25,
    )
    [item] = _documents(dumps([original]))
    assert _agree(item)
    assert from_dict(item) == loads(dumps([original]))[0]


@pytest.mark.parametrize(
    "change",
    [
        {"chunks": [1, 1]},
        {"chunk_times": [0.1, 0.2]},
        {"http_version": None},
        {"status": {"message": "OK"}},
        {"chunk_times": ["soon"]},
    ],
)
def test_what_the_quick_reader_refuses_gets_the_careful_error(change: dict[str, Any]) -> None:
    text = dumps([Interaction(RecordedRequest("GET", "http://a/"), RecordedResponse(200, "OK"))])
    document = yaml.safe_load(text)
    document["interactions"][0]["response"].update(change)
    with pytest.raises(CassetteFormatError, match=r"x\.yaml: interaction #0: response"):
        loads(yaml.safe_dump(document), source="x.yaml")


def test_an_interaction_read_while_parsing_can_be_aliased() -> None:
    text = (
        "interactions:\n- &first {request: {method: GET, uri: 'http://a/'},"
        " response: {status: {code: 200}}}\n- *first\nversion: 1\n"
    )
    first, second = loads(text)
    assert first == second
    assert first.request.uri == "http://a/"


def test_interactions_given_as_a_mapping_are_refused_as_such() -> None:
    with pytest.raises(CassetteFormatError, match="expected a mapping with an 'interactions' list"):
        loads("interactions: {a: {b: 1}}\nversion: 1\n")


def test_a_malformed_interaction_is_named_by_its_position_in_the_list() -> None:
    good = "- {request: {method: GET, uri: 'http://a/'}, response: {status: {code: 200}}}\n"
    bad = "- {request: {method: GET, uri: 'http://b/'}, response: {status: {code: x}}}\n"
    with pytest.raises(CassetteFormatError, match=r"c\.yaml: interaction #2: response\.status"):
        loads("interactions:\n" + good * 2 + bad + "version: 1\n", source="c.yaml")
