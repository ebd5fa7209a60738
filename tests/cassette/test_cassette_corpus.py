"""Cassettes from the wild: every vcrpy cassette of the shared corpus loads and replays.

The corpus (44 files vcrpy wrote for aiohttp, requests and httpx in public projects) is not
part of this repository: it lives in ``../shared/corpus/vcrpy-cassettes`` beside the checkout
(or wherever ``AIOTAPE_CORPUS_DIR`` points). Without it these tests are skipped.
"""

from __future__ import annotations

import gzip
import os
import re
import zlib
from pathlib import Path

import pytest
from yarl import URL

import aiotape
from aiotape.cassettes import CassetteFormatError, Interaction, load_cassette, loads, use_cassette

ROOT = Path(__file__).resolve().parents[2]
pytest_plugins = ["pytester"]


def _corpus_dir() -> Path | None:
    configured = os.environ.get("AIOTAPE_CORPUS_DIR")
    candidates = (
        [Path(configured)]
        if configured
        else [parent / "shared" / "corpus" / "vcrpy-cassettes" for parent in ROOT.parents[:2]]
    )
    return next((path for path in candidates if path.is_dir()), None)


CORPUS = _corpus_dir()
FILES = sorted(CORPUS.glob("*/*.yaml")) if CORPUS is not None else []
needs_corpus = pytest.mark.skipif(
    CORPUS is None, reason="the cassette corpus ../shared/corpus/vcrpy-cassettes is absent"
)


def _file_ids() -> list[object]:
    if CORPUS is None:
        return [pytest.param(None, id="no-corpus")]
    return [pytest.param(path, id=str(path.relative_to(CORPUS))) for path in FILES]


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIOTAPE_CACHE_DIR", str(tmp_path / "cache"))


def _decoded(interaction: Interaction) -> bytes:
    """The body a client reads: the recorded wire body, content-decoded."""
    assert interaction.response is not None
    body = interaction.response.body
    codings = [
        value.strip().lower()
        for name, value in interaction.response.headers
        if name.lower() == "content-encoding"
    ]
    for coding in reversed(codings):
        if coding == "gzip":
            body = gzip.decompress(body)
        elif coding == "deflate":
            body = zlib.decompress(body)
    return body


@needs_corpus
def test_the_corpus_is_all_there() -> None:
    assert len(FILES) == 44
    assert sum(len(load_cassette(path)) for path in FILES) == 110


@needs_corpus
@pytest.mark.parametrize("path", _file_ids())
async def test_every_corpus_cassette_replays_offline(path: Path) -> None:
    recorded = load_cassette(path)
    assert recorded, f"{path} holds no interactions"
    async with aiotape.ClientSession() as session:
        with use_cassette(path, record_mode="none") as cassette:
            for interaction in recorded:
                assert interaction.response is not None
                request = interaction.request
                async with session.request(
                    request.method,
                    URL(request.uri, encoded=True),
                    data=request.body or None,
                    allow_redirects=False,
                ) as response:
                    body = await response.read()
                assert response.status == interaction.response.status
                if request.method != "HEAD":
                    assert body == _decoded(interaction)
    assert cassette.play_count == len(recorded)
    assert cassette.all_played


@needs_corpus
def test_old_aiohttp_python_tags_read_as_text() -> None:
    assert CORPUS is not None
    [interaction] = load_cassette(CORPUS / "abhinavk99__jikanpy" / "aio-club-failure@50cf974.yaml")
    assert interaction.request.uri == "https://api.jikan.moe/v3/club/-1"
    assert interaction.response is not None
    assert interaction.response.status == 404
    assert ("Content-Type", "application/json") in interaction.response.headers
    assert all(type(name) is str for name, _ in interaction.response.headers)


@needs_corpus
def test_old_httpx_layout_reads_status_version_and_content() -> None:
    assert CORPUS is not None
    path = CORPUS / "danielnsilva__semanticscholar" / "test_get_paper_citations.yaml"
    first = load_cassette(path)[0]
    assert first.response is not None
    assert (first.response.status, first.response.reason) == (200, "OK")
    assert first.response.version == (1, 1)
    assert first.response.body.startswith(b'{"offset": 0, "next": 100')


