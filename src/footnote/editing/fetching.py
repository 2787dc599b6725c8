"""Fetching a page an admin asked for, safely: public addresses only (every redirect hop
checked, the connection pinned to the address checked), robots.txt obeyed, a timeout and a
size cap.

urllib3 (already installed with trafilatura) connects to the checked IP address itself while
sending the host's name in the Host header and TLS's SNI, so a second DNS answer cannot send
the request somewhere else (DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import socket
import time
import urllib.robotparser
from dataclasses import dataclass, field, replace
from email.message import Message
from urllib.parse import SplitResult, quote, urldefrag, urljoin, urlsplit

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NewConnectionError,
    ReadTimeoutError,
    SSLError,
)

from footnote import __version__
from footnote.editing.naming import megabytes
from footnote.errors import EditError

USER_AGENT = f"Footnote/{__version__} (adds the pages its admins ask for)"
REDIRECTS = (301, 302, 303, 307, 308)
ROBOTS_MAX_BYTES = 512 * 1024  # Google reads the first 500 KiB of a robots.txt
ALLOW_HINT = "FOOTNOTE_ALLOW_PRIVATE_URLS=1 or footnote add --allow-private-urls"
# NAT64's well-known prefix: the IPv4 address it reaches is its last 32 bits.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# The characters a URL's path may hold as they are (RFC 3986), and "%" of an escape.
_URL_SAFE = "/%:@!$&'()*+,;=-._~"


@dataclass(frozen=True)
class FetchPolicy:
    """What fetching may do: reach private addresses, how long, how much, how many hops."""

    allow_private: bool = False
    timeout: float = 10.0  # seconds to connect, for each read, and for the whole download
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    user_agent: str = USER_AGENT


@dataclass(frozen=True)
class Fetched:
    """A fetched resource: the address it came from after redirects, its type and bytes."""

    url: str
    content_type: str  # "text/html", without parameters; "" when the server named none
    charset: str | None
    body: bytes = field(repr=False)


def fetch(url: str, policy: FetchPolicy, accept: str = "*/*") -> Fetched:
    """GET url within the policy, following redirects itself; EditError says why not."""
    deadline = time.monotonic() + policy.timeout
    robots = _Robots(policy, deadline)
    status, final, headers, body = _follow(url, policy, accept, robots, deadline)
    if status >= 400 or status < 200:
        raise EditError(f"{_short(final)} answered {status}; check that the link works.")
    message = Message()
    message["content-type"] = headers.get("content-type", "")
    content_type = message.get_content_type() if headers.get("content-type") else ""
    charset = message.get_param("charset")
    return Fetched(final, content_type, charset if isinstance(charset, str) else None, body)


def _follow(
    url: str, policy: FetchPolicy, accept: str, robots: _Robots | None, deadline: float
) -> tuple[int, str, urllib3.HTTPHeaderDict, bytes]:
    """The answer at url after at most policy.max_redirects redirects, each hop checked."""
    for _ in range(policy.max_redirects + 1):
        parts, addresses = checked_address(url, policy)
        if robots is not None:
            robots.check(url, parts)
        status, headers, body = _request(url, parts, addresses, policy, accept, deadline)
        location = headers.get("location")
        if status in REDIRECTS and location:
            url = urljoin(url, location.strip())
            continue
        return status, urldefrag(url).url, headers, body
    raise EditError(
        f"{_short(url)} redirects more than {policy.max_redirects} times; link the page it "
        "ends on instead."
    )


def checked_address(url: str, policy: FetchPolicy) -> tuple[SplitResult, list[str]]:
    """The URL's parts and the IP addresses its host resolves to, every one of them allowed
    by the policy; EditError when the URL or an address is refused."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise EditError(f"{_short(url)} is not a valid link ({exc}).") from exc
    if parts.scheme not in ("http", "https"):
        raise EditError(f"Only http:// and https:// links can be added, not {_short(url)}.")
    host = parts.hostname
    if not host:
        raise EditError(f"{_short(url)} names no host; give the full link, https://...")
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise EditError(f"The host {host} could not be found; check the link.") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not policy.allow_private:
        for address in addresses:
            if refused_address(ipaddress.ip_address(address.split("%", 1)[0])):
                raise EditError(
                    f"{_short(url)} leads to {address}, a private, local or reserved address; "
                    f"only public pages can be added (an operator can allow such addresses: "
                    f"{ALLOW_HINT})."
                )
    return parts, addresses


