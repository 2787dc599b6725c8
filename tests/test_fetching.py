"""Fetching pages safely: only http(s), only public addresses (every redirect hop checked, the
connection pinned to the address checked), robots.txt obeyed, a timeout and a size cap."""

from __future__ import annotations

import gzip
import ipaddress
import socket

import pytest
from webpages import LOCAL, PageServer, Route, article

from footnote.editing import fetching
from footnote.editing.fetching import FetchPolicy, fetch, refused_address
from footnote.errors import EditError


@pytest.fixture
def loopback_is_public(monkeypatch: pytest.MonkeyPatch) -> None:
    """The page server on 127.0.0.1 stands for a public site: 127.0.0.1 passes the address
    check, every other address is checked as usual."""
    real = fetching.refused_address

    def refused(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        return ip != ipaddress.ip_address("127.0.0.1") and real(ip)

    monkeypatch.setattr(fetching, "refused_address", refused)


def test_a_page_is_fetched_with_its_type_and_charset(server: PageServer) -> None:
    url = server.page("/news/pump", article("Pump prices rise", ["Prices rose ten percent."]))
    fetched = fetch(url, LOCAL)
    assert fetched.url == url
    assert fetched.content_type == "text/html" and fetched.charset == "utf-8"
    assert b"Prices rose ten percent." in fetched.body
    assert server.requests[-1].headers["User-Agent"].startswith("Footnote/")


def test_an_address_with_spaces_and_accents_is_encoded(server: PageServer) -> None:
    server.page("/caf%C3%A9%20menu?q=cr%C3%AApe", "<p>menu</p>")
    assert fetch(server.url("/café menu?q=crêpe"), LOCAL).body == b"<p>menu</p>"
    assert fetch(server.url("/caf%C3%A9%20menu?q=cr%C3%AApe"), LOCAL).body == b"<p>menu</p>"


def test_redirects_are_followed_to_the_final_address(server: PageServer) -> None:
    target = server.page("/final", "<p>here</p>")
    start = server.redirect("/a", "/b", 301)
    server.redirect("/b", target, 307)
    fetched = fetch(start, LOCAL)
    assert fetched.url == target and fetched.body == b"<p>here</p>"


def test_a_redirect_loop_is_refused_after_the_limit(server: PageServer) -> None:
    server.redirect("/loop", "/loop")
    with pytest.raises(EditError, match="redirects more than 2 times"):
        fetch(server.url("/loop"), FetchPolicy(allow_private=True, max_redirects=2))
    assert sum(r.path == "/loop" for r in server.requests) == 3


def test_a_private_address_is_refused_unless_allowed(server: PageServer) -> None:
    url = server.page("/p", "<p>secret admin page</p>")
    with pytest.raises(EditError, match=r"leads to 127\.0\.0\.1, a private") as refused:
        fetch(url, FetchPolicy())
    assert "FOOTNOTE_ALLOW_PRIVATE_URLS" in str(refused.value)
    assert not server.requests  # refused before connecting
    assert fetch(url, LOCAL).body == b"<p>secret admin page</p>"


@pytest.mark.parametrize(
    "location",
    [
        "http://169.254.169.254/latest/meta-data/",  # a cloud's metadata service
        "http://10.1.2.3/",
        "http://[::1]/",
        "http://[::ffff:192.168.0.1]/",
        "http://0.0.0.0/",
    ],
)
def test_a_redirect_hop_to_a_private_address_is_refused(
    server: PageServer, loopback_is_public: None, location: str
) -> None:
    """A public page that redirects inward is refused at the hop, before connecting."""
    start = server.redirect("/go", location)
    with pytest.raises(EditError, match="a private, local or reserved address"):
        fetch(start, FetchPolicy())
    assert [r.path for r in server.requests if r.path != "/robots.txt"] == ["/go"]


def test_the_connection_goes_to_the_address_checked_with_the_host_kept(
    server: PageServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The host is resolved once per hop and the request sent to that address with its name
    in the Host header: a second DNS answer (rebinding) is never asked for."""
    asked: list[str] = []
    real = socket.getaddrinfo

    def resolve(host: str, *args: object, **kwargs: object) -> list:
        asked.append(host)
        return real("127.0.0.1" if host == "news.test" else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    server.page("/story", "<p>story</p>")
    fetched = fetch(server.url("/story", host="news.test"), LOCAL)
    assert fetched.body == b"<p>story</p>"
    assert asked.count("news.test") == 2  # once for robots.txt's hop, once for the page's
    story = next(r for r in server.requests if r.path == "/story")
    assert story.headers["Host"] == f"news.test:{server.port}"


def test_a_rebinding_host_is_refused_when_any_address_is_private(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A host that resolves to a public and a private address is refused as a whole."""

    def resolve(host: str, port: int, *args: object, **kwargs: object) -> list:
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with pytest.raises(EditError, match=r"leads to 127\.0\.0\.1"):
        fetch("http://twofaced.test/", FetchPolicy())


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "100.64.0.1",
        "0.0.0.0", "224.0.0.1", "240.0.0.1", "255.255.255.255", "::1", "::", "fe80::1",
        "fc00::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "2002:7f00:1::1",
        "64:ff9b::a00:1", "2001:0:4136:e378:8000:63bf:f5ff:fffe",
    ],
)  # fmt: skip
def test_private_local_and_reserved_addresses_are_refused(address: str) -> None:
    assert refused_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert not refused_address(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "url, message",
    [
        ("ftp://example.org/file.md", "Only http:// and https://"),
        ("file:///etc/passwd", "Only http:// and https://"),
        ("javascript:alert(1)", "Only http:// and https://"),
        ("http:///nohost", "names no host"),
        ("http://example.org:99999/", "not a valid link"),
        ("http://no-such-host.invalid/", "could not be found"),
    ],
)
def test_links_that_cannot_be_fetched_get_one_sentence(url: str, message: str) -> None:
    with pytest.raises(EditError, match=message):
        fetch(url, LOCAL)


