"""The pytest11 entry point loads in every pytest run: it must not import what only cassette
and mock tests use (cassettes, the YAML parser, mocking)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent

pytest_plugins = ["pytester"]


def _modules_after(code: str) -> set[str]:
    script = f"import sys\n{code}\nprint('\\n'.join(sys.modules))"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return set(done.stdout.split())


def test_importing_the_plugin_leaves_cassettes_mocking_and_yaml_unloaded() -> None:
    loaded = _modules_after("import aiotape.pytest_plugin")
    assert "aiotape.pytest_plugin.recording" in loaded
    assert not {"aiotape.cassettes", "aiotape.mocking", "yaml"} & loaded


def test_a_run_without_cassette_or_mock_tests_never_imports_them(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import sys

        def test_plain():
            pass

        def test_nothing_heavy_was_imported():
            assert "aiotape.cassettes" not in sys.modules
            assert "aiotape.mocking" not in sys.modules
        """
    )
    pytester.runpytest_subprocess("-p", "no:recording").assert_outcomes(passed=2)


def test_the_first_marked_test_loads_the_cassettes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import sys
        import pytest

        def test_before():
            assert "aiotape.cassettes" not in sys.modules

        @pytest.mark.vcr
        def test_marked(vcr):
            assert "aiotape.cassettes" in sys.modules
            assert vcr is not None and vcr.play_count == 0
        """
    )
    pytester.runpytest_subprocess("-p", "no:recording", "-p", "no:randomly").assert_outcomes(
        passed=2
    )
