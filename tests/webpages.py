"""A web server on 127.0.0.1 for tests that fetch pages and feeds: each path answers with the
status, headers and bytes a test gives it, optionally slowly; every request is recorded."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from footnote.editing import FetchPolicy

# The pages are on 127.0.0.1, which a fetch refuses unless private addresses are allowed.
LOCAL = FetchPolicy(allow_private=True, timeout=5.0)


@dataclass
class Route:
    """What one path answers."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before the answer starts
    trickle: float = 0.0  # seconds between chunks of 1 KiB of the body
    chunked: bool = False  # no Content-Length: the body is sent in chunks


@dataclass
class Seen:
    """A request the server received."""

    path: str
    headers: dict[str, str]


class PageServer:
    """Serves routes on 127.0.0.1 on a free port; `url(path)` is a route's address."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Seen] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                server.requests.append(Seen(self.path, dict(self.headers.items())))
                route = server.routes.get(self.path) or Route(b"not found", 404)
                time.sleep(route.delay)
                try:
                    self.send_response(route.status)
                    headers = {"Content-Type": "text/html; charset=utf-8", **route.headers}
                    for name, value in headers.items():
                        self.send_header(name, value)
                    if route.chunked:
                        self.send_header("Transfer-Encoding", "chunked")
                    else:
                        self.send_header("Content-Length", str(len(route.body)))
                    self.send_header("Connection", "close")
                    self.end_headers()
                    step = 1024 if route.trickle or route.chunked else len(route.body) or 1
                    for start in range(0, len(route.body), step):
                        piece = route.body[start : start + step]
                        if route.chunked:
                            self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                        else:
                            self.wfile.write(piece)
                        self.wfile.flush()
                        time.sleep(route.trickle)
                    if route.chunked:
                        self.wfile.write(b"0\r\n\r\n")
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client stopped reading: a refused download

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        """The address of a path on this server (under another host name if given)."""
        return f"http://{host}:{self.port}{path}"

    def page(self, path: str, body: bytes | str, content_type: str = "text/html; charset=utf-8",
             **options: object) -> str:  # fmt: skip
        """Serve body at path; its address."""
        data = body.encode() if isinstance(body, str) else body
        headers = {"Content-Type": content_type, **options.pop("headers", {})}  # type: ignore[dict-item]
        self.routes[path] = Route(data, headers=headers, **options)  # type: ignore[arg-type]
        return self.url(path)

    def redirect(self, path: str, location: str, status: int = 302) -> str:
        """Redirect path to location; the path's address."""
        self.routes[path] = Route(b"", status, {"Location": location})
        return self.url(path)


@contextmanager
def serving() -> Iterator[PageServer]:
    """A running PageServer, shut down after."""
    server = PageServer()
    server.thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()


def article(title: str, paragraphs: list[str], date: str = "2024-03-05",
            canonical: str | None = None) -> str:  # fmt: skip
    """A realistic news page: site navigation, the article with a date, a footer."""
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    body = "\n".join(f"<p>{text}</p>" for text in paragraphs)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} | The Daily Pump</title>
<meta property="og:title" content="{title}">
<meta property="og:site_name" content="The Daily Pump">
<meta name="date" content="{date}">{link}
</head><body>
<header><nav><a href="/">Home</a> <a href="/world">World</a> <a href="/sport">Sport</a>
</nav></header>
<main><article>
<h1>{title}</h1>
<p class="byline">By Ana Reporter, {date}</p>
{body}
</article></main>
<footer><p>Copyright 2024 The Daily Pump. All rights reserved.</p>
<p><a href="/privacy">Privacy</a> <a href="/terms">Terms</a></p></footer>
</body></html>"""
