"""RSS and Atom feeds: read with feedparser from bytes the safe fetcher got (feedparser never
fetches anything itself), and their new entries added as pages."""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, field

import feedparser

from footnote.editing.adding import Added, Corpus, add_url, publish
from footnote.editing.fetching import FetchPolicy, fetch
from footnote.editing.naming import url_stem
from footnote.editing.pages import article_markdown
from footnote.errors import EditError
from footnote.ingest.readers.markdown import html_blocks

FEED_ACCEPT = (
    "application/rss+xml,application/atom+xml,application/feed+xml;q=0.9,"
    "application/xml;q=0.8,text/xml;q=0.8,*/*;q=0.5"
)


@dataclass(frozen=True)
class FeedEntry:
    """One entry of a feed: its id (the entry's id, else its link), link, title and date."""

    id: str
    url: str
    title: str
    published: str | None
    content: str = field(default="", repr=False)  # its HTML in the feed, used when its page is not
    # reachable


@dataclass(frozen=True)
class Feed:
    """A feed's address, title and entries, in the feed's order."""

    url: str
    title: str
    entries: list[FeedEntry]


def fetch_feed(url: str, policy: FetchPolicy) -> Feed:
    """Fetch and read a feed; EditError when it cannot be fetched or is no RSS or Atom."""
    fetched = fetch(url, policy, accept=FEED_ACCEPT)
    # A stream, never bytes or a string: given those, feedparser opens a file or URL of
    # that name.
    parsed = feedparser.parse(
        io.BytesIO(fetched.body),
        response_headers={
            "content-location": fetched.url,
            "content-type": fetched.content_type or "application/xml",
        },
    )
    version = parsed.get("version") or ""
    if not version and not parsed.entries:
        raise EditError(
            f"{url} is not an RSS or Atom feed; link the feed itself (often /feed or /rss.xml)."
        )
    entries = []
    for entry in parsed.entries:
        link = _text(entry.get("link"))
        entry_id = _text(entry.get("id")) or link
        if not entry_id or not link:
            continue
        contents = entry.get("content") or []
        content = _text(contents[0].get("value")) if contents else ""
        entries.append(
            FeedEntry(
                id=entry_id,
                url=link,
                title=_text(entry.get("title")) or link,
                published=_date(entry.get("published_parsed") or entry.get("updated_parsed")),
                content=content or _text(entry.get("summary")),
            )
        )
    return Feed(fetched.url, _text(parsed.feed.get("title")) or fetched.url, entries)


def add_feed_entries(
    engine: Corpus,
    feed: Feed,
    seen: set[str],
    policy: FetchPolicy,
    built_by: str = "",
    errors: list[str] | None = None,
) -> list[Added]:
    """Add each entry whose id is not in `seen`, oldest first: its page, or its own content
    in the feed when the page cannot be added. Ids added are put in `seen`; an entry that
    fails is left out of it (tried again next time) and its one sentence appended to
    `errors`."""
    added: list[Added] = []
    for entry in reversed(feed.entries):  # feeds list the newest first
        if entry.id in seen:
            continue
        try:
            try:
                result = add_url(engine, entry.url, policy, built_by)
            except EditError:
                if not entry.content:
                    raise
                result = add_entry_content(engine, feed, entry, built_by)
        except EditError as exc:
            if errors is not None:
                errors.append(f"{entry.title}: {exc}")
            continue
        seen.add(entry.id)
        added.append(result)
    return added


def add_entry_content(engine: Corpus, feed: Feed, entry: FeedEntry, built_by: str = "") -> Added:
    """Add an entry from the HTML the feed carries for it, under the name its page would get
    (so a later add of the page replaces it)."""
    pieces = list(html_blocks(entry.content))
    fields = {"title": entry.title, "date": entry.published, "source": feed.title,
              "url": entry.url}  # fmt: skip
    markdown = article_markdown(fields, pieces) if pieces else None
    if markdown is None:
        raise EditError(f"The feed's text of {entry.url} cannot be kept word for word.")
    return publish(engine, url_stem(entry.url) + ".md", markdown.encode(), built_by, True)


def _text(value: object) -> str:
    return " ".join(str(value).split()) if value else ""


def _date(parsed: time.struct_time | None) -> str | None:
    """A feed date (UTC) as ISO 8601."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", parsed) if parsed else None
