"""A replayed request sent exactly as recorded finds its answer by its method and URI string;
every answer must be the one matching by key (yarl's parts, query order-insensitive, redacted
credentials) gives: checked against a model of the key, with the compiled cache's groups and
without, with repeats and custom matchers."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Hashable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from yarl import URL

from aiotape.cassettes import (
    Cassette,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    UnmatchedRequestError,
    dumps,
)
from aiotape.cassettes.cache import load_recorded
from aiotape.cassettes.filters import DEFAULT_REDACTED_QUERY, REDACTED
from aiotape.cassettes.matching import DEFAULT_MATCH_ON, MatchRule
from aiotape.cassettes.player import Playback
from aiotape.cassettes.recorded import Recorded
from tests.cassette.test_cassette_transport import Scripted, _read, _request

RECORDED = (
    ("GET", "http://127.0.0.1:8080/a?x=1&y=2"),
    ("GET", "http://127.0.0.1:8080/a?y=2&x=1"),
    ("GET", "HTTP://LOCALHOST/b"),
    ("GET", "http://localhost:80/b"),
    ("POST", "http://localhost/b"),
    ("GET", "http://localhost/c%7Ed"),
    ("GET", "http://localhost/c~d"),
    ("GET", f"http://localhost/q?api_key={REDACTED}&page=1"),
    ("GET", "http://localhost"),
    ("GET", "https://localhost:443/s"),
    ("GET", "http://127.0.0.1:8080/a?x=1&y=2"),
)
"""Recorded requests: some share a key while differing as strings, one repeats exactly."""

LIVE = (
    *RECORDED,
    ("get", "http://127.0.0.1:8080/a?x=1&y=2"),
    ("GET", "http://LocalHost:8080/a?y=2&x=1"),
    ("GET", "http://localhost/b"),
    ("POST", "http://LOCALHOST:80/b"),
    ("GET", "http://localhost/c~d"),
    ("GET", "http://localhost/q?page=1&api_key=hunter2"),
    ("GET", "http://localhost/"),
    ("GET", "https://localhost/s"),
    ("GET", "http://localhost/missing"),
    ("PUT", "http://localhost/b"),
)
"""Live requests: the recorded strings, equivalent spellings, and requests nothing answers."""


def _model_key(method: str, uri: str) -> Hashable:
    """The default key as its definition states it: yarl's parts, the query sorted and
    redacted."""
    url = URL(uri, encoded=True)
    query = sorted(
        (name, REDACTED if name.lower() in DEFAULT_REDACTED_QUERY else value)
        for name, value in url.query.items()
    )
    return (method.upper(), url.scheme, url.host, url.port, url.path, tuple(query))


def _model(live: list[tuple[str, str]], repeats: bool) -> list[int | None]:
    """Positions answering ``live`` in turn: the first unplayed (with repeats: the first)
    recorded request sharing the key."""
    played: set[int] = set()
    answers: list[int | None] = []
    for method, uri in live:
        wanted = _model_key(method, uri)
        found = next(
            (
                position
                for position, recorded in enumerate(RECORDED)
                if _model_key(*recorded) == wanted and (repeats or position not in played)
            ),
            None,
        )
        if found is not None:
            played.add(found)
        answers.append(found)
    return answers


def _interactions() -> list[Interaction]:
    return [
        Interaction(RecordedRequest(method, uri), RecordedResponse(200, "OK", (), (b"%d" % i,)))
        for i, (method, uri) in enumerate(RECORDED)
    ]


def _compiled(tmp_path: Path) -> tuple[Recorded, tuple[int, ...]]:
    """The recorded interactions and their groups as the compiled cache gives them."""
    path = tmp_path / "c.yaml"
    path.write_text(dumps(_interactions()))
    cold = load_recorded(path.read_bytes(), source=str(path))
    warm = load_recorded(path.read_bytes(), source=str(path))
    assert list(cold) == list(warm) and warm.firsts is not None
    assert cold.firsts == warm.firsts and cold.exact == warm.exact
    return warm, tuple(warm.firsts)


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Recorded, tuple[int, ...]]:
    return _compiled(tmp_path_factory.mktemp("exact"))


def _positions(playback: Playback, answers: list[int | None]) -> list[int | None]:
    assert all(a is None or playback.interaction(a) is playback.interactions[a] for a in answers)
    return answers


def test_the_cache_groups_interactions_whose_requests_share_the_default_key(
    compiled: tuple[Recorded, tuple[int, ...]],
) -> None:
    _, firsts = compiled
    expected = [
        next(p for p, other in enumerate(RECORDED) if _model_key(*other) == _model_key(*recorded))
        for recorded in RECORDED
    ]
    assert list(firsts) == expected
    assert len(set(firsts)) < len(firsts)  # some requests share a key though spelled apart


@settings(max_examples=150, deadline=None)
@given(live=st.lists(st.sampled_from(LIVE), max_size=30), repeats=st.booleans())
def test_every_take_answers_as_matching_by_key_does(
    compiled: tuple[Recorded, tuple[int, ...]], live: list[tuple[str, str]], repeats: bool
) -> None:
    interactions, firsts = compiled
    rule = MatchRule(DEFAULT_MATCH_ON)
    expected = _model(live, repeats)
    grouped = Playback(
        interactions, rule, allow_playback_repeats=repeats, firsts=firsts, exact=interactions.exact
    )
    keyed = Playback(interactions, rule, allow_playback_repeats=repeats)
    parsed = Playback(interactions, rule, allow_playback_repeats=repeats)
    by_request = Playback(interactions, rule, allow_playback_repeats=repeats, firsts=firsts)
    assert _positions(grouped, [grouped.take_plain(m, u) for m, u in live]) == expected
    assert _positions(keyed, [keyed.take_plain(m, u, URL(u, encoded=True)) for m, u in live]) == (
        expected
    )
    assert _positions(parsed, [parsed.take_key(rule.plain_key(m, u)) for m, u in live]) == expected
    assert _positions(by_request, [by_request.take(RecordedRequest(m, u)) for m, u in live]) == (
        expected
    )
    played = {p for p in expected if p is not None}
    assert grouped.play_count == len(played) and grouped.played_positions == tuple(sorted(played))


def test_a_request_spelled_as_a_later_recording_still_takes_the_first_of_its_key(
    compiled: tuple[Recorded, tuple[int, ...]],
) -> None:
    interactions, firsts = compiled
    playback = Playback(interactions, MatchRule(DEFAULT_MATCH_ON), firsts=firsts)
    spelled_as_1 = ("GET", RECORDED[1][1])
    answers = [playback.take_plain(*spelled_as_1) for _ in range(4)]
    assert _positions(playback, answers) == [0, 1, 10, None]


@pytest.mark.parametrize("match_on", [("method", "path"), ("method", "uri"), ("host", "query")])
def test_other_plain_rules_answer_as_their_keys_do(
    compiled: tuple[Recorded, tuple[int, ...]], match_on: tuple[str, ...]
) -> None:
    interactions, firsts = compiled
    rule = MatchRule(match_on)
    fast = Playback(interactions, rule, firsts=firsts)  # not the default rule: groups unused
    slow = Playback(interactions, rule)
    for method, uri in LIVE + LIVE:
        taken = fast.take_plain(method, uri)
        expected = slow.take_key(rule.key(RecordedRequest(method, uri)))
        assert taken == expected


async def test_a_custom_matcher_still_chooses_within_requests_sent_as_recorded(
    tmp_path: Path,
) -> None:
    uri = "http://127.0.0.1:8080/a?x=1"
    path = tmp_path / "c.yaml"
    path.write_text(
        dumps(
            [
                Interaction(
                    RecordedRequest("GET", uri, (("X-Pick", pick),)),
                    RecordedResponse(200, "OK", (), (pick.encode(),)),
                )
                for pick in ("b", "a", "b")
            ]
        )
    )

    def same_pick(live: object, recorded: object) -> bool:
        return live.headers.get("X-Pick") == recorded.headers.get("X-Pick")  # type: ignore[attr-defined]

    cassette = Cassette(path, match_on=(*DEFAULT_MATCH_ON, same_pick))
    bodies = []
    for pick in ("a", "b", "b", "a"):
        request = _request(uri, headers={"X-Pick": pick})
        try:
            bodies.append(await _read(await cassette.handle(request, Scripted())))
        except UnmatchedRequestError:
            bodies.append([b"unmatched"])
    assert bodies == [[b"a"], [b"b"], [b"b"], [b"unmatched"]]
    assert len(cassette.unmatched) == 1
    assert cassette.file_usage()[0].played == (0, 1, 2)


@pytest.mark.parametrize("cache", ["on", "off"])
async def test_replay_through_a_cassette_is_the_same_with_the_cache_on_or_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache: str
) -> None:
    if cache == "off":
        monkeypatch.setenv("AIOTAPE_CACHE_DIR", "off")
    path = tmp_path / "c.yaml"
    path.write_text(dumps(_interactions()))
    Cassette(path)  # fills the cache (when on), so the next one replays from it
    cassette = Cassette(path, allow_playback_repeats=False)
    live = [
        ("GET", "http://127.0.0.1:8080/a?y=2&x=1"),
        ("GET", "http://localhost/b"),
        ("GET", "http://localhost:80/b"),
        ("GET", "http://localhost/c~d"),
        ("GET", "http://localhost/q?page=1&api_key=hunter2"),
        ("POST", "http://localhost/b"),
    ]
    bodies = [
        b"".join(await _read(await cassette.handle(_request(u, m), Scripted()))) for m, u in live
    ]
    assert bodies == [b"%d" % p for p in _model(live, repeats=False)]


def test_a_cassette_keeps_one_path_object(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(dumps(_interactions()))
    cassette = Cassette(str(path))
    assert isinstance(cassette.path, Path) and cassette.path == path
    assert cassette.path is cassette.path
    assert cassette.file_usage()[0].path == cassette.file == str(path)
    cassette.path = tmp_path / "other.yaml"
    assert cassette.path == tmp_path / "other.yaml"
    assert cassette.file == str(tmp_path / "other.yaml")
    assert Cassette(None).path is None


@pytest.mark.parametrize(
    "given",
    [
        "http://bücher.localhost/ä ö?q=ü&x=a b",
        "http://localhost:8080/p%2Fq?a=%20&b=+",
        "http://[::1]:9/x?y=1#frag",
        "http://user:pw@localhost/x",
        "HTTP://LOCALHOST:80/A?B=C",
        "http://localhost/a/../b",
        "http://localhost/%7e?%41=1",
        "http://localhost?x",
        "https://localhost:443",
        "http://localhost/a;b=c?d=e&d=f",
    ],
)
def test_a_live_url_keys_as_its_string_does(given: str) -> None:
    """Why a request sent as recorded may skip the parse: its URL and the URL's string give
    the same key."""
    rule = MatchRule(DEFAULT_MATCH_ON)
    url = URL(given)
    assert rule.plain_key("GET", str(url), url) == rule.key(RecordedRequest("GET", str(url)))
    assert rule.plain_key("GET", str(url), url) == _model_key("GET", str(url))


async def test_file_usage_splits_the_played_positions_by_file(tmp_path: Path) -> None:
    own, extra = tmp_path / "own.yaml", tmp_path / "extra.yaml"
    own.write_text(dumps(_interactions()[:3]))
    extra.write_text(dumps(_interactions()[5:8]))
    cassette = Cassette(own, extra_paths=[str(extra)])
    for method, uri in [RECORDED[6], RECORDED[1], RECORDED[0]]:
        await _read(await cassette.handle(_request(uri, method), Scripted()))
    usage = cassette.file_usage()
    assert [(u.path, u.interactions, u.played) for u in usage] == [
        (str(own), 3, (0, 1)),
        (str(extra), 3, (0,)),  # spelled as the extra file's second, keyed as its first
    ]
    assert usage[0].path is cassette.file
    assert Cassette(own).file_usage()[0].played == ()


@pytest.mark.parametrize("spelling", ["{d}/c.yaml", "{d}/./c.yaml", "{d}//c.yaml", "./{d}/c.yaml"])
async def test_a_cassette_spells_its_file_as_a_path_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spelling: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "c.yaml").write_text(dumps(_interactions()[:1]))
    given = spelling.format(d="d")
    cassette = Cassette(given)
    assert cassette.path == Path(given) and str(cassette.path) == "d/c.yaml"
    with pytest.raises(UnmatchedRequestError) as raised:
        await cassette.handle(_request("http://localhost/missing"), Scripted())
    assert "cassette: d/c.yaml (record mode" in str(raised.value)


async def test_a_cassette_is_freed_as_soon_as_it_is_dropped(tmp_path: Path) -> None:
    """No reference cycle keeps a used cassette (and everything it loaded) until a collection."""
    path = tmp_path / "c.yaml"
    path.write_text(dumps(_interactions()))
    cassette = Cassette(path)
    await _read(await cassette.handle(_request(RECORDED[0][1]), Scripted()))
    gone = weakref.ref(cassette)
    collecting = gc.isenabled()
    gc.disable()
    try:
        del cassette
        assert gone() is None
    finally:
        if collecting:
            gc.enable()
