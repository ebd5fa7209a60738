"""What a suite pays per cassette: options compiled once, no YAML on a cache hit, no garbage
cycle left behind (so nothing waits for the cyclic collector)."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from aiotape.cassettes import (
    Cassette,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    dumps,
    load_cassette,
)
from aiotape.cassettes import cache as cache_module
from aiotape.cassettes.matching import DEFAULT_MATCH_ON, MATCHERS, MatchRule, uri_parts

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def cassette_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(cache_module.CACHE_DIR_ENV, str(tmp_path / "cache"))
    path = tmp_path / "one.yaml"
    request = RecordedRequest("GET", "http://api.test/a", (("Accept", "*/*"),))
    response = RecordedResponse(200, "OK", (("Content-Type", "text/plain"),), (b"hi",), (0.1,))
    path.write_text(dumps([Interaction(request, response, elapsed=0.05)]))
    return path


@pytest.fixture
def collector_off() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def test_equal_options_given_afresh_share_one_compiled_form(cassette_file: Path) -> None:
    def options() -> dict[str, object]:
        return {"filter_headers": ["authorization", ("x-key", "KEY")], "match_on": ["method"]}

    first, second = Cassette(cassette_file, **options()), Cassette(cassette_file, **options())
    assert first._filters is second._filters
    assert first._live is second._live


def test_different_options_never_share_a_compiled_form(cassette_file: Path) -> None:
    live = RecordedRequest("GET", "http://api.test/a", (("X-Key", "secret"),))
    kept = Cassette(cassette_file, filter_headers=["other"])._filters.request(live)
    replaced = Cassette(cassette_file, filter_headers=[("x-key", "KEY")])._filters.request(live)
    assert kept is not None and kept.headers == (("X-Key", "secret"),)
    assert replaced is not None and replaced.headers == (("X-Key", "KEY"),)


def test_an_unhashable_option_still_builds_its_cassette(cassette_file: Path) -> None:
    class Opaque:
        __hash__ = None  # type: ignore[assignment]

        def __call__(self, request: object) -> object:
            return request

    cassette = Cassette(cassette_file, before_record_request=[Opaque()])
    assert len(cassette._filters.request_hooks) == 1


def test_a_cassette_is_freed_without_the_cyclic_collector(
    cassette_file: Path, collector_off: None
) -> None:
    cassette = Cassette(cassette_file)
    with cassette:
        pass
    gone = weakref.ref(cassette)
    del cassette
    assert gone() is None


def test_a_cache_hit_never_imports_the_yaml_parser(cassette_file: Path) -> None:
    assert len(load_cassette(cassette_file)) == 1  # compiles the cassette into the cache
    script = (
        "import sys\nfrom aiotape.cassettes import Cassette\n"
        f"cassette = Cassette({str(cassette_file)!r})\n"
        "assert len(cassette._playback) == 1\n"
        "print('yaml' in sys.modules, 'aiotape.cassettes.format' in sys.modules)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False"]


@pytest.mark.parametrize(
    "uri",
    [
        "http://api.test/a",
        "https://api.test:8443/a/b?z=1&a=2&a=1",
        "http://api.test/?api_key=secret&q=x",
        "http://API.test/caf%C3%A9?q=%20",
        "ws://[::1]:9000/socket",
    ],
)
def test_the_default_rule_keys_as_its_matchers_do_one_by_one(uri: str) -> None:
    request = RecordedRequest("get", uri)
    parts = uri_parts(uri)
    expected = tuple(MATCHERS[name](request, parts) for name in DEFAULT_MATCH_ON)
    assert MatchRule.compile(DEFAULT_MATCH_ON).key(request) == expected
    assert MatchRule.compile([*DEFAULT_MATCH_ON, "uri"]).key(request)[:-1] == expected
