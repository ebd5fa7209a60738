"""The cassette records keep frozen dataclass behaviour without generated code: immutable,
equal and hashed by their fields, a dataclass-style repr, picklable and copyable."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from typing import Any

import pytest

from aiotape.cassettes import Interaction, RecordedError, RecordedRequest, RecordedResponse
from aiotape.cassettes.cassette import FileUsage
from aiotape.cassettes.plan import Plan

RECORDS: list[Any] = [
    RecordedRequest("GET", "http://api.test/a", (("Accept", "*/*"),), b"x"),
    RecordedResponse(200, "OK", chunks=(b"ab",), chunk_times=(0.1,)),
    RecordedError("ClientConnectorError", "refused", "connect", 111),
    Interaction(RecordedRequest("GET", "http://api.test/b"), elapsed=0.5),
    Plan(replay=True, record=False, keep_recorded=True),
    FileUsage("c.yaml", 3, (0, 2)),
]


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: type(r).__name__)
def test_a_record_is_frozen(record: Any) -> None:
    name = record.__match_args__[0]
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign"):
        setattr(record, name, None)
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot delete"):
        delattr(record, name)
    with pytest.raises((AttributeError, dataclasses.FrozenInstanceError)):
        record.not_a_field = 1


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: type(r).__name__)
def test_a_record_equals_and_hashes_as_its_copies(record: Any) -> None:
    for twin in (copy.copy(record), copy.deepcopy(record), pickle.loads(pickle.dumps(record))):
        assert twin == record and twin is not record
        assert hash(twin) == hash(record)
        assert type(twin) is type(record)
    assert record != tuple(getattr(record, name) for name in record.__match_args__)


def test_records_differ_by_any_field() -> None:
    request = RecordedRequest("GET", "http://api.test/a")
    assert request != RecordedRequest("GET", "http://api.test/a", body=b"x")
    assert Plan(True, False, True) != Plan(True, True, True)
    assert len({request, RecordedRequest("GET", "http://api.test/a")}) == 1


def test_the_repr_names_every_field_as_a_dataclass_would() -> None:
    assert repr(RecordedRequest("GET", "u")) == (
        "RecordedRequest(method='GET', uri='u', headers=(), body=b'')"
    )
    assert repr(Plan(True, False, True)) == "Plan(replay=True, record=False, keep_recorded=True)"


def test_model_records_are_dataclasses_with_their_defaults() -> None:
    response = RecordedResponse(200, "OK")
    assert [f.name for f in dataclasses.fields(response)] == [
        "status",
        "reason",
        "headers",
        "chunks",
        "chunk_times",
        "version",
        "complete",
    ]
    assert (response.version, response.complete) == ((1, 1), True)
    changed = dataclasses.replace(response, status=404)
    assert (changed.status, changed.reason, type(changed)) == (404, "OK", RecordedResponse)
    assert dataclasses.astuple(RecordedRequest("GET", "u")) == ("GET", "u", (), b"")
