"""Interactions rebuilt from the compiled cache are the model's own frozen objects."""

from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path

import pytest

from aiotape.cassettes import (
    Interaction,
    RecordedError,
    RecordedRequest,
    RecordedResponse,
    dumps,
    load_cassette,
)
from aiotape.cassettes import cache as cache_module


@pytest.fixture
def cassette(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(cache_module.CACHE_DIR_ENV, str(tmp_path / "cache"))
    path = tmp_path / "c.yaml"
    path.write_text(
        dumps(
            [
                Interaction(
                    RecordedRequest("GET", "http://api.test/a", (("Accept", "*/*"),)),
                    RecordedResponse(200, "OK", (("X", "1"),), (b"ab",), (0.1,), (1, 0)),
                    elapsed=0.05,
                ),
                Interaction(
                    RecordedRequest("POST", "http://api.test/b", (), b"{}"),
                    error=RecordedError("ClientConnectorError", "refused", "connect", 111),
                ),
            ]
        )
    )
    return path


def _hit(path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Interaction]:
    parsed = load_cassette(path)  # fills the cache
    monkeypatch.setattr(cache_module, "loads", pytest.fail)  # what follows must be a hit
    cached = load_cassette(path)
    assert cached == parsed
    return cached


def test_cached_interactions_are_the_model_classes(
    cassette: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = _hit(cassette, monkeypatch)
    assert type(first) is Interaction and type(second) is Interaction
    assert type(first.request) is RecordedRequest and type(first.response) is RecordedResponse
    assert type(second.request) is RecordedRequest and second.response is None
    assert first.response is not None and first.response.version == (1, 0)
    assert repr(first) == repr(dataclasses.replace(first))


def test_cached_interactions_are_frozen_and_hashable(
    cassette: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = _hit(cassette, monkeypatch)
    for frozen in (first, first.request, first.response, second.error):
        assert frozen is not None
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(frozen, dataclasses.fields(frozen)[0].name, None)
    rebuilt = Interaction(
        RecordedRequest(*dataclasses.astuple(first.request)),
        RecordedResponse(*dataclasses.astuple(first.response)),  # type: ignore[arg-type]
        elapsed=first.elapsed,
    )
    assert hash(first) == hash(rebuilt)
    assert {first: 1}[rebuilt] == 1
    assert pickle.loads(pickle.dumps(first)) == first