def test_a_yarl_url_pickled_by_current_yarl_reads_as_its_string() -> None:
    text = (
        "interactions:\n- request: {method: GET, uri: 'http://a.test/x'}\n"
        "  response:\n    status: {code: 200, message: OK}\n"
        "    url: !!python/object/new:yarl.URL\n      state: !!python/tuple\n"
        "      - !!python/tuple [https, a.test, /x, q=1, '']\nversion: 1\n"
    )
    [interaction] = loads(text)
    assert interaction.response is not None and interaction.response.status == 200


@pytest.mark.parametrize(
    "tag",
    [
        "!!python/object/apply:os.system ['true']",
        "!!python/object/new:collections.OrderedDict [[]]",
        "!!python/name:os.system",
        "!!python/tuple [a, b]",  # only allowed inside a yarl.URL
        "!!python/object/new:urllib.parse.SplitResult [a, b, c, d, e]",
        "!!python/object/new:multidict._istr.istr [a, b]",
    ],
)
def test_any_other_python_tag_is_refused_with_its_line(tag: str) -> None:
    text = f"interactions:\n- request: {{method: GET, uri: 'http://a/'}}\n  response: {tag}\n"
    with pytest.raises(CassetteFormatError, match=r"^x\.yaml: .*(tag|istr).*\(line 3\)$"):
        loads(text, source="x.yaml")


@pytest.mark.parametrize(
    ("interaction", "field"),
    [
        (
            "- request: {method: GET, uri: 'http://a/'}\n  response: {}",
            "response.status is missing",
        ),
        (
            "- request: {method: GET, uri: 'http://a/'}\n  response: {status: {code: abc}}",
            "response.status.code must be a number, not 'abc'",
        ),
        ("- request: {method: GET}\n  response: {status: {code: 200}}", "request.uri is missing"),
        ("- request: [GET]", "request must be a mapping"),
        (
            "- request: {method: GET, uri: 'http://a/'}\n  response: {status_code: x}",
            "response.status_code must be a number",
        ),
        (
            "- request: {method: GET, uri: 'http://a/'}\n"
            "  response: {status: {code: 200}, http_version: HTTP/x}",
            "response.http_version must be like 1.1",
        ),
        (
            "- request: {method: GET, uri: 'http://a/'}\n  response: {status: {code: .inf}}",
            "response.status.code must be a number, not inf",
        ),
        (
            "- request: {method: GET, uri: 'http://a/'}\n  error: {type: X, errno: e}",
            "error.errno must be a number",
        ),
        (
            "- request: {method: GET, uri: 'ws://a/'}\n  response: {status: {code: 101}}\n"
            "  websocket: {messages: [{dir: up, type: text}]}",
            r"websocket\.messages\[0\]\.dir must be send or recv",
        ),
    ],
)
def test_a_malformed_interaction_names_file_index_field_and_the_fix(
    interaction: str, field: str
) -> None:
    text = "interactions:\n- request: {method: GET, uri: 'http://ok/'}\n  error: {type: X}\n"
    text += f"{interaction}\nversion: 1\n"
    with pytest.raises(CassetteFormatError) as caught:
        loads(text, source="tests/cassettes/t.yaml")
    message = str(caught.value)
    assert message.startswith("tests/cassettes/t.yaml: interaction #1: ")
    assert re.search(field, message)
    assert message.endswith("record it again with --record-mode=rewrite)")
    assert "\n" not in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_a_malformed_cassette_fails_its_test_with_one_short_error(
    pytester: pytest.Pytester,
) -> None:
    cassettes = pytester.path / "cassettes" / "test_broken"
    cassettes.mkdir(parents=True)
    (cassettes / "test_it.yaml").write_text(
        "interactions:\n- request: {method: GET, uri: 'http://a.test/'}\n"
        "  response: {status: {code: twohundred}}\nversion: 1\n"
    )
    pytester.makepyfile(
        test_broken="""
        import pytest, aiotape

        @pytest.mark.vcr
        async def test_it():
            async with aiotape.ClientSession() as session:
                await session.get("http://a.test/")
        """
    )
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-p", "no:recording", "-o", "asyncio_mode=auto"
    )
    result.assert_outcomes(errors=1)
    output = result.stdout.str()
    assert "interaction #0: response.status.code must be a number, not 'twohundred'" in output
    assert "--record-mode=rewrite" in output
    assert "format.py" not in output and "safe_yaml.py" not in output
