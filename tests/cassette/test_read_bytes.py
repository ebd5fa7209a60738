"""A cassette that only replays reads its file without an fstat (``read_bytes``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aiotape.cassettes import (
    Cassette,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    cassette_file,
    dumps,
    storage,
)
from aiotape.cassettes.storage import Signature, read_bytes, signature
from tests.cassette.test_cassette_transport import Scripted, _read, _request


def _write(path: Path, *uris: str) -> Path:
    answers = [
        Interaction(RecordedRequest("GET", u), RecordedResponse(200, "OK", (), (u.encode(),)))
        for u in uris
    ]
    path.write_text(dumps(answers))
    return path


def test_read_bytes_gives_the_bytes_or_none(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes(bytes(range(256)) * 300)
    assert read_bytes(path) == bytes(range(256)) * 300
    assert read_bytes(tmp_path / "missing.yaml") is None
    (tmp_path / "empty.yaml").write_bytes(b"")
    assert read_bytes(tmp_path / "empty.yaml") == b""


@pytest.mark.parametrize("first_read", [1, 1000, 76_799, 76_800])
def test_read_bytes_reads_to_the_end_past_its_first_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first_read: int
) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes(bytes(range(256)) * 300)
    monkeypatch.setattr(storage, "_FIRST_READ", first_read)
    assert read_bytes(path) == bytes(range(256)) * 300


def test_read_bytes_of_a_directory_fails_as_reading_it_does(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError):
        read_bytes(tmp_path)


async def test_a_replay_only_cassette_takes_no_fstat_and_still_replays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path / "c.yaml", "http://a.test/x")
    signed = storage.read_file

    def read_file(name: str | os.PathLike[str]) -> tuple[bytes, Signature] | None:
        assert os.fspath(name) != os.fspath(path), "the cassette file was read with an fstat"
        return signed(name)

    monkeypatch.setattr(cassette_file, "read_file", read_file)
    cassette = Cassette(path, record_mode="once")
    assert cassette.existed and cassette.replaying and cassette.write_protected
    assert await _read(await cassette.handle(_request("http://a.test/x"), Scripted())) == [
        b"http://a.test/x"
    ]


def test_a_cassette_that_records_keeps_the_signature_of_what_it_read(tmp_path: Path) -> None:
    path = _write(tmp_path / "c.yaml", "http://a.test/x")
    assert Cassette(path, record_mode="new_episodes")._signature == signature(path)
    assert Cassette(path, drop_unused_requests=True)._signature == signature(path)
