"""Which URLs crowdloop may call on a requester's behalf (webhooks, model servers):
http(s) to a public address only, against server-side request forgery.

A URL is resolved and every address it resolves to must be public: loopback, private,
link-local (cloud metadata at 169.254.169.254), multicast, reserved and unspecified
addresses are refused, unless the operator set ``CROWDLOOP_OUTBOUND_ALLOW_PRIVATE`` (tests,
a receiver or model server on the same host or LAN). An operator may also set an
allow-list (``CROWDLOOP_OUTBOUND_ALLOWLIST``: host names, ``*.domain`` wildcards and CIDR
networks): then only the hosts it names are called, and those may be private (the operator
vouched for them). The webhook sender checks again before each attempt, so a name that
later resolves to a private address is refused then too.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from crowdloop.errors import InvalidInput

SCHEMES = ("http", "https")
MAX_URL_CHARS = 2048
ALLOW_HINT = "an operator may set CROWDLOOP_OUTBOUND_ALLOW_PRIVATE=1 to allow private hosts"
LIST_HINT = "an operator may add it to CROWDLOOP_OUTBOUND_ALLOWLIST"
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class OutboundPolicy:
    """Where crowdloop may send requests: built once from the settings, passed down."""

    allow_private: bool = False
    names: tuple[str, ...] = ()  # exact host names, or ".domain" for "*.domain"
    networks: tuple[Network, ...] = ()

    @classmethod
    def parse(cls, allowlist: str, *, allow_private: bool = False) -> OutboundPolicy:
        """From ``CROWDLOOP_OUTBOUND_ALLOWLIST``: comma-separated names and networks."""
        names: list[str] = []
        networks: list[Network] = []
        for raw in allowlist.split(","):
            entry = raw.strip().lower()
            if not entry:
                continue
            if "/" in entry or entry.replace(".", "").isdigit() or ":" in entry:
                try:
                    networks.append(ipaddress.ip_network(entry, strict=False))
                except ValueError as exc:
                    raise ValueError(f"outbound allow-list: {exc}") from None
            else:
                names.append(_name_entry(entry))
        return cls(allow_private, tuple(names), tuple(networks))

    @property
    def listed(self) -> bool:
        return bool(self.names or self.networks)

    def check(self, url: str) -> str:
        """The URL, stripped, if crowdloop may call it; ``InvalidInput`` saying why not."""
        url, host, port = _parse(url)
        if self.listed:
            self._check_listed(host, port)
        elif not self.allow_private:
            for address in resolve(host, port):
                refuse_private(host, address)
        return url

    def _check_listed(self, host: str, port: int) -> None:
        name = host.strip("[]").lower().rstrip(".")
        if any(name == n or (n.startswith(".") and name.endswith(n)) for n in self.names):
            return
        addresses = resolve(host, port)
        if self.networks and all(any(a in n for n in self.networks) for a in addresses):
            return
        raise InvalidInput(
            f"url: {host} is not in the operator's allow-list of outbound hosts ({LIST_HINT})"
        )


def _name_entry(entry: str) -> str:
    name = entry[2:] if entry.startswith("*.") else entry
    if not name or any(c in name for c in "/@:* "):
        raise ValueError(f"outbound allow-list: {entry!r} is not a host name or network")
    return "." + name if entry.startswith("*.") else name


def _parse(url: str) -> tuple[str, str, int]:
    """The stripped URL, its host and port, or ``InvalidInput``."""
    url = url.strip()
    if len(url) > MAX_URL_CHARS:
        raise InvalidInput(f"url: longer than {MAX_URL_CHARS} characters")
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES:
        raise InvalidInput(f"url: must start with http:// or https:// (got {url!r})")
    try:
        host, port = parts.hostname, parts.port
    except ValueError as exc:
        raise InvalidInput(f"url: {exc}") from None
    if not host:
        raise InvalidInput(f"url: names no host ({url!r})")
    return url, host, port or (443 if parts.scheme == "https" else 80)


def resolve(host: str, port: int) -> list[Address]:
    """Every address ``host`` resolves to (a literal address is itself)."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise InvalidInput(f"url: cannot resolve host {host!r} ({exc})") from None
    addresses = []
    for *_, sockaddr in found:
        text = str(sockaddr[0]).split("%", 1)[0]  # an IPv6 scope (fe80::1%eth0)
        addresses.append(ipaddress.ip_address(text))
    if not addresses:
        raise InvalidInput(f"url: host {host!r} has no address")
    return addresses


def kind_of(address: Address) -> str | None:
    """Why ``address`` is not public, or None when it is."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    checks = (
        ("a loopback address", address.is_loopback),
        ("an unspecified address", address.is_unspecified),
        ("a link-local address", address.is_link_local),
        ("a multicast address", address.is_multicast),
        ("a private address", address.is_private),
        ("a reserved address", address.is_reserved),
        ("not a globally routable address", not address.is_global),
    )
    return next((name for name, hit in checks if hit), None)


def refuse_private(host: str, address: Address) -> None:
    kind = kind_of(address)
    if kind is None:
        return
    where = str(address) if host.strip("[]") == str(address) else f"{host} ({address})"
    raise InvalidInput(
        f"url: {where} is {kind}; crowdloop only calls public addresses ({ALLOW_HINT})"
    )
