"""The pytest plugin: options, markers, fixtures and record modes, driven through pytester."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest
import yaml

from tests.plugin.inner import INI, LiveServer

pytest_plugins = ["pytester"]


def _inner_test(pytester: pytest.Pytester, url: str, body: str = "", header: str = "") -> None:
    pytester.makeini(INI)
    pytester.makepyfile(
        test_inner=f"""
import pytest
import aiotape

URL = {url!r}

async def fetch(path="/hello"):
    async with aiotape.ClientSession() as session:
        async with session.get(URL + path) as resp:
            return await resp.text()

{header}
@pytest.mark.vcr
async def test_hello():
    assert await fetch() == "hello /hello"
{body}
"""
    )


def _cassette(pytester: pytest.Pytester, name: str = "test_hello") -> Path:
    return pytester.path / "cassettes" / "test_inner" / f"{name}.yaml"


def test_record_once_then_replay_offline(
    pytester: pytest.Pytester, live_server: LiveServer
) -> None:
    _inner_test(pytester, live_server.url)
    pytester.runpytest("--record-mode=once").assert_outcomes(passed=1)
    assert _cassette(pytester).exists()
    pytester.runpytest().assert_outcomes(passed=1)
    assert live_server.hits == ["/hello"]


def test_missing_cassette_fails_with_the_command_to_record_it(
    pytester: pytest.Pytester, live_server: LiveServer
) -> None:
    _inner_test(pytester, live_server.url)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            f"*No recorded interaction matches GET {live_server.url}/hello*",
            "*does not exist yet*",
            "*pytest --record-mode=once test_inner.py::test_hello*",
        ]
    )
    assert live_server.hits == []


def test_swallowed_unmatched_request_fails_the_test_at_teardown(
    pytester: pytest.Pytester, live_server: LiveServer
) -> None:
    _inner_test(
        pytester,
        live_server.url,
        body="""
@pytest.mark.vcr
async def test_swallows():
    try:
        await fetch("/other")
    except Exception:
        pass
""",
    )
    pytester.runpytest("--record-mode=once", "-k", "test_hello").assert_outcomes(passed=1)
    result = pytester.runpytest("-k", "test_swallows")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*1 request did not match the cassette*", "*GET */other*"])


def test_existing_cassette_in_once_mode_suggests_new_episodes_or_rewrite(
    pytester: pytest.Pytester, live_server: LiveServer
) -> None:
    _inner_test(pytester, live_server.url)
    pytester.runpytest("--record-mode=once").assert_outcomes(passed=1)
    pytester.makepyfile(
        test_inner=Path(pytester.path / "test_inner.py")
        .read_text()
        .replace('fetch() == "hello /hello"', 'fetch("/changed") == "hello /changed"')
    )
    result = pytester.runpytest("--record-mode=once")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*closest recorded: #0 GET */hello (differs in path)*",
            "*pytest --record-mode=new_episodes test_inner.py::test_hello*",
            "*pytest --record-mode=rewrite test_inner.py::test_hello*",
        ]
    )


def test_rewrite_mode_replaces_the_cassette(
    pytester: pytest.Pytester, live_server: LiveServer
) -> None:
    _inner_test(pytester, live_server.url)
    pytester.runpytest("--record-mode=once").assert_outcomes(passed=1)
    pytester.runpytest("--record-mode=rewrite").assert_outcomes(passed=1)
    interactions = yaml.safe_load(_cassette(pytester).read_text())["interactions"]
    assert [i["response"]["headers"]["X-Hit"] for i in interactions] == [["2"]]


def test_marker_record_mode_overrides_the_command_line(
    pytester: pytest.Pytester, live_server: LiveServer
) -> None:
    _inner_test(
        pytester,
        live_server.url,
        body="""
@pytest.mark.vcr(record_mode="once")
async def test_marked():
    assert await fetch("/marked") == "hello /marked"
""",
    )
    pytester.runpytest("-k", "test_marked").assert_outcomes(passed=1)
    assert _cassette(pytester, "test_marked").exists()


def test_vcr_config_fixture_sets_cassette_options(
    pytester: pytest.Pytester, live_server: LiveServer
) -> None:
    _inner_test(pytester, live_server.url)
    pytester.makeconftest(
        """
import pytest

@pytest.fixture
def vcr_config():
    return {"filter_headers": ["User-Agent"], "record_mode": "once"}
"""
    )
    pytester.runpytest().assert_outcomes(passed=1)
    headers = yaml.safe_load(_cassette(pytester).read_text())["interactions"][0]["request"]
    assert "User-Agent" not in headers["headers"]


def test_extra_cassettes_from_the_marker_are_replayed(
    pytester: pytest.Pytester, live_server: LiveServer
) -> None:
    _inner_test(
        pytester,
        live_server.url,
        body="""
@pytest.mark.vcr("test_hello.yaml")
async def test_shared():
    assert await fetch() == "hello /hello"
