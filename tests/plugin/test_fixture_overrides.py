"""``vcr_config``, ``vcr_cassette_dir`` and ``default_cassette_name`` overrides always win.

The plugin computes its own defaults without pytest's fixture machinery when a test does not
override them; these inner suites override them in a conftest, a module, a class and by
parametrization, next to tests that keep the defaults.
"""

from __future__ import annotations

import pytest

from tests.plugin.inner import INI, NO_RECORDING

pytest_plugins = ["pytester"]

_CHECK = """
import pytest

def check(vcr, name, mode, folder=None):
    assert vcr.path.name == name
    assert vcr.record_mode.value == mode
    if folder is not None:
        assert vcr.path.parent.name == folder
    else:
        assert vcr.path.parent.parent.name == "cassettes"
"""


def test_overrides_in_conftest_module_class_and_parametrize(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(check=_CHECK)
    pytester.makepyfile(
        test_defaults="""
import pytest
from check import check

@pytest.mark.vcr
def test_plain(vcr):
    check(vcr, "test_plain.yaml", "none")

@pytest.mark.vcr
@pytest.mark.parametrize("vcr_config", [{"record_mode": "all"}])
def test_parametrized(vcr, vcr_config):
    check(vcr, "test_parametrized[vcr_config0].yaml", "all")

class TestNamed:
    @pytest.fixture
    def default_cassette_name(self):
        return "shared-name"

    @pytest.mark.vcr
    def test_in_class(self, vcr):
        check(vcr, "shared-name.yaml", "none")

@pytest.mark.vcr
def test_after_class(vcr):
    check(vcr, "test_after_class.yaml", "none")
""",
        test_module_override="""
import pytest
from check import check

@pytest.fixture
def vcr_config():
    return {"record_mode": "new_episodes"}

@pytest.mark.vcr
def test_module_config(vcr):
    check(vcr, "test_module_config.yaml", "new_episodes")
""",
    )
    sub = pytester.mkpydir("sub")
    (sub / "conftest.py").write_text(
        "import pytest\n\n"
        "@pytest.fixture\n"
        "def vcr_config():\n"
        '    return {"record_mode": "all"}\n\n'
        '@pytest.fixture(scope="module")\n'
        "def vcr_cassette_dir(request):\n"
        '    return str(request.path.parent / "tapes")\n'
    )
    (sub / "test_sub.py").write_text(
        "import pytest\n"
        "from check import check\n\n"
        "@pytest.mark.vcr\n"
        "def test_conftest_config(vcr):\n"
        '    check(vcr, "test_conftest_config.yaml", "all", "tapes")\n'
    )
    result = pytester.runpytest(*NO_RECORDING, "-p", "no:randomly")
    result.assert_outcomes(passed=6)
