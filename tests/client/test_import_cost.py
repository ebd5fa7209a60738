"""``import aiotape`` stays cheap: what a plain GET or a replayed cassette never needs is imported
on first use, in a fresh interpreter each time (structural checks, never timings)."""

from __future__ import annotations

from textwrap import dedent

import pytest

from aiotape.client.options import RequestOptions
from aiotape.client.request_plan import OPTION_DEFAULTS
from tests.fresh_python import run_json

LAZY = (
    "brotli",
    "backports.zstd",
    "compression.zstd",
    "hashlib",
    "http.cookies",
    "httptools",
    "mimetypes",
    "netrc",
    "aiotape.hdrs",
    "aiotape.client_exceptions",
    "aiotape.client.body_decoders",
    "aiotape.client.connection",
    "aiotape.client.connection_settings",
    "aiotape.client.connection_state",
    "aiotape.client.cookie_syntax",
    "aiotape.client.dial",
    "aiotape.client.disposition",
    "aiotape.client.encoded_body",
    "aiotape.client.error_mapping",
    "aiotape.client.exchange",
    "aiotape.client.fingerprint",
    "aiotape.client.formdata",
    "aiotape.client.http11",
    "aiotape.client.middlewares",
    "aiotape.client.multipart",
    "aiotape.client.options",
    "aiotape.client.payloads",
    "aiotape.client.pool_key",
    "aiotape.client.payload_types",
    "aiotape.client.pool",
    "aiotape.client.proxy_env",
    "aiotape.client.resolvers",
    "aiotape.client.response_connection",
    "aiotape.client.schemes",
    "aiotape.client.seam_protocols",
    "aiotape.client.simulation",
    "aiotape.client.ssl_params",
    "aiotape.client.trace_params",
    "aiotape.client.tracing",
    "aiotape.client.tunnel",
    "aiotape.client.unix",
    "aiotape.client.websocket",
    "aiotape.client.ws_channel",
    "aiotape.client.ws_messages",
    "aiotape.client.ws_opening",
    "aiotape.client.ws_timeout",
    "aiotape.client.ws_types",
)

_LOADED = f"""
    import json, sys
    print(json.dumps({{name: name in sys.modules for name in {LAZY!r}}}))
"""


def _loaded_after(code: str) -> dict[str, bool]:
    return run_json(dedent(code) + dedent(_LOADED))


def test_import_aiotape_leaves_the_lazy_modules_unimported() -> None:
    loaded = _loaded_after("import aiotape\n")
    assert [name for name, present in loaded.items() if present] == []


def test_import_aiotape_loads_nothing_of_the_client_or_its_dependencies() -> None:
    loaded = run_json(
        dedent(
            """
            import json, sys
            import aiotape
            print(json.dumps(sorted(
                name for name in sys.modules
                if name.startswith(("aiotape.", "yarl", "multidict", "httptools"))
            )))
            """
        )
    )
    assert loaded == []


def test_a_public_name_imports_its_module_on_first_use() -> None:
    loaded = run_json(
        dedent(
            """
            import json, sys
            import aiotape
            before = "aiotape.client.session" in sys.modules
            session_class = aiotape.ClientSession
            print(json.dumps([before, session_class.__module__ in sys.modules,
                              aiotape.__version__]))
            """
        )
    )
    assert loaded == [False, True, "0.1.0"]


def test_a_replayed_get_imports_no_codec_cookie_form_or_http11_module() -> None:
    loaded = _loaded_after(
        """
        import asyncio
        import aiotape
        from aiotape.client.transport import ChunkedBody, Response
        from multidict import CIMultiDict, CIMultiDictProxy

        class Canned:
            async def handle(self, request):
                headers = CIMultiDictProxy(CIMultiDict({"Content-Type": "text/plain"}))
                return Response(200, "OK", headers, ChunkedBody([b"hello"]))

        async def main():
            with aiotape.use_transport(Canned()):
                async with aiotape.ClientSession() as session:
                    async with session.get("http://127.0.0.1:1/x") as resp:
                        assert await resp.read() == b"hello"

        asyncio.run(main())
        """
    )
    assert [name for name, present in loaded.items() if present] == []


@pytest.mark.parametrize(
    ("use", "module"),
    [
        ("aiotape.FormData()", "aiotape.client.formdata"),
        ("aiotape.ContentDisposition", "aiotape.client.disposition"),
        ("aiotape.UnixConnector", "aiotape.client.unix"),
        ("aiotape.hdrs.ACCEPT", "aiotape.hdrs"),
        ("aiotape.client.decoders.make_decoder('br')", "brotli"),
        ("aiotape.CookieJar().update_cookies({'a': '1'})", "http.cookies"),
    ],
)
def test_a_lazy_module_is_imported_by_its_first_use(use: str, module: str) -> None:
    answer = run_json(
        f"""
        import json, sys
        import aiotape, aiotape.client.decoders
        before = {module!r} in sys.modules
        {use}
        print(json.dumps([before, {module!r} in sys.modules]))
        """
    )
    assert answer == [False, True]


def test_every_public_name_imports_and_is_listed_by_dir() -> None:
    answer = run_json(
        """
        import json
        import aiotape
        names = {name: getattr(aiotape, name) is not None for name in aiotape.__all__}
        missing = sorted(set(aiotape.__all__) - set(dir(aiotape)))
        print(json.dumps([all(names.values()), missing]))
        """
    )
    assert answer == [True, []]


def test_request_option_names_are_the_defaults_and_timeout() -> None:
    assert {*OPTION_DEFAULTS, "timeout"} == set(RequestOptions.__annotations__)
