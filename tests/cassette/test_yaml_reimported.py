"""A cassette loads after ``yaml`` was unloaded and imported again, as pytester's in-process
runs leave it: libyaml's C module keeps making the first import's event classes."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent(
    """
    import sys
    import yaml
    assert getattr(yaml, "CSafeLoader", None) is not None, "libyaml is not built in"
    for name in [n for n in sys.modules if n == "yaml" or n.startswith(("yaml.", "aiotape"))]:
        del sys.modules[name]
    import yaml as fresh
    from aiotape.cassettes.safe_yaml import safe_load
    assert fresh.CSafeLoader("a: 1").get_event().__class__ is not fresh.StreamStartEvent
    print(safe_load("interactions:\\n- request: {method: GET}\\n  response: {status: 200}\\n"))
    """
)


def test_a_cassette_loads_after_yaml_was_imported_again() -> None:
    yaml = pytest.importorskip("yaml")
    if getattr(yaml, "CSafeLoader", None) is None:
        pytest.skip("PyYAML without libyaml: the C module is what keeps the old classes")
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        "{'interactions': [{'request': {'method': 'GET'}, 'response': {'status': 200}}]}"
    )
