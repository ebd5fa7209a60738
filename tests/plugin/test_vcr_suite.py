"""A realistic pytest-recording suite, run with aiotape installed beside it, then switched to it.

The suite uses vcr_config (filter_headers, decode_compressed_response, match_on with a custom
matcher registered by a conftest ``pytest_recording_configure``), ``default_cassette``, the
``vcr`` marker with an extra cassette and the ``vcr`` fixture's Cassette API. It records
against a real aiohttp.web service, then replays with the network blocked. Cassettes go both
ways: vcrpy records and aiotape replays, aiotape records and vcrpy replays.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.plugin.vcr_suite_service import Service, running_service

pytest_plugins = ["pytester"]

INI = """
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
"""

CONFTEST = """
import pytest


def same_tenant(r1, r2):
    assert r1.headers.get("X-Tenant") == r2.headers.get("X-Tenant"), "tenant differs"


def pytest_recording_configure(config, vcr):
    vcr.register_matcher("same_tenant", same_tenant)


@pytest.fixture(scope="module")
def vcr_config():
    return {
        "filter_headers": ["authorization"],
        "decode_compressed_response": True,
        "match_on": ["method", "scheme", "host", "port", "path", "query", "same_tenant"],
    }
"""

SUITE = """
import os

import pytest
{import_line}

URL = os.environ["SERVICE_URL"]


def replaying(request):
    return request.config.getoption("--record-mode") in (None, "none")


async def get_items(tenant):
    headers = {{"Authorization": "Bearer s3cret", "X-Tenant": tenant}}
    async with aiohttp.ClientSession(headers=headers) as session:
        async with session.get(URL + "/items") as response:
            assert response.status == 200
            return await response.json()


async def greet(name):
    async with aiohttp.ClientSession() as session:
        async with session.get(URL + "/hello/" + name) as response:
            return await response.text()


@pytest.mark.vcr
async def test_items(vcr, request):
    assert await get_items("acme") == {{"items": [1, 2, 3], "tenant": "acme"}}
    if replaying(request):
        assert vcr.play_count == 1 and vcr.all_played
        assert [r.path for r in vcr.requests] == ["/items"]
        assert vcr.responses[0]["status"]["code"] == 200


@pytest.mark.vcr
@pytest.mark.default_cassette("greetings.yaml")
async def test_greeting():
    assert await greet("ann") == "hello ann"


@pytest.mark.vcr("greetings.yaml")
async def test_greeting_from_extra_cassette():
    assert await greet("ann") == "hello ann"
"""

AIOHTTP = "import aiohttp"
AIOTAPE = "import aiotape as aiohttp"
WITHOUT_RECORDING = ("-p", "no:recording")


@pytest.fixture
def service(monkeypatch: pytest.MonkeyPatch) -> Iterator[Service]:
    with running_service() as running:
        monkeypatch.setenv("SERVICE_URL", running.url)
        yield running


def _suite(pytester: pytest.Pytester, import_line: str) -> None:
    pytester.makeini(INI)
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_api=SUITE.format(import_line=import_line))


def _record(pytester: pytest.Pytester, *args: str) -> None:
    result = pytester.runpytest_subprocess(
        "--record-mode=once", "-k", "not extra", "-p", "no:cacheprovider", *args
    )
    result.assert_outcomes(passed=2)


def _replay(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    result = pytester.runpytest_subprocess("--block-network", "-p", "no:cacheprovider", *args)
    result.assert_outcomes(passed=3)
    return result


def _cassettes(pytester: pytest.Pytester) -> dict[str, bytes]:
    directory = pytester.path / "cassettes" / "test_api"
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir())}


def _items_response(pytester: pytest.Pytester) -> dict[str, object]:
    path = pytester.path / "cassettes" / "test_api" / "test_items.yaml"
    [interaction] = yaml.safe_load(path.read_text())["interactions"]
    assert "s3cret" not in path.read_text()
    response: dict[str, object] = interaction["response"]
    return response


def _header_names(response: dict[str, object]) -> set[str]:
    headers = response["headers"]
    assert isinstance(headers, dict)
    return {name.lower() for name in headers}


def test_unchanged_aiohttp_suite_stays_green_beside_pytest_recording(
    pytester: pytest.Pytester, service: Service
) -> None:
    _suite(pytester, AIOHTTP)
    _record(pytester)
    assert service.hits == ["/items", "/hello/ann"]
    recorded = _cassettes(pytester)
    assert sorted(recorded) == ["greetings.yaml", "test_items.yaml"]
    response = _items_response(pytester)
    assert "content-encoding" not in _header_names(response)
    _replay(pytester)
    assert service.hits == ["/items", "/hello/ann"]
    assert _cassettes(pytester) == recorded  # aiotape wrote nothing


@pytest.mark.parametrize("args", [(), WITHOUT_RECORDING], ids=["beside", "alone"])
def test_switched_suite_replays_what_vcrpy_recorded(
    pytester: pytest.Pytester, service: Service, args: tuple[str, ...]
) -> None:
    _suite(pytester, AIOHTTP)
    _record(pytester)
    recorded = _cassettes(pytester)
    _suite(pytester, AIOTAPE)
    _replay(pytester, *args)
    assert service.hits == ["/items", "/hello/ann"]
    assert _cassettes(pytester) == recorded


@pytest.mark.parametrize("args", [(), WITHOUT_RECORDING], ids=["beside", "alone"])
def test_what_the_switched_suite_records_replays_in_vcrpy(
    pytester: pytest.Pytester, service: Service, args: tuple[str, ...]
) -> None:
    _suite(pytester, AIOTAPE)
    _record(pytester, *args)
    assert service.hits == ["/items", "/hello/ann"]
    response = _items_response(pytester)
    assert "content-encoding" not in _header_names(response)
    body = response["body"]
    assert isinstance(body, dict) and '"items": [1, 2, 3]' in body["string"]
    _replay(pytester, *args)
    _suite(pytester, AIOHTTP)
    _replay(pytester)
    assert service.hits == ["/items", "/hello/ann"]


def test_a_recorded_cassette_is_never_rewritten_by_replays(
    pytester: pytest.Pytester, service: Service
) -> None:
    _suite(pytester, AIOTAPE)
    _record(pytester)
    recorded = _cassettes(pytester)
    _replay(pytester)
    _replay(pytester, *WITHOUT_RECORDING)
    assert _cassettes(pytester) == recorded
    assert [Path(name).suffix for name in recorded] == [".yaml", ".yaml"]


VCRPY_ONLY_CONFTEST = """
import pytest


def pytest_recording_configure(config, vcr):
    if type(vcr).__module__ == "vcr.config":  # registered on vcrpy's VCR only
        vcr.register_matcher("vcrpy_only", lambda r1, r2: True)


@pytest.fixture(scope="module")
def vcr_config():
    return {"match_on": ["method", "uri", "vcrpy_only"], "custom_patches": ()}
"""


def test_a_cassette_only_vcrpy_can_open_fails_aiotape_requests_only(
    pytester: pytest.Pytester, service: Service
) -> None:
    _suite(pytester, AIOHTTP)
    pytester.makeconftest(VCRPY_ONLY_CONFTEST)
    _record(pytester)
    _replay(pytester)
    _suite(pytester, AIOTAPE)
    pytester.makeconftest(VCRPY_ONLY_CONFTEST)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-k", "test_greeting")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*unknown matcher 'vcrpy_only'*"])
