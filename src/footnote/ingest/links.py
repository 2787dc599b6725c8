"""Where a document lives on the web: its page address on a docs site, and its sections' anchors.

A docs site (Jekyll, Hugo, MkDocs, GitHub Pages) publishes each Markdown file at an address
made from a base URL and the file's path, unless its front matter names one (``permalink``,
``url``, ``slug``); each heading gets an anchor made from its words, so a citation can open
the page at the section it quotes.
"""

from __future__ import annotations

import posixpath
import unicodedata
from collections.abc import Mapping
from urllib.parse import quote, urljoin, urlsplit

# Files that stand for their folder's page: docs/guide/index.md is published as /guide/.
FOLDER_PAGES = {"index", "readme", "_index"}


def is_absolute(url: str) -> bool:
    """Whether a URL names its scheme and host (https://example.org/page)."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def page_url(path: str, meta: Mapping[str, object], base_url: str | None) -> str | None:
    """A document's address: an absolute front-matter ``url``; else, under ``base_url``, its
    ``permalink``, relative ``url`` or ``slug``, or the page its path is published at."""
    given = meta.get("url")
    if isinstance(given, str) and is_absolute(given.strip()):
        return given.strip()
    if not base_url:
        return None
    base = base_url if base_url.endswith("/") else base_url + "/"
    for key in ("permalink", "url"):
        value = meta.get(key)
        if isinstance(value, str) and value.strip():
            return urljoin(base, quote(value.strip().lstrip("/"), safe="/#%?=&~:+"))
    folder, name = posixpath.split(path)
    stem = name.rsplit(".", 1)[0]
    slug = meta.get("slug")
    if isinstance(slug, str | int) and str(slug).strip():
        stem = str(slug).strip().strip("/")
    parts = [p for p in folder.split("/") if p]
    if stem.lower() not in FOLDER_PAGES:
        parts.append(stem)
    page = "/".join(quote(p) for p in parts)
    return urljoin(base, page + "/" if page else "")


def heading_anchor(heading: str) -> str:
    """The anchor GitHub and MkDocs give a heading: lower case, punctuation gone, spaces '-'."""
    kept = (
        ch for ch in heading.strip().lower() if ch in " -_" or unicodedata.category(ch)[0] in "LN"
    )
    return "".join(kept).replace(" ", "-")


def section_url(url: str | None, section: str | None) -> str | None:
    """The page's address opened at the section, when the page has no fragment of its own."""
    if not url or not section or "#" in url:
        return url
    anchor = heading_anchor(section)
    return f"{url}#{anchor}" if anchor else url
