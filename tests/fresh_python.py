"""Run a script in a fresh interpreter (nothing imported yet) and read its JSON answer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import aiotape

REPO = Path(aiotape.__file__).resolve().parent.parent


def run_json(script: str, **env: str) -> dict[str, Any]:
    """Run ``script`` (dedented) with this checkout on the path; its last stdout line, parsed."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        env={**os.environ, "PYTHONPATH": str(REPO), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    answer: dict[str, Any] = json.loads(result.stdout.splitlines()[-1])
    return answer
