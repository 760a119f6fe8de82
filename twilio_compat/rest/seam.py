"""twilio-python's ``http_client`` seam, taken apart in one place.

twilio calls ``HttpClient.request`` with eight arguments. The shim's clients answer such a
call from ACS, route it, record it or mirror it, and most hand the same arguments on to
another client. ``SeamHttpClient`` and ``AsyncSeamHttpClient`` accept twilio 8's signature
once and give subclasses the method, the URL and one ``RequestOptions`` (the rest, by name),
which ``forward`` / ``forward_async`` pass to any twilio client unchanged.
"""

from __future__ import annotations

from typing import TypedDict

from twilio.http import AsyncHttpClient, HttpClient
from twilio.http.response import Response


class RequestOptions(TypedDict):
    """The keyword arguments of twilio's ``HttpClient.request`` after ``method`` and ``url``."""

    params: dict[str, object] | None
    data: object
    headers: dict[str, str] | None
    auth: tuple[str, str] | None
    timeout: float | None
    allow_redirects: bool


class SeamHttpClient(HttpClient):  # type: ignore[misc]
    """A twilio ``HttpClient`` whose subclasses implement ``respond`` instead of ``request``."""

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: object = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        options = RequestOptions(
            params=params,
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout,
            allow_redirects=allow_redirects,
        )
        return self.respond(method, url, options)

    def respond(self, method: str, url: str, options: RequestOptions) -> Response:
        """The answer to one twilio call."""
        raise NotImplementedError


class AsyncSeamHttpClient(AsyncHttpClient):  # type: ignore[misc]
    """The async twin of ``SeamHttpClient``: subclasses implement ``async respond``."""

    async def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: object = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        options = RequestOptions(
            params=params,
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout,
            allow_redirects=allow_redirects,
        )
        return await self.respond(method, url, options)

    async def respond(self, method: str, url: str, options: RequestOptions) -> Response:
        """The answer to one twilio call."""
        raise NotImplementedError


def forward(target: HttpClient, method: str, url: str, options: RequestOptions) -> Response:
    """``target``'s answer to the call, made with twilio's own keyword arguments."""
    answer: Response = target.request(method, url, **options)
    return answer


async def forward_async(
    target: AsyncHttpClient, method: str, url: str, options: RequestOptions
) -> Response:
    """``target``'s answer to the call, made with twilio's own keyword arguments."""
    answer: Response = await target.request(method, url, **options)
    return answer


__all__ = ["AsyncSeamHttpClient", "RequestOptions", "SeamHttpClient", "forward", "forward_async"]