""",
    )
    pytester.runpytest("--record-mode=once", "-k", "test_hello").assert_outcomes(passed=1)
    pytester.runpytest("-k", "test_shared").assert_outcomes(passed=1)
    assert live_server.hits == ["/hello"]


def test_aiotape_cassette_fixture_is_the_active_cassette(
    pytester: pytest.Pytester, live_server: LiveServer
) -> None:
    _inner_test(
        pytester,
        live_server.url,
        body="""
@pytest.mark.vcr
@pytest.mark.default_cassette("test_hello")
async def test_counts(aiotape_cassette):
    await fetch()
    assert aiotape_cassette.play_count == 1 and aiotape_cassette.all_played
""",
    )
    pytester.runpytest("--record-mode=once", "-k", "test_hello").assert_outcomes(passed=1)
    pytester.runpytest("-k", "test_counts").assert_outcomes(passed=1)


def test_vcr_fixture_is_the_aiotape_cassette(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(
        """
import pytest

@pytest.mark.vcr
def test_alias(vcr, aiotape_cassette):
    assert vcr is aiotape_cassette is not None
"""
    )
    pytester.runpytest("-p", "no:recording").assert_outcomes(passed=1)


def test_cassette_dir_fixture_can_be_overridden(
    pytester: pytest.Pytester, live_server: LiveServer
) -> None:
    _inner_test(pytester, live_server.url)
    pytester.makeconftest(
        """
import pytest

@pytest.fixture(scope="module")
def vcr_cassette_dir():
    return "recorded"
"""
    )
    pytester.runpytest("--record-mode=once").assert_outcomes(passed=1)
    assert (pytester.path / "recorded" / "test_hello.yaml").exists()


def test_block_network_refuses_real_connections(
    pytester: pytest.Pytester, live_server: LiveServer
) -> None:
    _inner_test(
        pytester,
        live_server.url,
        body="""
async def test_unmarked():
    await fetch("/unmarked")
""",
    )
    result = pytester.runpytest("--block-network", "-k", "test_unmarked")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*Network is disabled*127.0.0.1*"])
    assert live_server.hits == []


def test_allowed_hosts_let_connections_through_a_blocked_network(
    pytester: pytest.Pytester, live_server: LiveServer
) -> None:
    _inner_test(
        pytester,
        live_server.url,
        body="""
async def test_unmarked():
    await fetch("/unmarked")
""",
    )
    args = ("--block-network", "--allowed-hosts=127\\.0\\.0\\.1", "-k", "test_unmarked")
    pytester.runpytest(*args).assert_outcomes(passed=1)


def test_recording_tests_may_use_the_network_when_blocked(
    pytester: pytest.Pytester, live_server: LiveServer
) -> None:
    _inner_test(pytester, live_server.url)
    pytester.runpytest("--block-network", "--record-mode=once").assert_outcomes(passed=1)
    assert live_server.hits == ["/hello"]


def test_two_xdist_workers_add_to_one_cassette_without_losing_interactions(
    pytester: pytest.Pytester, live_server: LiveServer
) -> None:
    tests = "\n".join(
        f"""
@pytest.mark.vcr
@pytest.mark.default_cassette("shared")
async def test_{n}():
    assert await fetch("/{n}") == "hello /{n}"
"""
        for n in range(6)
    )
    _inner_test(pytester, live_server.url, body=tests)
    result = pytester.runpytest_subprocess(
        "-n", "2", "--record-mode=new_episodes", "-k", "not test_hello", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=6)
    interactions = yaml.safe_load(_cassette(pytester, "shared").read_text())["interactions"]
    assert sorted(i["request"]["uri"] for i in interactions) == sorted(
        f"{live_server.url}/{n}" for n in range(6)
    )


def test_plugin_loads_alongside_pytest_recording(
    pytester: pytest.Pytester, live_server: LiveServer
) -> None:
    spec = importlib.util.find_spec("pytest_recording")
    if spec is None or spec.origin is None:
        pytest.skip("pytest-recording is not installed")
    site = Path(spec.origin).parent.parent
    _inner_test(pytester, live_server.url)
    env_path = os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))
    pytester._monkeypatch.setenv("PYTHONPATH", env_path)
    result = pytester.runpytest_subprocess("--record-mode=once", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert live_server.hits == ["/hello"]


def test_overlong_test_names_get_a_hashed_cassette_file_name(
    pytester: pytest.Pytester, live_server: LiveServer
) -> None:
    _inner_test(
        pytester,
        live_server.url,
        body=f"""
@pytest.mark.vcr
@pytest.mark.parametrize("suffix", ["x"], ids=["{"x" * 300}"])
async def test_long(suffix):
    assert await fetch() == "hello /hello"
""",
    )
    pytester.runpytest("--record-mode=once", "-k", "test_long").assert_outcomes(passed=1)
    [path] = (pytester.path / "cassettes" / "test_inner").iterdir()
    assert len(path.name) == 255 and path.name.startswith("test_long[xxx")
