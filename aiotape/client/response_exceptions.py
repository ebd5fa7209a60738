"""aiohttp-compatible client exceptions that carry a response (status, request_info, history).

Imported on first use through ``exceptions``, the module every class reports being defined in;
like ``base_exceptions``' classes, each derives from aiohttp's same-named class when aiohttp
is importable (unless ``AIOTAPE_AIOHTTP_BASES=0``).
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

from multidict import CIMultiDictProxy

from .base_exceptions import ClientError

if TYPE_CHECKING:
    from .request_info import RequestInfo
    from .response import ClientResponse

__all__ = [
    "ClientHttpProxyError",
    "ClientResponseError",
    "ContentTypeError",
    "TooManyRedirects",
    "WSServerHandshakeError",
]


class ClientResponseError(ClientError):
    """An error tied to a response (status, request_info, history)."""

    def __init__(
        self,
        request_info: RequestInfo,
        history: tuple[ClientResponse, ...],
        *,
        code: int | None = None,
        status: int | None = None,
        message: str = "",
        headers: CIMultiDictProxy[str] | None = None,
    ) -> None:
        if code is not None:
            if status is not None:
                raise ValueError(
                    "Both code and status arguments are provided; "
                    "code is deprecated, use status instead"
                )
            _warn_code("argument")
            status = code
        self.request_info = request_info
        self.status = status if status is not None else 0
        self.message = message
        self.headers = headers
        self.history = history
        self.args = (request_info, history)

    def __str__(self) -> str:
        return f"{self.status}, message={self.message!r}, url={str(self.request_info.real_url)!r}"

    def __repr__(self) -> str:
        args = f"{self.request_info!r}, {self.history!r}"
        if self.status != 0:
            args += f", status={self.status!r}"
        if self.message != "":
            args += f", message={self.message!r}"
        if self.headers is not None:
            args += f", headers={self.headers!r}"
        return f"{type(self).__name__}({args})"

    @property
    def code(self) -> int:
        """Deprecated alias of :attr:`status` (warns, as aiohttp's does)."""
        _warn_code("property")
        return self.status

    @code.setter
    def code(self, value: int) -> None:
        _warn_code("property")
        self.status = value


def _warn_code(kind: str) -> None:
    message = f"code {kind} is deprecated, use status instead"
    warnings.warn(message, DeprecationWarning, stacklevel=3)


class ContentTypeError(ClientResponseError):
    """The response's content type does not fit the requested decoding."""


class WSServerHandshakeError(ClientResponseError):
    """The websocket handshake failed."""


class ClientHttpProxyError(ClientResponseError):
    """A proxy answered with an error status."""


class TooManyRedirects(ClientResponseError):
    """More redirects than max_redirects."""
