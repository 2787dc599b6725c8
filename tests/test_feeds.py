"""Feeds: RSS and Atom read by feedparser from bytes the safe fetcher got, new entries added
as pages (or from the feed's own text when the page cannot be), errors per entry kept."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from xml.sax.saxutils import escape

import feedparser
import pytest
from conftest import write_articles
from webpages import LOCAL, PageServer, article

from footnote.config import EngineConfig
from footnote.editing import EditError, FetchPolicy, add_feed_entries, fetch_feed
from footnote.engine import Engine


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    corpus = write_articles(tmp_path / "corpus", {
        "pumps": "The pump must be primed with water before the first start.",
    })  # fmt: skip
    opened, _ = Engine.open(EngineConfig(corpus_dir=corpus, index_dir=tmp_path / "index"))
    yield opened
    opened.retriever.close()


def rss(title: str, items: list[dict[str, str]]) -> str:
    """An RSS 2.0 feed of these items (title, link, guid, date, description)."""
    parts = []
    for item in items:
        fields = "".join(
            f"<{tag}>{escape(item[key])}</{tag}>"
            for key, tag in (("title", "title"), ("link", "link"), ("guid", "guid"),
                             ("date", "pubDate"), ("description", "description"))
            if key in item
        )  # fmt: skip
        parts.append(f"<item>{fields}</item>")
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>http://example.org/</link>"
        f"<description>news</description>{''.join(parts)}</channel></rss>"
    )


def atom(title: str, entries: list[tuple[str, str, str]]) -> str:
    """An Atom feed of (id, title, link) entries."""
    body = "".join(
        f"<entry><id>{i}</id><title>{t}</title><link href='{link}'/>"
        "<updated>2024-03-05T08:00:00Z</updated></entry>"
        for i, t, link in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{title}</title><id>urn:feed</id><updated>2024-03-05T08:00:00Z</updated>"
        f"{body}</feed>"
    )


STORIES = {
    "/news/herons": ("Heron season opens", "The grey heron nests in tall reeds by the lake."),
    "/news/swifts": ("Swifts return", "Swifts sleep on the wing and land only to nest."),
    "/news/owls": ("Owls at night", "Barn owls hunt voles over the meadow after dusk."),
}


def serve_stories(server: PageServer, paths: list[str]) -> str:
    """Serve the stories' pages and an RSS feed of them, newest first; the feed's address."""
    items = []
    for path in paths:
        title, text = STORIES[path]
        server.page(path, article(title, [text, f"More on {title.lower()} soon."]))
        items.append({"title": title, "link": server.url(path), "guid": f"urn:story:{path}",
                      "date": "Tue, 05 Mar 2024 08:00:00 GMT"})  # fmt: skip
    return server.page("/feed.xml", rss("Bird News", items[::-1]), "application/rss+xml")


def test_an_rss_feed_is_read_with_its_entries(server: PageServer) -> None:
    url = serve_stories(server, ["/news/herons", "/news/swifts"])
    feed = fetch_feed(url, LOCAL)
    assert feed.url == url and feed.title == "Bird News"
    assert [e.title for e in feed.entries] == ["Swifts return", "Heron season opens"]
    assert feed.entries[1].url == server.url("/news/herons")
    assert feed.entries[1].id == "urn:story:/news/herons"
    assert feed.entries[1].published == "2024-03-05T08:00:00Z"


def test_an_atom_feed_is_read_and_an_entry_without_id_is_named_by_its_link(
    server: PageServer,
) -> None:
    url = server.page("/atom", atom("Atom Birds", [("urn:1", "One", "/one"), ("", "Two", "/two")]),
                      "application/atom+xml")  # fmt: skip
    feed = fetch_feed(url, LOCAL)
    assert feed.title == "Atom Birds"
    assert [(e.id, e.url) for e in feed.entries] == [
        ("urn:1", server.url("/one")),
        (server.url("/two"), server.url("/two")),
    ]


def test_new_entries_are_added_once(engine: Engine, server: PageServer) -> None:
    url = serve_stories(server, ["/news/herons", "/news/swifts"])
    seen: set[str] = set()
    added = add_feed_entries(engine, fetch_feed(url, LOCAL), seen, LOCAL, built_by="test")
    assert [a.documents[0].title for a in added] == ["Heron season opens", "Swifts return"]
    assert seen == {"urn:story:/news/herons", "urn:story:/news/swifts"}
    citation = engine.ask("where do grey herons nest?").passages[0].citation
    assert (citation.title, citation.url) == ("Heron season opens", server.url("/news/herons"))
    assert add_feed_entries(engine, fetch_feed(url, LOCAL), seen, LOCAL) == []
    url = serve_stories(server, ["/news/herons", "/news/swifts", "/news/owls"])
    again = add_feed_entries(engine, fetch_feed(url, LOCAL), seen, LOCAL)
    assert [a.documents[0].title for a in again] == ["Owls at night"]


def test_an_entry_whose_page_fails_is_added_from_the_feed_text(
    engine: Engine, server: PageServer
) -> None:
    server.page("/robots.txt", "User-agent: *\nDisallow: /members/\n", "text/plain")
    items = [
        {
            "title": "Members' heron count",
            "link": server.url("/members/count"),
            "guid": "urn:count",
            "description": "<p>Members counted forty heron nests.</p>",
        }
    ]
    url = server.page("/feed", rss("Bird News", items), "application/rss+xml")
    errors: list[str] = []
    added = add_feed_entries(engine, fetch_feed(url, LOCAL), set(), LOCAL, errors=errors)
    assert errors == [] and len(added) == 1
    match = engine.ask("how many heron nests did members count?").passages[0]
    assert match.citation.title == "Members' heron count"
    assert match.citation.url == server.url("/members/count")
    assert "/members/count" not in [r.path for r in server.requests]  # robots.txt obeyed


def test_a_failing_entry_is_reported_and_tried_again_later(
    engine: Engine, server: PageServer
) -> None:
    url = serve_stories(server, ["/news/herons"])
    feed = fetch_feed(url, LOCAL)
    server.routes.pop("/news/herons")
    broken = server.page("/feed2", rss("Bird News", [
        {"title": "Gone", "link": server.url("/gone"), "guid": "urn:gone"},
        {"title": "Swifts return", "link": server.url("/news/swifts"), "guid": "urn:swifts"},
    ]), "application/rss+xml")  # fmt: skip
    server.page("/news/swifts", article(*STORIES["/news/swifts"]))
    seen: set[str] = set()
    errors: list[str] = []
    added = add_feed_entries(engine, fetch_feed(broken, LOCAL), seen, LOCAL, errors=errors)
    assert [a.documents[0].title for a in added] == ["Swifts return"]
    assert seen == {"urn:swifts"}
    assert errors == [f"Gone: {server.url('/gone')} answered 404; check that the link works."]
    assert add_feed_entries(engine, feed, seen, LOCAL) == []  # herons' page is gone too


def test_a_page_that_is_no_feed_is_one_sentence(server: PageServer) -> None:
    url = server.page("/page", article("Herons", ["Herons nest in reeds."]))
    with pytest.raises(EditError, match="is not an RSS or Atom feed"):
        fetch_feed(url, LOCAL)


def test_feedparser_never_fetches_or_opens_anything_itself(
    server: PageServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A feed body that names a file or a URL is read as text, never opened or fetched."""

    def no_fetching(*args: object, **kwargs: object) -> bytes:
        raise AssertionError("feedparser fetched a URL")

    monkeypatch.setattr(feedparser.api.http, "get", no_fetching)
    secret = tmp_path / "secret.xml"
    secret.write_text(rss("Secret", [{"title": "x", "link": "http://a/", "guid": "x"}]))
    url = server.page("/named", str(secret), "application/rss+xml")
    with pytest.raises(EditError, match="is not an RSS or Atom feed"):
        fetch_feed(url, LOCAL)
    url = server.page("/link", "http://169.254.169.254/feed", "application/rss+xml")
    with pytest.raises(EditError, match="is not an RSS or Atom feed"):
        fetch_feed(url, LOCAL)


def test_a_feed_at_a_private_address_is_refused(server: PageServer) -> None:
    url = serve_stories(server, ["/news/herons"])
    with pytest.raises(EditError, match="a private, local or reserved address"):
        fetch_feed(url, FetchPolicy())
