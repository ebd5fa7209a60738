"""``prune``: keep only the interactions a run played, per the --cassette-usage file."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from aiotape.cassettes import CassetteFormatError, load_cassette
from aiotape.cassettes.prune import prune
from tests.plugin.inner import LiveServer, inner_tests, run, write_cassette

pytest_plugins = ["pytester"]


def uris(path: Path) -> list[str]:
    return [interaction.request.uri for interaction in load_cassette(path)]


def write_usage(target: Path, cassettes: dict[str, dict[str, Any]]) -> Path:
    target.write_text(json.dumps({"version": 1, "cassettes": cassettes}))
    return target


def entry(cassette: Path, played: list[int], **changes: Any) -> dict[str, Any]:
    """A usage entry for ``cassette`` as it is now, by a passing run that did not write it."""
    digest = hashlib.sha256(cassette.read_bytes()).hexdigest()
    interactions = len(load_cassette(cassette))
    fields = {"interactions": interactions, "played": played, "sha256": digest}
    return {**fields, "written": False, "complete": True, **changes}


def test_prune_removes_exactly_the_interactions_the_run_did_not_play(
    pytester: pytest.Pytester,
) -> None:
    cassette = write_cassette(pytester, "test_some", "/a", "/b", "/c", "/d")
    inner_tests(pytester, '@pytest.mark.vcr\nasync def test_some():\n    await fetch("/b", "/d")\n')
    run(pytester, "--cassette-usage=usage.json").assert_outcomes(passed=1)

    assert prune(pytester.path / "usage.json") == [(cassette, 2)]

    assert uris(cassette) == ["http://api.test/b", "http://api.test/d"]
    result = run(pytester)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["aiotape: 1 cassette*, 0 unused interactions"])


def test_prune_skips_cassettes_recorded_in_that_run(
    pytester: pytest.Pytester,
    live_server: LiveServer,
) -> None:
    inner_tests(
        pytester,
        f"""
@pytest.mark.vcr
async def test_records():
    async with aiotape.ClientSession() as session:
        async with session.get({live_server.url!r} + "/hello") as resp:
            await resp.read()
""",
    )
    run(pytester, "--record-mode=once", "--cassette-usage=usage.json").assert_outcomes(passed=1)
    cassette = pytester.path / "cassettes" / "test_inner" / "test_records.yaml"
    before = cassette.read_bytes()
    skipped: list[tuple[Path, str]] = []

    assert (
        prune(pytester.path / "usage.json", on_skip=lambda p, why: skipped.append((p, why))) == []
    )

    assert skipped == [(cassette, "recorded during that run")]
    assert cassette.read_bytes() == before


def test_prune_skips_cassettes_of_tests_that_did_not_pass(pytester: pytest.Pytester) -> None:
    cassette = write_cassette(pytester, "test_fails", "/a", "/b")
    inner_tests(
        pytester, '@pytest.mark.vcr\nasync def test_fails():\n    await fetch("/a")\n    1 / 0\n'
    )
    run(pytester, "--cassette-usage=usage.json").assert_outcomes(failed=1)
    skipped: list[str] = []

    assert prune(pytester.path / "usage.json", on_skip=lambda p, why: skipped.append(why)) == []

    assert skipped == ["a test using it did not pass, so its usage is partial"]
    assert len(load_cassette(cassette)) == 2


def test_dry_run_counts_without_rewriting(pytester: pytest.Pytester) -> None:
    cassette = write_cassette(pytester, "c", "/a", "/b", "/c")
    before = cassette.read_bytes()
    usage = write_usage(pytester.path / "usage.json", {str(cassette): entry(cassette, [1])})

    assert prune(usage, dry_run=True) == [(cassette, 2)]

    assert cassette.read_bytes() == before


def test_a_cassette_changed_since_the_run_is_left_alone(pytester: pytest.Pytester) -> None:
    cassette = write_cassette(pytester, "c", "/a", "/b")
    usage = write_usage(pytester.path / "usage.json", {str(cassette): entry(cassette, [0])})
    write_cassette(pytester, "c", "/b", "/a")
    skipped: list[str] = []

    assert prune(usage, on_skip=lambda p, why: skipped.append(why)) == []

    assert skipped == ["the file changed since that run"]
    assert uris(cassette) == ["http://api.test/b", "http://api.test/a"]


def test_relative_cassette_paths_are_relative_to_the_usage_file(
    pytester: pytest.Pytester,
) -> None:
    cassette = write_cassette(pytester, "c", "/a", "/b")
    relative = "cassettes/test_inner/c.yaml"
    usage = write_usage(pytester.path / "usage.json", {relative: entry(cassette, [0, 1])})

    assert prune(usage) == [(pytester.path / relative, 0)]


def test_a_file_that_is_not_a_usage_file_is_rejected(tmp_path: Path) -> None:
    usage = tmp_path / "usage.json"
    usage.write_text('{"interactions": []}')
    with pytest.raises(CassetteFormatError, match="not a version 1 cassette usage file"):
        prune(usage)


def test_cli_prune_dry_run_then_prune(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    from aiotape.cli import main

    cassette = write_cassette(pytester, "test_some", "/a", "/b")
    inner_tests(pytester, '@pytest.mark.vcr\nasync def test_some():\n    await fetch("/b")\n')
    run(pytester, "--cassette-usage=usage.json").assert_outcomes(passed=1)
    capsys.readouterr()

    usage = str(pytester.path / "usage.json")
    assert main(["cassette", "prune", "--dry-run", usage]) == 0
    assert f"{cassette}: would remove 1 interaction" in capsys.readouterr().out
    assert len(uris(cassette)) == 2
    assert main(["cassette", "prune", usage]) == 0
    assert f"{cassette}: removed 1 interaction" in capsys.readouterr().out
    assert uris(cassette) == ["http://api.test/b"]
    assert main(["cassette", "prune", str(pytester.path / "missing.json")]) == 2