def test_robots_txt_is_obeyed(server: PageServer) -> None:
    server.page("/robots.txt", "User-agent: *\nDisallow: /private/\n", "text/plain")
    allowed = server.page("/public/a", "<p>open</p>")
    forbidden = server.page("/private/b", "<p>closed</p>")
    assert fetch(allowed, LOCAL).body == b"<p>open</p>"
    with pytest.raises(EditError, match=r"robots\.txt does not allow Footnote"):
        fetch(forbidden, LOCAL)
    assert "/private/b" not in [r.path for r in server.requests]


def test_robots_txt_naming_footnote_is_obeyed(server: PageServer) -> None:
    server.page("/robots.txt", "User-agent: Footnote\nDisallow: /\n\nUser-agent: *\nAllow: /\n",
                "text/plain")  # fmt: skip
    with pytest.raises(EditError, match=r"robots\.txt does not allow"):
        fetch(server.page("/a", "<p>a</p>"), LOCAL)


def test_a_redirect_target_is_checked_against_its_own_robots_txt(server: PageServer) -> None:
    server.page("/robots.txt", "User-agent: *\nDisallow: /members/\n", "text/plain")
    server.page("/members/page", "<p>members only</p>")
    start = server.redirect("/open", "/members/page")
    with pytest.raises(EditError, match=r"robots\.txt does not allow"):
        fetch(start, LOCAL)


def test_a_missing_robots_txt_allows_and_a_forbidden_one_refuses(server: PageServer) -> None:
    url = server.page("/a", "<p>a</p>")
    assert fetch(url, LOCAL).body == b"<p>a</p>"  # /robots.txt answers 404
    server.routes["/robots.txt"] = Route(b"no", 403)
    with pytest.raises(EditError, match=r"robots\.txt does not allow"):
        fetch(url, LOCAL)
    server.routes["/robots.txt"] = Route(b"down", 503)
    with pytest.raises(EditError, match=r"robots\.txt answered 503"):
        fetch(url, LOCAL)


def test_an_oversize_page_is_refused_by_its_length(server: PageServer) -> None:
    url = server.page("/big", b"x" * 5000, "text/plain")
    with pytest.raises(EditError, match="larger than the limit of 0 MB"):
        fetch(url, FetchPolicy(allow_private=True, max_bytes=4000))


def test_an_oversize_page_without_a_length_stops_while_streaming(server: PageServer) -> None:
    url = server.page("/stream", b"y" * 300_000, "text/plain", chunked=True)
    with pytest.raises(EditError, match="larger than the limit"):
        fetch(url, FetchPolicy(allow_private=True, max_bytes=100_000))


def test_a_compressed_page_counts_its_unpacked_size(server: PageServer) -> None:
    """A small gzip that unpacks past the cap (a zip bomb) is refused."""
    packed = gzip.compress(b"z" * 2_000_000)
    url = server.page("/bomb", packed, "text/plain", headers={"Content-Encoding": "gzip"})
    with pytest.raises(EditError, match="larger than the limit"):
        fetch(url, FetchPolicy(allow_private=True, max_bytes=1_000_000))
    small = server.page("/gz", gzip.compress(b"hello"), "text/plain",
                        headers={"Content-Encoding": "gzip"})  # fmt: skip
    assert fetch(small, LOCAL).body == b"hello"


def test_a_slow_server_times_out(server: PageServer) -> None:
    url = server.page("/slow", "<p>late</p>", delay=3.0)
    with pytest.raises(EditError, match=r"did not answer within 0\.5 seconds"):
        fetch(url, FetchPolicy(allow_private=True, timeout=0.5))


def test_a_trickling_download_stops_at_the_timeout(server: PageServer) -> None:
    """A server sending a byte now and then never outlasts the timeout as a whole."""
    url = server.page("/drip", b"d" * 20_000, "text/plain", trickle=0.2)
    with pytest.raises(EditError, match="did not answer within 1 second;"):
        fetch(url, FetchPolicy(allow_private=True, timeout=1.0))


def test_an_error_status_is_one_sentence(server: PageServer) -> None:
    with pytest.raises(EditError, match="answered 404; check that the link works"):
        fetch(server.url("/missing"), LOCAL)


def test_a_closed_port_is_one_sentence() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(EditError, match="could not be reached"):
        fetch(f"http://127.0.0.1:{port}/", LOCAL)
