"""The replay path's shortcuts: one read per file, keys from the method and URL, one transport."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from aiotape.cassettes import (
    Cassette,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    UnmatchedRequestError,
    dumps,
)
from aiotape.cassettes.storage import read_file, signature
from tests.cassette.test_cassette_transport import Scripted, _read, _request


def _write(path: Path, *uris: str) -> Path:
    path.write_text(
        dumps(
            [
                Interaction(
                    RecordedRequest("GET", uri), RecordedResponse(200, "OK", (), (uri.encode(),))
                )
                for uri in uris
            ]
        )
    )
    return path


def test_read_file_gives_the_bytes_and_the_signature_of_what_it_read(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes(b"x" * 70_000)
    read = read_file(path)
    assert read == (b"x" * 70_000, signature(path))
    assert read_file(tmp_path / "missing.yaml") is None
    os.replace(_write(tmp_path / "d.yaml", "http://a.test/"), path)
    assert read_file(path) != read and read_file(path) == (path.read_bytes(), signature(path))


@pytest.mark.parametrize("reported", [10, 200_000])
def test_read_file_reads_to_the_end_when_the_size_changed_since_its_fstat(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reported: int
) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes(bytes(range(256)) * 400)
    real_fstat = os.fstat

    def stale_fstat(fd: int) -> os.stat_result:
        st = real_fstat(fd)
        return os.stat_result((*st[:6], reported, *st[7:]))

    monkeypatch.setattr(os, "fstat", stale_fstat)
    read = read_file(path)
    assert read is not None and read[0] == bytes(range(256)) * 400


@pytest.mark.parametrize("match_on", [None, ("method", "uri"), ("method", "host", "path")])
async def test_plain_matchers_replay_by_method_and_url(
    tmp_path: Path, match_on: tuple[str, ...] | None
) -> None:
    path = _write(tmp_path / "c.yaml", "http://a.test/x?b=2&a=1", "http://a.test/y")
    options = {} if match_on is None else {"match_on": match_on}
    cassette = Cassette(path, **options)
    replayed = await _read(await cassette.handle(_request("http://a.test/y"), Scripted()))
    first = await _read(await cassette.handle(_request("http://a.test/x?b=2&a=1"), Scripted()))
    assert (replayed, first) == ([b"http://a.test/y"], [b"http://a.test/x?b=2&a=1"])
    with pytest.raises(UnmatchedRequestError, match=re.escape("GET http://a.test/y")):
        await cassette.handle(_request("http://a.test/y"), Scripted())
    assert cassette.play_count == 2 and [u.played for u in cassette.file_usage()] == [(0, 1)]


async def test_a_session_gets_one_transport_for_all_its_requests(tmp_path: Path) -> None:
    cassette = Cassette(_write(tmp_path / "c.yaml", "http://a.test/"))
    inner, other = Scripted(), Scripted()
    first = cassette.transport(inner)
    assert cassette.transport(inner) is first
    assert cassette.transport(other) is not first and cassette.transport(other).inner is other
