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


def test_a_run_without_aiotape_tests_never_imports_the_client(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import sys

        def test_nothing_of_the_client_was_imported():
            assert not [name for name in sys.modules if name.startswith("aiotape.client")]
            assert "yarl" not in sys.modules
        """
    )
    pytester.runpytest_subprocess("-p", "no:recording").assert_outcomes(passed=1)


def test_aiotape_modules_load_as_plain_bytecode_not_through_the_assertion_rewriter(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # found on sys.path, as an installed package is (pytest rewrites what its path finder finds)
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    pytester.makepyfile(
        """
        import importlib.machinery

        import aiotape.client.session as session
        import aiotape.cassettes.player as player
        import aiotape.pytest_plugin.recording as recording

        def test_plain_loaders():  # the plugin's own modules too, though loaded before it ran
            for module in (session, player, recording):
                assert isinstance(module.__loader__, importlib.machinery.SourceFileLoader)

        def test_the_test_module_itself_is_still_rewritten():
            assert type(__loader__).__name__ == "AssertionRewritingHook"
        """
    )
    pytester.runpytest_subprocess("-p", "no:recording").assert_outcomes(passed=2)
