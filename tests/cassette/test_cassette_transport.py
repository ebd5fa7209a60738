"""Cassettes at the transport seam: record through a scripted inner transport, then replay."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
import yarl
from multidict import CIMultiDict, CIMultiDictProxy

from aiotape.cassettes import (
    Cassette,
    CassetteFormatError,
    Interaction,
    RecordedError,
    RecordedRequest,
    RecordedResponse,
    UnmatchedRequestError,
    dumps,
    load_cassette,
)
from aiotape.cassettes.vcr_shapes import VcrRequest
from aiotape.client.exceptions import (
    ClientConnectorDNSError,
    ClientConnectorError,
    ClientPayloadError,
    ConnectionTimeoutError,
    ServerDisconnectedError,
    SocketTimeoutError,
)
from aiotape.client.timeouts import ClientTimeout
from aiotape.client.transport import ChunkedBody, Request, Response, WebSocketChannel

URL = "http://api.test/items"


@dataclass
class Scripted:
    """An inner transport answering from a script of (chunks, error) per call, in order."""

    answers: list[tuple[int, Sequence[bytes], BaseException | None]] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)

    async def handle(self, request: Request) -> Response:
        self.requests.append(request)
        if isinstance(request.body, bytes):
            self.bodies.append(request.body)
        else:
            self.bodies.append(b"".join([chunk async for chunk in request.body]))
        status, chunks, error = self.answers.pop(0)
        if status == 0:
            assert error is not None
            raise error
        headers = CIMultiDictProxy(CIMultiDict({"Content-Type": "text/plain"}))
        return Response(status, "OK", headers, ChunkedBody(list(chunks), error))

    async def connect_ws(self, request: Request, **options: object) -> WebSocketChannel:
        raise NotImplementedError

    async def aclose(self) -> None:
        """Nothing to release."""


def _request(
    url: str = URL,
    method: str = "GET",
    *,
    headers: dict[str, str] | None = None,
    timeout: ClientTimeout | None = None,
    body: bytes | AsyncIterator[bytes] = b"",
) -> Request:
    now = asyncio.get_running_loop().time()
    timeout = timeout or ClientTimeout()
    limit = now + timeout.total if timeout.total else None
    return Request.build(
        method, url, headers or {}, body=body, timeout=timeout, started=now, deadline=limit
    )


async def _read(response: Response) -> list[bytes]:
    chunks = []
    while chunk := await response.body.read_chunk():
        chunks.append(chunk)
    return chunks


def _write(path: Path, *interactions: Interaction) -> Path:
    path.write_text(dumps(interactions), encoding="utf-8")
    return path


def _ok(url: str = URL, body: bytes = b"ok") -> Interaction:
    return Interaction(
        RecordedRequest("GET", url), RecordedResponse(200, "OK", (("X", "1"),), (body,))
    )


async def test_recorded_exchange_replays_with_the_same_chunk_boundaries(tmp_path: Path) -> None:
    inner = Scripted([(200, [b"ab", b"c", b"def"], None)])
    with Cassette(tmp_path / "c.yaml", record_mode="once") as cassette:
        recorded = await _read(await cassette.handle(_request(), inner))
    replayer = Cassette(tmp_path / "c.yaml")
    replayed = await _read(await replayer.handle(_request(), Scripted()))
    assert recorded == replayed == [b"ab", b"c", b"def"]


async def test_streamed_request_body_is_captured_as_sent(tmp_path: Path) -> None:
    async def upload() -> AsyncIterator[bytes]:
        yield b"part1-"
        yield b"part2"

    inner = Scripted([(200, [b"ok"], None)])
    with Cassette(tmp_path / "c.yaml", record_mode="once") as cassette:
        await _read(await cassette.handle(_request(method="POST", body=upload()), inner))
    assert inner.bodies == [b"part1-part2"]
    assert load_cassette(tmp_path / "c.yaml")[0].request.body == b"part1-part2"


async def test_identical_requests_replay_in_recorded_order(tmp_path: Path) -> None:
    path = _write(tmp_path / "c.yaml", _ok(body=b"first"), _ok(body=b"second"))
    cassette = Cassette(path)
    answers = [await _read(await cassette.handle(_request(), Scripted())) for _ in range(2)]
    assert answers == [[b"first"], [b"second"]]


async def test_concurrent_identical_requests_get_distinct_answers(tmp_path: Path) -> None:
    path = _write(tmp_path / "c.yaml", *(_ok(body=str(i).encode()) for i in range(5)))
    cassette = Cassette(path)

    async def one() -> list[bytes]:
        return await _read(await cassette.handle(_request(), Scripted()))

    answers = await asyncio.gather(*(one() for _ in range(5)))
    assert sorted(b"".join(a) for a in answers) == [b"0", b"1", b"2", b"3", b"4"]


async def test_exhausted_interactions_are_unmatched_without_playback_repeats(
    tmp_path: Path,
) -> None:
    cassette = Cassette(_write(tmp_path / "c.yaml", _ok()))
    await cassette.handle(_request(), Scripted())
    with pytest.raises(UnmatchedRequestError, match="already played"):
        await cassette.handle(_request(), Scripted())


async def test_playback_repeats_replay_the_first_matching_interaction(tmp_path: Path) -> None:
    path = _write(tmp_path / "c.yaml", _ok(body=b"1"), _ok(body=b"2"))
    cassette = Cassette(path, allow_playback_repeats=True)
    answers = [
        b"".join(await _read(await cassette.handle(_request(), Scripted()))) for _ in range(4)
    ]
    assert answers == [b"1", b"1", b"1", b"1"]  # vcrpy's rule


async def test_query_order_does_not_matter_by_default(tmp_path: Path) -> None:
    cassette = Cassette(_write(tmp_path / "c.yaml", _ok(URL + "?a=1&b=2")))
    response = await cassette.handle(_request(URL + "?b=2&a=1"), Scripted())
    assert response.status == 200


async def test_unmatched_request_names_request_cassette_closest_and_command(
    tmp_path: Path,
) -> None:
    path = _write(tmp_path / "c.yaml", _ok(URL + "?page=1"), _ok("http://other.test/x"))
    cassette = Cassette(path, test_id="tests/test_api.py::test_list")
    with pytest.raises(UnmatchedRequestError) as info:
        await cassette.handle(_request(URL + "?page=2"), Scripted())
    message = str(info.value)
    assert f"GET {URL}?page=2" in message
    assert str(path) in message
    assert f"closest recorded: #0 GET {URL}?page=1 (differs in query)" in message
    assert "pytest --record-mode=new_episodes tests/test_api.py::test_list" in message
    assert cassette.unmatched == [info.value]


async def test_missing_cassette_in_none_mode_suggests_recording_once(tmp_path: Path) -> None:
    cassette = Cassette(tmp_path / "c.yaml", test_id="t.py::test_x")
    with pytest.raises(UnmatchedRequestError, match="does not exist yet") as info:
        await cassette.handle(_request(), Scripted())
    assert "pytest --record-mode=once t.py::test_x" in str(info.value)


async def test_match_on_json_body_ignores_key_order(tmp_path: Path) -> None:
    recorded = Interaction(
        RecordedRequest("POST", URL, (("Content-Type", "application/json"),), b'{"a":1,"b":2}'),
        RecordedResponse(201, "Created"),
    )
    cassette = Cassette(_write(tmp_path / "c.yaml", recorded), match_on=["method", "json_body"])
    body = json.dumps({"b": 2, "a": 1}).encode()
    response = await cassette.handle(_request(method="POST", body=body), Scripted())
    assert response.status == 201


async def test_custom_matcher_filters_candidates(tmp_path: Path) -> None:
    first = Interaction(
        RecordedRequest("GET", URL, (("X-Tenant", "a"),)), RecordedResponse(200, "A")
    )
    second = Interaction(
        RecordedRequest("GET", URL, (("X-Tenant", "b"),)), RecordedResponse(200, "B")
    )

    def same_tenant(live: VcrRequest, recorded: VcrRequest) -> bool:
        return live.headers.get("x-tenant") == recorded.headers.get("X-Tenant")

    cassette = Cassette(
        _write(tmp_path / "c.yaml", first, second), match_on=["method", same_tenant]
    )
    response = await cassette.handle(_request(headers={"X-Tenant": "b"}), Scripted())
    assert response.reason == "B"


def test_unknown_matcher_name_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown matcher 'nope'"):
        Cassette(tmp_path / "c.yaml", match_on=["nope"])


async def test_recorded_connect_failure_replays_as_the_same_class(tmp_path: Path) -> None:
    failure = Interaction(
        RecordedRequest("GET", URL),
        error=RecordedError("ClientConnectorError", "refused", "connect", 111, "refused"),
    )
    cassette = Cassette(_write(tmp_path / "c.yaml", failure))
    with pytest.raises(ClientConnectorError) as info:
        await cassette.handle(_request(), Scripted())
    assert (info.value.host, info.value.port, info.value.errno) == ("api.test", 80, 111)


async def test_failure_mid_body_replays_after_the_partial_chunks(tmp_path: Path) -> None:
    inner = Scripted([(200, [b"a", b"b"], ServerDisconnectedError())])
    with Cassette(tmp_path / "c.yaml", record_mode="once") as cassette:
        live = await cassette.handle(_request(), inner)
        with pytest.raises(ServerDisconnectedError):
            await _read(live)
    replayed = await Cassette(tmp_path / "c.yaml").handle(_request(), Scripted())
    assert [await replayed.body.read_chunk() for _ in range(2)] == [b"a", b"b"]
    with pytest.raises(ServerDisconnectedError, match="Server disconnected"):
        await replayed.body.read_chunk()


async def test_failure_before_the_head_is_recorded_and_replayed(tmp_path: Path) -> None:
    inner = Scripted([(0, [], SocketTimeoutError("Timeout on reading data from socket"))])
    with (
        Cassette(tmp_path / "c.yaml", record_mode="once") as cassette,
        pytest.raises(SocketTimeoutError),
    ):
        await cassette.handle(_request(), inner)
    [stored] = load_cassette(tmp_path / "c.yaml")
    assert stored.error is not None and (stored.error.type, stored.error.phase) == (
        "SocketTimeoutError",
        "head",
    )
    with pytest.raises(SocketTimeoutError, match="Timeout on reading data from socket"):
        await Cassette(tmp_path / "c.yaml").handle(_request(), Scripted())


async def test_recorded_latency_beyond_total_timeout_raises_timeout_error(tmp_path: Path) -> None:
    slow = Interaction(
        RecordedRequest("GET", URL), RecordedResponse(200, "OK", chunks=(b"x",)), elapsed=30.0
    )
    cassette = Cassette(_write(tmp_path / "c.yaml", slow))
    with pytest.raises(asyncio.TimeoutError):
        await cassette.handle(_request(timeout=ClientTimeout(total=1)), Scripted())


async def test_recorded_latency_within_timeouts_replays_normally(tmp_path: Path) -> None:
    slow = Interaction(
        RecordedRequest("GET", URL), RecordedResponse(200, "OK", chunks=(b"x",)), elapsed=30.0
    )
    cassette = Cassette(_write(tmp_path / "c.yaml", slow))
    response = await cassette.handle(_request(timeout=ClientTimeout(total=60)), Scripted())
    assert await _read(response) == [b"x"]


async def test_recorded_gap_between_chunks_beyond_sock_read_times_out_there(
    tmp_path: Path,
) -> None:
    gappy = Interaction(
        RecordedRequest("GET", URL),
        RecordedResponse(200, "OK", chunks=(b"a", b"b", b"c"), chunk_times=(0.1, 0.2, 5.0)),
        elapsed=0.05,
    )
    cassette = Cassette(_write(tmp_path / "c.yaml", gappy))
    response = await cassette.handle(_request(timeout=ClientTimeout(sock_read=1)), Scripted())
    assert [await response.body.read_chunk() for _ in range(2)] == [b"a", b"b"]
    with pytest.raises(SocketTimeoutError):
        await response.body.read_chunk()


async def test_body_released_early_while_recording_fails_only_when_read_past(
    tmp_path: Path,
) -> None:
    inner = Scripted([(200, [b"a", b"b"], None)])
    with Cassette(tmp_path / "c.yaml", record_mode="once") as cassette:
        live = await cassette.handle(_request(), inner)
        assert await live.body.read_chunk() == b"a"
        live.body.close()
    replayed = await Cassette(tmp_path / "c.yaml").handle(_request(), Scripted())
    assert await replayed.body.read_chunk() == b"a"
    with pytest.raises(ClientPayloadError, match="holds only the start of this body"):
        await replayed.body.read_chunk()


async def test_once_mode_with_existing_cassette_does_not_record(tmp_path: Path) -> None:
    path = _write(tmp_path / "c.yaml", _ok())
    inner = Scripted([(200, [b"live"], None)])
    with Cassette(path, record_mode="once") as cassette, pytest.raises(UnmatchedRequestError):
        await cassette.handle(_request("http://api.test/new"), inner)
    assert inner.requests == []


async def test_new_episodes_replays_matches_and_records_the_rest(tmp_path: Path) -> None:
    path = _write(tmp_path / "c.yaml", _ok(body=b"old"))
    inner = Scripted([(200, [b"new"], None)])
    with Cassette(path, record_mode="new_episodes") as cassette:
        old = await _read(await cassette.handle(_request(), inner))
        new = await _read(await cassette.handle(_request("http://api.test/new"), inner))
    assert (old, new) == ([b"old"], [b"new"])
    assert [i.request.uri for i in load_cassette(path)] == [URL, "http://api.test/new"]


async def test_all_mode_never_replays_and_appends(tmp_path: Path) -> None:
    path = _write(tmp_path / "c.yaml", _ok(body=b"old"))
    inner = Scripted([(200, [b"fresh"], None)])
    with Cassette(path, record_mode="all") as cassette:
        assert await _read(await cassette.handle(_request(), inner)) == [b"fresh"]
    assert [i.response.body for i in load_cassette(path) if i.response] == [b"old", b"fresh"]


async def test_rewrite_mode_starts_the_cassette_afresh(tmp_path: Path) -> None:
    path = _write(tmp_path / "c.yaml", _ok(body=b"old"))
    inner = Scripted([(200, [b"fresh"], None)])
    with Cassette(path, record_mode="rewrite") as cassette:
        await _read(await cassette.handle(_request(), inner))
    assert [i.response.body for i in load_cassette(path) if i.response] == [b"fresh"]


async def test_none_mode_never_writes(tmp_path: Path) -> None:
    path = _write(tmp_path / "c.yaml", _ok())
    before = path.read_bytes()
    with Cassette(path) as cassette:
        await _read(await cassette.handle(_request(), Scripted()))
    assert path.read_bytes() == before


async def test_concurrent_writer_content_is_kept_on_save(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    inner = Scripted([(200, [b"mine"], None)])
    with Cassette(path, record_mode="new_episodes") as cassette:
        await _read(await cassette.handle(_request("http://api.test/mine"), inner))
        _write(path, _ok("http://api.test/theirs"))  # another worker saved meanwhile
    uris = [i.request.uri for i in load_cassette(path)]
    assert uris == ["http://api.test/theirs", "http://api.test/mine"]


async def test_save_leaves_no_temporary_files(tmp_path: Path) -> None:
    inner = Scripted([(200, [b"x"], None)])
    with Cassette(tmp_path / "c.yaml", record_mode="once") as cassette:
        await _read(await cassette.handle(_request(), inner))
    assert [p.name for p in tmp_path.iterdir()] == ["c.yaml"]


async def test_extra_cassettes_are_replayed_but_not_written(tmp_path: Path) -> None:
    extra = _write(tmp_path / "shared.yaml", _ok("http://api.test/shared"))
    before = extra.read_bytes()
    inner = Scripted([(200, [b"x"], None)])
    with Cassette(tmp_path / "c.yaml", record_mode="new_episodes", extra_paths=[extra]) as c:
        await _read(await c.handle(_request("http://api.test/shared"), inner))
        await _read(await c.handle(_request(), inner))
    assert extra.read_bytes() == before
    assert [i.request.uri for i in load_cassette(tmp_path / "c.yaml")] == [URL]


async def test_credential_headers_are_redacted_by_default(tmp_path: Path) -> None:
    secrets = {"Authorization": "Bearer s3cret", "Cookie": "sid=s3cret", "X-Api-Key": "s3cret"}
    inner = Scripted([(200, [b"x"], None)])
    with Cassette(tmp_path / "c.yaml", record_mode="once") as cassette:
        await _read(await cassette.handle(_request(headers=secrets), inner))
    text = (tmp_path / "c.yaml").read_text()
    assert "s3cret" not in text
    headers = yaml.safe_load(text)["interactions"][0]["request"]["headers"]
    assert headers == {name: ["REDACTED"] for name in secrets}


async def test_vcrpy_filters_remove_or_replace_values(tmp_path: Path) -> None:
    inner = Scripted([(200, [b"x"], None)])
    form = b"user=me&password=hunter2"
    cassette = Cassette(
        tmp_path / "c.yaml",
        record_mode="once",
        filter_headers=["X-Trace", ("X-Client", "anon")],
        filter_query_parameters=["token"],
        filter_post_data_parameters=[("password", "***")],
    )
    with cassette:
        request = _request(
            URL + "?token=abc&page=2",
            "POST",
            headers={
                "X-Trace": "1",
                "X-Client": "me",
                "Content-Type": "application/x-www-form-urlencoded",
            },
            body=form,
        )
        await _read(await cassette.handle(request, inner))
    [stored] = load_cassette(tmp_path / "c.yaml")
    assert stored.request.uri == URL + "?page=2"
    assert stored.request.header("X-Trace") is None
    assert stored.request.header("X-Client") == "anon"
    assert stored.request.body == b"user=me&password=%2A%2A%2A"
    assert inner.requests[0].url.query["token"] == "abc"


async def test_before_record_hooks_can_drop_or_rewrite(tmp_path: Path) -> None:
    def no_health(request: VcrRequest) -> VcrRequest | None:
        return None if request.path == "/health" else request

    def scrub(response: dict[str, Any]) -> dict[str, Any]:
        response["status"]["message"] = "scrubbed"
        return response

    inner = Scripted([(200, [b"up"], None), (200, [b"x"], None)])
    with Cassette(
        tmp_path / "c.yaml",
        record_mode="once",
        before_record_request=no_health,
        before_record_response=scrub,
    ) as cassette:
        await _read(await cassette.handle(_request("http://api.test/health"), inner))
        await _read(await cassette.handle(_request(), inner))
    [stored] = load_cassette(tmp_path / "c.yaml")
    assert (stored.request.uri, stored.response and stored.response.reason) == (URL, "scrubbed")


async def test_cancelled_exchange_before_its_deadline_is_not_recorded(tmp_path: Path) -> None:
    class Hanging(Scripted):
        async def handle(self, request: Request) -> Response:
            await asyncio.Event().wait()
            raise AssertionError("unreachable")

    with Cassette(tmp_path / "c.yaml", record_mode="once") as cassette:
        task = asyncio.ensure_future(cassette.handle(_request(), Hanging()))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert not (tmp_path / "c.yaml").exists()


async def test_recorded_slow_connect_failure_beyond_connect_timeout_times_out(
    tmp_path: Path,
) -> None:
    failure = Interaction(
        RecordedRequest("GET", URL),
        error=RecordedError("ClientConnectorError", "refused", "connect", 111, "refused"),
        elapsed=3.0,
    )
    cassette = Cassette(_write(tmp_path / "c.yaml", failure))
    with pytest.raises(ConnectionTimeoutError, match="Connection timeout to host"):
        await cassette.handle(_request(timeout=ClientTimeout(connect=1)), Scripted())


async def test_recorded_dns_failure_replays_as_dns_error(tmp_path: Path) -> None:
    failure = Interaction(
        RecordedRequest("GET", URL),
        error=RecordedError("ClientConnectorDNSError", "no such host", "connect", -2, "unknown"),
    )
    cassette = Cassette(_write(tmp_path / "c.yaml", failure))
    with pytest.raises(ClientConnectorDNSError):
        await cassette.handle(_request(), Scripted())


async def test_unknown_recorded_error_type_is_reported(tmp_path: Path) -> None:
    failure = Interaction(RecordedRequest("GET", URL), error=RecordedError("Bogus", "", "head"))
    cassette = Cassette(_write(tmp_path / "c.yaml", failure))
    with pytest.raises(CassetteFormatError, match="unknown recorded error type 'Bogus'"):
        await cassette.handle(_request(), Scripted())


async def test_ignored_hosts_bypass_the_cassette(tmp_path: Path) -> None:
    inner = Scripted([(200, [b"live"], None)])
    cassette = Cassette(tmp_path / "c.yaml", ignore_localhost=True)
    response = await cassette.handle(_request("http://localhost:8080/x"), inner)
    assert await _read(response) == [b"live"]


async def test_recorded_redirect_latency_counts_against_the_next_hop(tmp_path: Path) -> None:
    hop = Interaction(
        RecordedRequest("GET", URL),
        RecordedResponse(302, "Found", (("Location", "/next"),)),
        elapsed=0.6,
    )
    final = Interaction(
        RecordedRequest("GET", "http://api.test/next"),
        RecordedResponse(200, "OK", chunks=(b"x",)),
        elapsed=0.6,
    )
    cassette = Cassette(_write(tmp_path / "c.yaml", hop, final))
    first = _request(timeout=ClientTimeout(total=1))
    redirect = await cassette.handle(first, Scripted())
    assert (redirect.status, redirect.simulated_elapsed) == (302, 0.6)
    second = dataclasses.replace(
        first, url=yarl.URL("http://api.test/next"), simulated_elapsed=redirect.simulated_elapsed
    )
    with pytest.raises(asyncio.TimeoutError):
        await cassette.handle(second, Scripted())
