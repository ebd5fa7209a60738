"""Drift between a cassette and the live service: each kind of change, found and placed.

Each test records a cassette against the local service (version "v1"), switches the service
to another version, runs the same code live, and verifies the loaded cassette against it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from yarl import URL

import aiotape
from aiotape.cassettes.drift import Change, Drift, VerifyIgnore
from aiotape.cassettes.verify import format_failure, verify, verify_files
from tests.verify.drift_service import (
    Api,
    Scenario,
    chat,
    fetch,
    get_json,
    get_text,
    get_user,
    record,
    run_live,
    serve,
)


@pytest.fixture
async def api() -> AsyncIterator[tuple[Api, URL]]:
    service = Api()
    async with serve(service) as base:
        yield service, base


async def drift_after(
    api: tuple[Api, URL],
    tmp_path: Path,
    version: str,
    scenario: Scenario = get_user,
    **options: Any,
) -> list[Drift]:
    """Record ``scenario`` on v1, switch to ``version``, run it live, verify the cassette."""
    service, base = api
    path = tmp_path / "cassette.yaml"
    recorded = await record(path, scenario, base)
    before = path.read_bytes()
    service.version = version
    live = await run_live(scenario, base)
    drifts = verify(recorded, live, test="tests/test_x.py::test_x", cassette=path, **options)
    assert path.read_bytes() == before  # verification never writes the cassette
    return drifts


def changes(drifts: list[Drift]) -> list[tuple[str, str]]:
    return [(c.kind, c.path) for d in drifts for c in d.changes]


def failing(drifts: list[Drift]) -> list[Change]:
    return [c for d in drifts for c in d.failing()]


async def test_new_values_and_new_volatile_headers_are_only_body_value_drift(
    api: tuple[Api, URL], tmp_path: Path
) -> None:
    drifts = await drift_after(api, tmp_path, "v1")
    assert sorted(changes(drifts)) == [
        ("body-value", "$.items[0].id"),
        ("body-value", "$.items[0].sku"),
        ("body-value", "$.meta.served"),
        ("body-value", "$.user.email"),
        ("body-value", "$.user.id"),
    ]
    assert failing(drifts) == []
    [drift] = drifts
    assert drift.interaction == 0
    assert drift.request == f"GET {api[1] / 'user'}"
    email = next(c for c in drift.changes if c.path == "$.user.email")
    assert (email.recorded, email.live) == ("ada0@example.test", "ada1@example.test")


async def test_an_unchanged_body_with_new_volatile_headers_is_no_drift(
    api: tuple[Api, URL], tmp_path: Path
) -> None:
    scenario = fetch("static")
    base = api[1]
    recorded = await record(tmp_path / "c.yaml", scenario, base)
    live = await run_live(scenario, base)
    headers = [dict(i.response.headers) for i in (*recorded, *live) if i.response]
    assert headers[0]["X-Request-Id"] != headers[1]["X-Request-Id"]
    assert headers[0]["Set-Cookie"] != headers[1]["Set-Cookie"]
    assert verify(recorded, live, test="t", cassette="c.yaml") == []


async def test_removed_key_is_body_schema_drift_at_its_json_path(
    api: tuple[Api, URL], tmp_path: Path
) -> None:
    drifts = await drift_after(api, tmp_path, "removed-key")
    [change] = failing(drifts)
    assert (change.kind, change.path) == ("body-schema", "$.user.email")
    assert (change.recorded, change.live) == ("ada0@example.test", None)


async def test_type_change_is_body_schema_drift_with_both_values(
    api: tuple[Api, URL], tmp_path: Path
) -> None:
    drifts = await drift_after(api, tmp_path, "type-change")
    [change] = failing(drifts)
    assert (change.kind, change.path) == ("body-schema", "$.user.id")
    assert (change.recorded, change.live) == (1000, "1001")


async def test_changed_status_is_status_drift_and_nothing_else(
    api: tuple[Api, URL], tmp_path: Path
) -> None:
    drifts = await drift_after(api, tmp_path, "status")
    assert [d.changes for d in drifts] == [(Change("status", "status", 200, 503),)]


async def test_changed_header_is_header_drift_named_by_the_header(
    api: tuple[Api, URL], tmp_path: Path
) -> None:
    drifts = await drift_after(api, tmp_path, "rate-limit")
    assert failing(drifts) == [Change("header", "X-RateLimit-Limit", "100", "200")]


async def test_set_cookie_counts_by_cookie_name(api: tuple[Api, URL], tmp_path: Path) -> None:
    drifts = await drift_after(api, tmp_path, "cookie-renamed")
    assert failing(drifts) == [Change("header", "Set-Cookie", "session", "sid")]


async def test_changed_media_type_is_body_schema_drift(
    api: tuple[Api, URL], tmp_path: Path
) -> None:
    drifts = await drift_after(api, tmp_path, "media-type")
    assert failing(drifts) == [
        Change("body-schema", "Content-Type", "application/json", "text/plain"),
    ]


async def test_gzipped_json_bodies_are_compared_decoded(
    api: tuple[Api, URL], tmp_path: Path
) -> None:
    drifts = await drift_after(api, tmp_path, "removed-key", fetch("gzipped"))
    assert failing(drifts) == [Change("body-schema", "$.user.email", "ada0@example.test", None)]
    assert ("body-value", "$.user.id") in changes(drifts)


async def test_other_text_body_is_body_value_drift_of_the_whole_body(
    api: tuple[Api, URL], tmp_path: Path
) -> None:
    drifts = await drift_after(api, tmp_path, "v1", fetch("text", get_text))
    assert [d.changes for d in drifts] == [
        (Change("body-value", "body", "served 0\n", "served 1\n"),)
    ]
    assert failing(drifts) == []
    assert drifts[0].failing(strict=True) == drifts[0].changes


async def test_reworded_websocket_reply_is_ws_drift_at_the_frame(
    api: tuple[Api, URL], tmp_path: Path
) -> None:
    drifts = await drift_after(api, tmp_path, "ws-reworded", chat)
    assert failing(drifts) == [Change("ws", "ws.recv[1]", "HELLO", "Hello there")]
    assert ("body-value", "ws.recv[0].session") in changes(drifts)


async def test_websocket_json_frame_changing_shape_is_ws_drift_at_its_path(
    api: tuple[Api, URL], tmp_path: Path
) -> None:
    drifts = await drift_after(api, tmp_path, "ws-shape", chat)
    [change] = failing(drifts)
    assert (change.kind, change.path, change.live) == ("ws", "ws.recv[0].session", None)


async def test_same_websocket_conversation_with_new_ids_passes(
    api: tuple[Api, URL], tmp_path: Path
) -> None:
    drifts = await drift_after(api, tmp_path, "v1", chat)
    assert changes(drifts) == [("body-value", "ws.recv[0].session")]


async def test_identical_requests_pair_in_recorded_order(
    api: tuple[Api, URL], tmp_path: Path
) -> None:
    async def scenario(session: aiotape.ClientSession, base: URL) -> Any:
        return [await get_json(session, base / "sequence") for _ in range(4)]

    assert await drift_after(api, tmp_path, "v1", scenario) == []


async def test_unmatched_live_request_is_extra_and_unmade_one_is_missing(
    api: tuple[Api, URL], tmp_path: Path
) -> None:
    base = api[1]

    async def recorded_run(session: aiotape.ClientSession, base: URL) -> Any:
        return [await get_json(session, base / "static"), await get_json(session, base / "user")]

    async def live_run(session: aiotape.ClientSession, base: URL) -> Any:
        await get_json(session, base / "static")
        return await get_text(session, base / "text")

    recorded = await record(tmp_path / "c.yaml", recorded_run, base)
    live = await run_live(live_run, base)
    drifts = verify(recorded, live, test="t", cassette="c.yaml")
    assert [(d.interaction, d.request, d.changes) for d in drifts] == [
        (
            None,
            f"GET {base / 'text'}",
            (Change("extra", "interaction", None, f"GET {base / 'text'}"),),
        ),
        (
            1,
            f"GET {base / 'user'}",
            (Change("missing", "interaction", f"GET {base / 'user'}", None),),
        ),
    ]
    assert all(d.failing() for d in drifts)


async def test_verify_ignore_leaves_out_headers_and_json_paths(
    api: tuple[Api, URL], tmp_path: Path
) -> None:
    ignore = VerifyIgnore.from_config(
        {"headers": ["x-ratelimit-*"], "json_paths": ["$.meta", "$.items[*].sku", "$.user.*"]}
    )
    drifts = await drift_after(api, tmp_path, "rate-limit", ignore=ignore)
    assert changes(drifts) == [("body-value", "$.items[0].id")]


async def test_match_on_decides_which_requests_pair(api: tuple[Api, URL], tmp_path: Path) -> None:
    base = api[1]
    recorded = await record(
        tmp_path / "c.yaml", lambda s, b: get_json(s, b.with_path("/static").with_query(v=1)), base
    )
    live = await run_live(lambda s, b: get_json(s, b.with_path("/static").with_query(v=2)), base)
    by_url = verify(recorded, live, test="t", cassette="c.yaml")
    by_path = verify(recorded, live, test="t", cassette="c.yaml", match_on=("method", "path"))
    assert sorted(c.kind for d in by_url for c in d.changes) == ["extra", "missing"]
    assert by_path == []


async def test_repeated_requests_pair_with_the_last_recorded_one_when_repeats_are_allowed(
    api: tuple[Api, URL], tmp_path: Path
) -> None:
    base = api[1]

    async def thrice(session: aiotape.ClientSession, base: URL) -> Any:
        return [await get_json(session, base / "static") for _ in range(3)]

    recorded = await record(tmp_path / "c.yaml", fetch("static"), base)
    live = await run_live(thrice, base)
    strict_pairs = verify(recorded, live, test="t", cassette="c.yaml")
    assert [c.kind for d in strict_pairs for c in d.changes] == ["extra", "extra"]
    assert verify(recorded, live, test="t", cassette="c.yaml", allow_playback_repeats=True) == []


async def test_service_gone_is_status_drift_naming_the_error(
    api: tuple[Api, URL], tmp_path: Path, refused_port: int
) -> None:
    async def scenario(session: aiotape.ClientSession, base: URL) -> Any:
        try:
            return await get_json(session, base / "static")
        except aiotape.ClientConnectorError as exc:
            return exc

    recorded = await record(tmp_path / "c.yaml", scenario, api[1].with_path("/"))
    down = URL(f"http://127.0.0.1:{refused_port}/")
    live = await run_live(scenario, down)
    matched = verify(recorded, live, test="t", cassette="c.yaml", match_on=("method", "path"))
    assert [d.changes for d in matched] == [
        (Change("status", "status", 200, "ClientConnectorError"),)
    ]


async def test_drift_in_extra_cassette_files_names_that_file_and_position(
    api: tuple[Api, URL], tmp_path: Path
) -> None:
    service, base = api

    async def extra_run(session: aiotape.ClientSession, base: URL) -> Any:
        return [await get_json(session, base / "static"), await get_text(session, base / "text")]

    async def live_run(session: aiotape.ClientSession, base: URL) -> Any:
        await get_json(session, base / "static")
        await get_user(session, base)
        return await get_json(session, base / "sequence")

    main, extra = tmp_path / "main.yaml", tmp_path / "shared.yaml"
    await record(main, get_user, base)
    await record(extra, extra_run, base)
    service.version = "removed-key"
    live = await run_live(live_run, base)
    drifts = verify_files([main, extra], live, test="t")
    assert [(d.cassette, d.interaction, [c.kind for c in d.failing()]) for d in drifts] == [
        (str(main), 0, ["body-schema"]),
        (str(main), None, ["extra"]),
        (str(extra), 1, ["missing"]),
    ]


async def test_failure_text_holds_only_drifts_that_fail(
    api: tuple[Api, URL], tmp_path: Path
) -> None:
    values_only = await drift_after(api, tmp_path, "v1")
    assert format_failure(values_only) == ""
    assert "body-value at $.user.id" in format_failure(values_only, strict=True)
    removed = await drift_after(api, tmp_path / "2", "removed-key")
    assert "body-schema at $.user.email" in format_failure(removed)
