"""vcrpy's configuration on aiotape cassettes: every option name, and what each one does."""

from __future__ import annotations

import inspect
import json
import warnings
from pathlib import Path
from typing import Any

import pytest
import vcr as vcrpy
import yaml
from yarl import URL

import aiotape
from aiotape.cassettes import Cassette, UnmatchedRequestError, load_cassette, use_cassette
from aiotape.cassettes.vcr import VCR
from aiotape.cassettes.vcr_config import IGNORED_OPTIONS, VCR_OPTIONS
from aiotape.cassettes.vcr_shapes import VcrRequest


async def _get(url: URL | str, **kwargs: Any) -> tuple[int, bytes]:
    async with aiotape.ClientSession() as session:
        async with session.get(url, **kwargs) as response:
            return response.status, await response.read()


def _vcrpy_option_names() -> set[str]:
    names = set(inspect.signature(vcrpy.VCR.__init__).parameters) - {"self"}
    source = inspect.getsource(vcrpy.VCR.get_merged_config)
    names.update(
        name for name in ("allow_playback_repeats", "additional_matchers", "path") if name in source
    )
    return names


def test_every_vcrpy_option_name_is_known() -> None:
    assert _vcrpy_option_names() <= VCR_OPTIONS


@pytest.mark.parametrize("name", sorted(IGNORED_OPTIONS))
def test_an_option_meaning_nothing_here_warns_naming_it(tmp_path: Path, name: str) -> None:
    with pytest.warns(UserWarning, match=f"'{name}'"):
        Cassette(tmp_path / "c.yaml", **{name: ()})


def test_an_unknown_option_is_a_type_error(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="'decode_compresed_response'"):
        Cassette(tmp_path / "c.yaml", decode_compresed_response=True)


