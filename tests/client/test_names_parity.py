"""Names real aiohttp code imports: hdrs, client_exceptions, WSMsgType aliases, .code, ...

Each test reads the same name from aiohttp and from aiotape and compares.
"""

from __future__ import annotations

import warnings
from types import ModuleType
from typing import Any

import aiohttp
import aiohttp.client_exceptions
import aiohttp.hdrs
import pytest
from multidict import CIMultiDict, CIMultiDictProxy, istr
from yarl import URL

import aiotape
import aiotape.client_exceptions
import aiotape.hdrs

CLIENTS = [pytest.param(aiohttp, id="aiohttp"), pytest.param(aiotape, id="aiotape")]

def _constants(module: ModuleType) -> dict[str, tuple[type, object]]:
    return {
        name: (type(value), value)
        for name, value in vars(module).items()
        if name.isupper() and not name.startswith("_")
    }


def test_hdrs_constants_match_aiohttp_by_name_type_and_value() -> None:
    ours, theirs = _constants(aiotape.hdrs), _constants(aiohttp.hdrs)
    assert len(theirs) > 100
    assert ours == theirs


def test_hdrs_constants_look_up_headers_case_insensitively() -> None:
    headers = CIMultiDict({"content-type": "text/plain", "x-request-id": "7"})
    assert headers[aiotape.hdrs.CONTENT_TYPE] == "text/plain"
    assert headers[aiotape.hdrs.X_REQUEST_ID] == "7"
    assert isinstance(aiotape.hdrs.CONTENT_TYPE, istr)


def test_client_exceptions_module_exports_aiohttps_names() -> None:
    missing = set(aiohttp.client_exceptions.__all__) - set(aiotape.client_exceptions.__all__)
    assert missing == set()
    for name in aiotape.client_exceptions.__all__:
        ours = getattr(aiotape.client_exceptions, name)
        assert ours is getattr(aiotape, name)
        assert issubclass(ours, getattr(aiohttp.client_exceptions, name))


def test_wsmsgtype_lower_case_aliases_match_aiohttp() -> None:
    def members(enum: Any) -> dict[str, int]:
        return {name: member.value for name, member in enum.__members__.items()}

    assert members(aiotape.WSMsgType) == members(aiohttp.WSMsgType)
    assert aiotape.WSMsgType.text is aiotape.WSMsgType.TEXT
    assert aiotape.WSMsgType.closed.name == aiohttp.WSMsgType.closed.name == "CLOSED"


def _response_error(client: ModuleType, **kwargs: Any) -> Any:
    url = URL("http://127.0.0.1/x")
    info = client.RequestInfo(url, "GET", CIMultiDictProxy(CIMultiDict()), url)
    return client.ClientResponseError(info, (), **kwargs)


@pytest.mark.parametrize("client", CLIENTS)
def test_response_error_code_is_a_deprecated_alias_of_status(client: ModuleType) -> None:
    exc = _response_error(client, status=404)
    with pytest.warns(DeprecationWarning, match="code property is deprecated"):
        assert exc.code == 404
    with pytest.warns(DeprecationWarning, match="code property is deprecated"):
        exc.code = 410
    assert exc.status == 410


@pytest.mark.parametrize("client", CLIENTS)
def test_response_error_code_argument_is_deprecated(client: ModuleType) -> None:
    with pytest.warns(DeprecationWarning, match="code argument is deprecated"):
        assert _response_error(client, code=503).status == 503
    with pytest.raises(ValueError, match="Both code and status"):
        _response_error(client, code=503, status=500)


async def test_raised_response_error_reports_code(httpbin: URL) -> None:
    codes = []
    for client in (aiohttp, aiotape):
        async with client.ClientSession() as session:
            async with session.get(httpbin / "status" / "418") as resp:
                with pytest.raises(client.ClientResponseError) as info:
                    resp.raise_for_status()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            codes.append(info.value.code)
        assert "headers=" in repr(info.value)
    assert codes == [418, 418]


def test_upload_aborted_and_eof_stream_exist_as_in_aiohttp() -> None:
    assert issubclass(aiotape.UploadAbortedError, aiohttp.UploadAbortedError)
    assert issubclass(aiotape.UploadAbortedError, aiotape.ClientError)
    assert aiotape.EofStream.__mro__[1:] == aiohttp.EofStream.__mro__[1:]
    assert {"EofStream", "Fingerprint", "UploadAbortedError", "hdrs"} <= set(aiotape.__all__)