def refused_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether an address is private, loopback, link-local, multicast, reserved or
    unspecified, or an IPv6 address carrying such an IPv4 address (mapped, 6to4, Teredo,
    NAT64)."""
    if isinstance(ip, ipaddress.IPv6Address):
        carried: list[ipaddress.IPv4Address | None] = [ip.ipv4_mapped, ip.sixtofour]
        carried += list(ip.teredo or ())
        if ip in _NAT64:
            carried.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if any(inner is not None and refused_address(inner) for inner in carried):
            return True
    return (
        not ip.is_global
        or ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def _request(
    url: str,
    parts: SplitResult,
    addresses: list[str],
    policy: FetchPolicy,
    accept: str,
    deadline: float,
) -> tuple[int, urllib3.HTTPHeaderDict, bytes]:
    """One GET to the first address that takes the connection; the body read only when it
    is not a redirect or an error, never past policy.max_bytes."""
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    shown_host = f"[{host}]" if ":" in host else host
    default_port = 443 if parts.scheme == "https" else 80
    headers = {
        "Host": shown_host if port == default_port else f"{shown_host}:{port}",
        "User-Agent": policy.user_agent,
        "Accept": accept,
        "Accept-Encoding": "gzip, deflate",
    }
    # Spaces, controls and non-ASCII characters percent-encoded; what is encoded stays so.
    target = quote(parts.path or "/", safe=_URL_SAFE)
    if parts.query:
        target += "?" + quote(parts.query, safe=_URL_SAFE + "?")
    last_error: Exception | None = None
    for address in addresses:
        pool = _pool(parts.scheme, address, port, host, policy)
        try:
            response = pool.urlopen(
                "GET",
                target,
                headers=headers,
                redirect=False,
                retries=False,
                preload_content=False,
                decode_content=True,
                assert_same_host=False,
            )
        except (NewConnectionError, ConnectTimeoutError) as exc:
            pool.close()
            last_error = exc
            continue
        except HTTPError as exc:
            pool.close()
            raise _fetch_error(url, exc, policy) from exc
        try:
            if response.status in REDIRECTS or response.status >= 400:
                return response.status, response.headers, b""
            return response.status, response.headers, _body(url, response, policy, deadline)
        except HTTPError as exc:
            raise _fetch_error(url, exc, policy) from exc
        finally:
            response.release_conn()
            pool.close()
    raise _fetch_error(url, last_error, policy)


def _pool(
    scheme: str, address: str, port: int, host: str, policy: FetchPolicy
) -> urllib3.HTTPConnectionPool:
    """A one-connection pool to the checked address, TLS checked against the host's name."""
    timeout = urllib3.Timeout(connect=policy.timeout, read=policy.timeout)
    if scheme == "https":
        return urllib3.HTTPSConnectionPool(
            address,
            port,
            timeout=timeout,
            retries=False,
            cert_reqs="CERT_REQUIRED",
            assert_hostname=host,
            server_hostname=host,
        )
    return urllib3.HTTPConnectionPool(address, port, timeout=timeout, retries=False)


def _body(
    url: str, response: urllib3.BaseHTTPResponse, policy: FetchPolicy, deadline: float
) -> bytes:
    """The response's (decompressed) bytes, refused as soon as they pass the size cap or the
    download outlasts the timeout."""
    too_big = EditError(
        f"{_short(url)} is larger than the limit of {megabytes(policy.max_bytes)}; link a "
        "smaller page or file."
    )
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > policy.max_bytes:
        raise too_big
    chunks: list[bytes] = []
    size = 0
    for chunk in response.stream(64 * 1024):
        size += len(chunk)
        if size > policy.max_bytes:
            raise too_big
        if time.monotonic() > deadline:
            raise _slow(url, policy)
        chunks.append(chunk)
    return b"".join(chunks)


def _fetch_error(url: str, exc: Exception | None, policy: FetchPolicy) -> EditError:
    """One sentence for a failed connection or download."""
    # A refused connection is a ConnectTimeoutError too, in urllib3.
    if isinstance(exc, ConnectTimeoutError | ReadTimeoutError) and not isinstance(
        exc, NewConnectionError
    ):
        return _slow(url, policy)
    if isinstance(exc, SSLError):
        return EditError(
            f"{_short(url)}'s secure connection could not be checked ({_reason(exc)}); "
            "check the link."
        )
    return EditError(f"{_short(url)} could not be reached ({_reason(exc)}); check the link.")


def _slow(url: str, policy: FetchPolicy) -> EditError:
    return EditError(
        f"{_short(url)} did not answer within {policy.timeout:g} second"
        f"{'' if policy.timeout == 1 else 's'}; try again later."
    )


def _reason(exc: Exception | None) -> str:
    """The last part of an exception's message: what went wrong, without the object dump."""
    text = " ".join(str(exc or "no address took the connection").split())
    return text.rsplit(": ", 1)[-1][:120]


def _short(url: str) -> str:
    """A URL as a message shows it: printable, at most 100 characters."""
    shown = "".join(ch if ch.isprintable() else "?" for ch in url.strip())
    return shown if len(shown) <= 100 else shown[:99] + "…"


class _Robots:
    """Each host's robots.txt, fetched once per fetch with the same checks, asked before
    every hop. A missing one (4xx) allows everything; 401 and 403 forbid everything."""

    def __init__(self, policy: FetchPolicy, deadline: float) -> None:
        self.policy = replace(policy, max_bytes=min(policy.max_bytes, ROBOTS_MAX_BYTES))
        self.deadline = deadline
        self.parsers: dict[str, urllib.robotparser.RobotFileParser] = {}

    def check(self, url: str, parts: SplitResult) -> None:
        """Raise EditError when the host's robots.txt forbids our user agent this URL."""
        origin = f"{parts.scheme}://{parts.netloc}"
        parser = self.parsers.get(origin)
        if parser is None:
            parser = self.parsers[origin] = self._read(origin)
        if not parser.can_fetch(self.policy.user_agent, url):
            raise EditError(
                f"{origin}/robots.txt does not allow Footnote to fetch {_short(url)}; the "
                "site asks robots to stay away, so add the article as a file instead."
            )

    def _read(self, origin: str) -> urllib.robotparser.RobotFileParser:
        parser = urllib.robotparser.RobotFileParser(f"{origin}/robots.txt")
        # A robots.txt that cannot be reached forbids everything (RFC 9309): its error,
        # raised here, refuses the page.
        status, _, _, body = _follow(
            f"{origin}/robots.txt", self.policy, "text/plain", None, self.deadline
        )
        if status in (401, 403):
            parser.disallow_all = True
        elif 400 <= status < 500:
            parser.allow_all = True
        elif status >= 500:
            raise EditError(
                f"{origin}/robots.txt answered {status}, so the page is not fetched; try "
                "again later."
            )
        else:
            parser.parse(body.decode("utf-8", "replace").splitlines())
        return parser