async def test_vcrpy_defaults_are_accepted_silently(tmp_path: Path, httpbin: URL) -> None:
    implemented = {
        "record_mode": "once",
        "match_on": ("method", "scheme", "host", "port", "path", "query"),
        "before_record": None,
        "additional_matchers": (),
        "path_transformer": None,
        "cassette_library_dir": tmp_path,
        "serializer": "yaml",
        "decode_compressed_response": False,
        "record_on_exception": True,
        "drop_unused_requests": False,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with use_cassette("c.yaml", **implemented):
            status, _ = await _get(httpbin / "get")
    assert status == 200 and len(load_cassette(tmp_path / "c.yaml")) == 1


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br"])
async def test_decode_compressed_response_stores_the_decoded_body(
    tmp_path: Path, httpbin: URL, coding: str
) -> None:
    path = tmp_path / "c.yaml"
    with use_cassette(path, record_mode="once", decode_compressed_response=True):
        live = await _get(httpbin / "encoded" / coding)
    response = yaml.safe_load(path.read_text())["interactions"][0]["response"]
    headers = {name.lower(): values for name, values in response["headers"].items()}
    assert "content-encoding" not in headers
    assert headers["content-length"] == [str(len(response["body"]["string"]))]
    assert json.loads(response["body"]["string"]) == {"encoded": coding}
    with use_cassette(path):
        assert await _get(httpbin / "encoded" / coding) == live


async def test_json_serializer_writes_json_that_replays(tmp_path: Path, httpbin: URL) -> None:
    path = tmp_path / "c.json"
    with use_cassette(path, record_mode="once", serializer="json"):
        live = await _get(httpbin / "get", params={"q": "1"})
    document = json.loads(path.read_text())
    assert document["version"] == 1
    assert document["interactions"][0]["request"]["uri"].endswith("/get?q=1")
    with use_cassette(path, serializer="json"):
        assert await _get(httpbin / "get", params={"q": "1"}) == live


async def test_registered_serializer_is_used_by_name(tmp_path: Path, httpbin: URL) -> None:
    class Upper:
        @staticmethod
        def serialize(cassette_dict: dict[str, Any]) -> str:
            return "# upper\n" + json.dumps(cassette_dict)

        @staticmethod
        def deserialize(text: str) -> Any:
            assert text.startswith("# upper\n")
            return json.loads(text.split("\n", 1)[1])

    my_vcr = VCR(cassette_library_dir=tmp_path, serializer="upper")
    my_vcr.register_serializer("upper", Upper())
    with my_vcr.use_cassette("c", record_mode="once"):
        live = await _get(httpbin / "get")
    assert (tmp_path / "c").read_text().startswith("# upper\n")
    with my_vcr.use_cassette("c"):
        assert await _get(httpbin / "get") == live


def test_path_transformer_runs_before_the_library_dir(tmp_path: Path) -> None:
    cassette = Cassette(
        "name",
        path_transformer=VCR.ensure_suffix(".yaml"),
        cassette_library_dir=tmp_path,
    )
    assert cassette.path == tmp_path / "name.yaml"


async def test_registered_matcher_decides_between_candidates(tmp_path: Path, httpbin: URL) -> None:
    seen: list[tuple[str, str]] = []

    def same_tenant(r1: VcrRequest, r2: VcrRequest) -> None:
        seen.append((r1.path, r2.host or ""))
        assert r1.headers["x-tenant"] == r2.headers["X-Tenant"]

    my_vcr = VCR(cassette_library_dir=tmp_path, match_on=["method", "path", "same_tenant"])
    my_vcr.register_matcher("same_tenant", same_tenant)
    with my_vcr.use_cassette("c.yaml", record_mode="once"):
        for tenant in ("a", "b"):
            await _get(httpbin / "anything", headers={"X-Tenant": tenant})
    with my_vcr.use_cassette("c.yaml") as cassette:
        _, body = await _get(httpbin / "anything", headers={"X-Tenant": "b"})
        assert json.loads(body)["headers"]["X-Tenant"] == "b"
        with pytest.raises(UnmatchedRequestError, match="same_tenant"):
            await _get(httpbin / "anything", headers={"X-Tenant": "c"})
    assert cassette.play_count == 1
    assert ("/anything", "127.0.0.1") in seen


async def test_a_matcher_returning_false_does_not_match(tmp_path: Path, httpbin: URL) -> None:
    with use_cassette(tmp_path / "c.yaml", record_mode="once"):
        await _get(httpbin / "get")
    with use_cassette(tmp_path / "c.yaml", match_on=["method", lambda r1, r2: False]):
        with pytest.raises(UnmatchedRequestError):
            await _get(httpbin / "get")


async def test_ignored_hosts_go_to_the_network_even_when_replaying(
    tmp_path: Path, httpbin: URL
) -> None:
    with use_cassette(tmp_path / "c.yaml", ignore_localhost=True) as cassette:
        assert (await _get(httpbin / "get"))[0] == 200
    with use_cassette(tmp_path / "d.yaml", ignore_hosts=["127.0.0.1"]):
        assert (await _get(httpbin / "get"))[0] == 200
    assert not cassette.saw_traffic
    assert not (tmp_path / "c.yaml").exists()


async def test_record_on_exception_false_saves_nothing_when_the_block_raises(
    tmp_path: Path, httpbin: URL
) -> None:
    with pytest.raises(RuntimeError):
        with use_cassette(tmp_path / "c.yaml", record_mode="once", record_on_exception=False):
            await _get(httpbin / "get")
            raise RuntimeError("boom")
    assert not (tmp_path / "c.yaml").exists()
    with pytest.raises(RuntimeError):
        with use_cassette(tmp_path / "c.yaml", record_mode="once"):
            await _get(httpbin / "get")
            raise RuntimeError("boom")
    assert len(load_cassette(tmp_path / "c.yaml")) == 1


async def test_drop_unused_requests_keeps_only_what_played(tmp_path: Path, httpbin: URL) -> None:
    path = tmp_path / "c.yaml"
    with use_cassette(path, record_mode="once"):
        await _get(httpbin / "get", params={"n": "1"})
        await _get(httpbin / "get", params={"n": "2"})
    with use_cassette(path, record_mode="new_episodes", drop_unused_requests=True):
        await _get(httpbin / "get", params={"n": "2"})
        await _get(httpbin / "get", params={"n": "3"})
    assert [URL(i.request.uri).query["n"] for i in load_cassette(path)] == ["2", "3"]
    before = path.read_bytes()
    with use_cassette(path, drop_unused_requests=True):
        pass  # no traffic (e.g. the test's client is patched by vcrpy): the file is left alone
    assert path.read_bytes() == before


async def test_before_record_request_gets_a_mutable_vcrpy_request(
    tmp_path: Path, httpbin: URL
) -> None:
    seen: dict[str, object] = {}

    def scrub(request: VcrRequest) -> VcrRequest | None:
        seen.update(method=request.method, host=request.host, path=request.path)
        seen.update(query=request.query, url=request.url == request.uri)
        if request.path == "/status/204":
            return None
        request.headers.pop("x-secret")
        request.headers["X-Added"] = "1"
        request.body = "scrubbed"
        return request

    path = tmp_path / "c.yaml"
    with use_cassette(path, record_mode="once", before_record_request=scrub):
        async with aiotape.ClientSession() as session:
            await session.post(
                httpbin / "post",
                params={"b": "2", "a": "1"},
                data=b"secret",
                headers={"X-Secret": "s"},
            )
            await session.get(httpbin / "status/204")
    [stored] = load_cassette(path)
    assert stored.request.header("X-Secret") is None and stored.request.header("x-added") == "1"
    assert stored.request.body == b"scrubbed"
    assert seen["query"] == [("a", "1"), ("b", "2")] and seen["url"] is True


async def test_before_record_response_gets_vcrpys_mutable_dict(
    tmp_path: Path, httpbin: URL
) -> None:
    def scrub(response: dict[str, Any]) -> dict[str, Any]:
        assert response["status"]["code"] == 200
        response["headers"]["X-Scrubbed"] = ["yes"]
        response["body"]["string"] = b'{"scrubbed": true}'
        return response

    path = tmp_path / "c.yaml"
    with use_cassette(path, record_mode="once", before_record_response=scrub):
        await _get(httpbin / "get")
    with use_cassette(path):
        async with aiotape.ClientSession() as session:
            async with session.get(httpbin / "get") as response:
                assert await response.json() == {"scrubbed": True}
                assert response.headers["X-Scrubbed"] == "yes"


async def test_vcr_api_lists_requests_and_responses(tmp_path: Path, httpbin: URL) -> None:
    with use_cassette(tmp_path / "c.yaml", record_mode="once"):
        await _get(httpbin / "get")
    with use_cassette(tmp_path / "c.yaml") as cassette:
        assert cassette.play_count == 0 and not cassette.all_played
        await _get(httpbin / "get")
    assert cassette.play_count == 1 and cassette.all_played
    assert [r.path for r in cassette.requests] == ["/get"]
    [response] = cassette.responses
    assert response is not None and response["status"]["code"] == 200
    assert len(cassette.data) == 1
