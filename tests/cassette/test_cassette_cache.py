"""The compiled-cassette cache: keyed by content, private, atomic, and optional."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from yarl import URL

import aiotape
from aiotape.cassettes import (
    CassetteFormatError,
    Interaction,
    RecordedError,
    RecordedRequest,
    RecordedResponse,
    RecordedWebSocket,
    WSFrame,
    dumps,
    load_cassette,
    use_cassette,
)
from aiotape.cassettes import cache as cache_module
from aiotape.client.transport import WSMsgType

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv(cache_module.CACHE_DIR_ENV, str(directory))
    return directory


def _entries(directory: Path) -> list[Path]:
    return sorted((directory / "cassettes").glob("*")) if directory.exists() else []


def _every_kind() -> list[Interaction]:
    request = RecordedRequest("GET", "http://api.test/a?x=1", (("Accept", "*/*"),), b"")
    return [
        Interaction(
            request,
            RecordedResponse(
                200,
                "OK",
                (("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")),
                (b"ab", b"\xff"),
                (0.1, 0.2),
            ),
            elapsed=0.05,
        ),
        Interaction(
            RecordedRequest("POST", "http://api.test/b", (), b"{}"),
            RecordedResponse(200, "OK", (), (b"part",), version=(1, 0), complete=False),
            RecordedError("ClientPayloadError", "cut", "body"),
        ),
        Interaction(
            request,
            error=RecordedError("ClientConnectorError", "refused", "connect", 111, "refused"),
        ),
        Interaction(
            RecordedRequest("GET", "ws://api.test/chat"),
            RecordedResponse(101, "Switching Protocols"),
            websocket=RecordedWebSocket(
                "chat",
                (
                    WSFrame("send", WSMsgType.TEXT, "hi", None, 0.0),
                    WSFrame("recv", WSMsgType.BINARY, b"\x00", None, 0.1),
                    WSFrame("recv", WSMsgType.CLOSE, 1000, "bye", 0.2),
                ),
            ),
        ),
    ]


def _forbid_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(text: str, *, source: str = "") -> list[Interaction]:
        raise AssertionError(f"{source} was parsed again")

    monkeypatch.setattr(cache_module, "loads", refuse)


def test_unchanged_cassette_loads_from_the_cache_without_parsing(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(dumps(_every_kind()))
    first = load_cassette(path)
    _forbid_parsing(monkeypatch)
    assert load_cassette(path) == first == _every_kind()
    assert len(_entries(cache_dir)) == 1


def test_an_edited_cassette_is_parsed_again(tmp_path: Path, cache_dir: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(dumps(_every_kind()[:1]))
    assert len(load_cassette(path)) == 1
    path.write_text(dumps(_every_kind()))  # same size class, new content: never stale
    assert load_cassette(path) == _every_kind()
    assert len(_entries(cache_dir)) == 2


def test_the_cache_is_private_and_leaves_no_temporary_files(
    tmp_path: Path, cache_dir: Path
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(dumps(_every_kind()))
    load_cassette(path)
    [entry] = _entries(cache_dir)
    assert stat.S_IMODE(entry.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    assert entry.name.endswith(".bin") and not entry.name.startswith(".")


def test_cache_dir_off_disables_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cache_module.CACHE_DIR_ENV, "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    path = tmp_path / "c.yaml"
    path.write_text(dumps(_every_kind()))
    assert load_cassette(path) == load_cassette(path) == _every_kind()
    assert cache_module.cache_dir() is None
    assert not (tmp_path / "xdg").exists()


def test_default_location_is_the_xdg_cache_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(cache_module.CACHE_DIR_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    path = tmp_path / "c.yaml"
    path.write_text(dumps(_every_kind()))
    load_cassette(path)
    assert cache_module.cache_dir() == tmp_path / "xdg" / "aiotape"
    assert len(_entries(tmp_path / "xdg" / "aiotape")) == 1


def test_without_a_home_or_xdg_cache_home_there_is_no_cache(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in (cache_module.CACHE_DIR_ENV, "XDG_CACHE_HOME", "HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(os.path, "expanduser", lambda path: path)  # as with no home directory
    assert cache_module.cache_dir() is None


def test_past_max_entries_the_least_recently_used_are_evicted(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache_module, "MAX_ENTRIES", 4)
    paths = []
    for n in range(4):
        path = tmp_path / f"c{n}.yaml"
        path.write_text(dumps(_every_kind()[: n + 1]))
        load_cassette(path)
        paths.append(path)
    for age, entry in enumerate(_entries(cache_dir)):
        os.utime(entry, (1_000_000 + age, 1_000_000 + age))  # all long unused
    load_cassette(paths[0])  # a hit: now the most recently used
    fifth = tmp_path / "c4.yaml"
    fifth.write_text(dumps(_every_kind() * 2))
    load_cassette(fifth)  # the fifth entry: evicts down to 3
    assert len(_entries(cache_dir)) == 3
    _forbid_parsing(monkeypatch)
    assert load_cassette(paths[0]) == _every_kind()[:1]
    assert len(load_cassette(fifth)) == 8


@pytest.mark.parametrize("damage", ["truncate", "garbage", "foreign header"])
def test_a_damaged_entry_is_ignored_and_rewritten(
    tmp_path: Path, cache_dir: Path, damage: str
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(dumps(_every_kind()))
    load_cassette(path)
    [entry] = _entries(cache_dir)
    blob = entry.read_bytes()
    if damage == "truncate":
        entry.write_bytes(blob[: len(blob) // 2])
    elif damage == "garbage":
        entry.write_bytes(blob.split(b"\n", 1)[0] + b"\n\x00\x01garbage")
    else:
        entry.write_bytes(b"something else\n" + blob.split(b"\n", 1)[1])
    assert load_cassette(path) == _every_kind()
    assert entry.read_bytes() == blob


def test_malformed_cassettes_are_not_cached(tmp_path: Path, cache_dir: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("interactions:\n- request: {method: GET}\nversion: 1\n")
    for _ in range(2):
        with pytest.raises(CassetteFormatError, match=r"bad\.yaml"):
            load_cassette(path)
    assert _entries(cache_dir) == []


def test_an_unwritable_cache_dir_only_costs_the_speed_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv(cache_module.CACHE_DIR_ENV, str(blocker / "cache"))
    path = tmp_path / "c.yaml"
    path.write_text(dumps(_every_kind()))
    assert load_cassette(path) == _every_kind()


def test_processes_loading_one_cassette_at_once_agree(tmp_path: Path, cache_dir: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(dumps(_every_kind() * 200))
    script = (
        "import sys; from aiotape.cassettes import load_cassette; "
        "print(len(load_cassette(sys.argv[1])))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(path)], env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    outputs = [worker.communicate(timeout=60)[0].strip() for worker in workers]
    assert outputs == ["800"] * 4
    assert [e.name.endswith(".bin") for e in _entries(cache_dir)] == [True]
    assert load_cassette(path) == _every_kind() * 200


async def test_replay_from_the_cache_answers_like_the_server(
    httpbin: URL, tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "live.yaml"
    url = httpbin / "get" % {"q": "1"}
    async with aiotape.ClientSession() as session:
        with use_cassette(path, record_mode="once"):
            async with session.get(url) as live:
                expected = (live.status, await live.json())
        load_cassette(path)  # compiles it
        _forbid_parsing(monkeypatch)
        with use_cassette(path) as cassette:
            async with session.get(url) as replayed:
                assert (replayed.status, await replayed.json()) == expected
    assert cassette.play_count == 1
