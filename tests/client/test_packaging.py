"""Packaging: what ``import aiotape`` pulls in, what the distribution requires, one version."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import aiotape
from aiotape.client.prepare import USER_AGENT

ROOT = Path(__file__).resolve().parents[2]


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter that imports this checkout's aiotape."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )


def test_bare_import_reaches_cassettes_and_mocking_lazily() -> None:
    done = run_python(
        "import sys, aiotape\n"
        "assert 'aiotape.cassettes' not in sys.modules, 'imported eagerly'\n"
        "assert 'aiotape.mocking' not in sys.modules, 'imported eagerly'\n"
        "print(aiotape.cassettes.use_cassette.__name__, aiotape.mocking.MockRouter.__name__)\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["use_cassette", "MockRouter"]


def test_unknown_attribute_still_raises_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        aiotape.nothing_here  # noqa: B018


@pytest.mark.parametrize("blocked", ["pytest", "pytest_asyncio", "aiohttp", "vcr"])
def test_the_client_imports_without_test_only_packages(blocked: str) -> None:
    done = run_python(
        f"import sys\nsys.modules[{blocked!r}] = None\n"
        "import aiotape, aiotape.mocking, aiotape.cassettes, aiotape.cli\n"
    )
    assert done.returncode == 0, done.stderr


def test_pytest_is_an_extra_and_the_version_is_written_once() -> None:
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert not [req for req in project["dependencies"] if req.startswith("pytest")]
    assert {req.split(">")[0] for req in project["optional-dependencies"]["pytest"]} == {
        "pytest",
        "pytest-asyncio",
    }
    assert "version" not in project and project["dynamic"] == ["version"]
    assert USER_AGENT.endswith(f"aiotape/{aiotape.__version__}")
