"""Which webhook targets the shim connects to: public addresses only, unless private ones are
allowed (`TWILIO_COMPAT_ALLOW_PRIVATE_WEBHOOKS`).

A webhook URL is whatever the holder of the account's credentials configured. Called from
inside a deployment's network, it could reach what is not meant to be reachable from outside
(cloud metadata at 169.254.169.254, databases, admin ports), and a pre-event answer may even be
copied into a message. So `CheckedBackend` resolves a host once, checks every address it
resolves to, and connects only to those checked addresses: a second DNS answer (rebinding)
never gets a say. TLS still verifies the certificate against the URL's host name, which the
connection pool above it uses as before.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from urllib.parse import urlsplit

import httpcore

Resolve = Callable[[str, int], Awaitable[list[str]]]
"""(host, port) -> every address to try, in order."""

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_FIRST_TRIES = 1.0
"""Seconds an address that is not the last one gets to connect before the next is tried."""


class RefusedTarget(Exception):
    """A webhook host resolves to a private, loopback or link-local address."""

    def __init__(self, host: str) -> None:
        super().__init__(f"{host} resolves to a private, loopback or link-local address")
        self.host = host


def is_public(address: str) -> bool:
    """Whether `address` is a globally routable unicast address. IPv4 addresses carried in
    IPv6 (mapped, NAT64, 6to4) are judged by the IPv4 address they reach."""
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _NAT64:
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        else:
            ip = ip.ipv4_mapped or ip.sixtofour or ip
    return ip.is_global and not ip.is_multicast and not ip.is_reserved


async def resolve(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for `host` (a literal address gives itself)."""
    loop = asyncio.get_running_loop()
    found = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in found))


class CheckedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, connecting only to addresses that passed the check."""

    def __init__(self, *, allow_private: bool = False, resolver: Resolve = resolve) -> None:
        self._allow_private = allow_private
        self._resolve = resolver
        self._network = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await self._resolve(host, port)
        except OSError as error:
            raise httpcore.ConnectError(f"cannot resolve {host}: {error}") from error
        if not addresses:
            raise httpcore.ConnectError(f"{host} resolves to no address")
        if not self._allow_private and not all(is_public(a) for a in addresses):
            raise RefusedTarget(host)
        failure: Exception | None = None
        for n, address in enumerate(addresses, 1):
            limit = timeout if n == len(addresses) else min(timeout or _FIRST_TRIES, _FIRST_TRIES)
            try:
                return await self._network.connect_tcp(
                    address, port, limit, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failure = error
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise RefusedTarget(path)  # webhooks are URLs; a socket file is never a target

    async def sleep(self, seconds: float) -> None:
        await self._network.sleep(seconds)


def for_logs(url: str) -> str:
    """`url` as logs may show it: scheme://host[:port]/path, without credentials or query."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<invalid URL>"
    host = parts.netloc.rpartition("@")[2]
    return f"{parts.scheme}://{host}{parts.path}"
