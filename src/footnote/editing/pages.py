"""A fetched page as a corpus file: a web page's article as Markdown with its title, date,
source and address in front matter; other readable types saved as they came."""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from urllib.parse import unquote, urlsplit

import yaml

from footnote.editing.fetching import Fetched
from footnote.editing.naming import READABLE_SUFFIXES, readable_list
from footnote.errors import EditError
from footnote.ingest.corpus import html_blocks, split_front_matter
from footnote.ingest.readers.markdown import read_markdown

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
TYPE_SUFFIXES = {
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "text/markdown": ".md",
    "text/x-markdown": ".md",
    "text/plain": ".txt",
    "text/x-rst": ".rst",
    "text/prs.fallenstein.rst": ".rst",
    "application/jsonl": ".jsonl",
    "application/x-ndjson": ".jsonl",
    "application/x-jsonlines": ".jsonl",
}
# Types servers send for any file: then the address's extension says what it is.
GENERIC_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream", "text/plain"})
# Formats whose front matter the reader takes a citation's address from.
FRONT_MATTER_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd", ".txt")
# Markdown's inline syntax characters: a backslash before each keeps it a character.
_INLINE = frozenset("\\`*_[]<>#!&~|{}")


def page_file(fetched: Fetched) -> tuple[str, bytes]:
    """The extension and bytes of the corpus file a fetched resource is saved as."""
    if fetched.content_type in HTML_TYPES:
        return article_file(fetched)
    suffix = TYPE_SUFFIXES.get(fetched.content_type)
    from_address = posixpath.splitext(unquote(urlsplit(fetched.url).path))[1].lower()
    if fetched.content_type in GENERIC_TYPES and from_address in READABLE_SUFFIXES:
        suffix = from_address
    if suffix is None or suffix in (".html", ".htm"):
        shown = fetched.content_type or "of no declared type"
        raise EditError(
            f"{fetched.url} is {shown}, which Footnote does not read; link a web page or a "
            f"file of type {readable_list()}."
        )
    if suffix in FRONT_MATTER_SUFFIXES:
        return suffix, with_address(fetched)
    return suffix, fetched.body


def with_address(fetched: Fetched) -> bytes:
    """A Markdown or text file with its address added as front matter, when it has none of
    its own (its own wins; bytes that are not UTF-8 are kept for the reader to refuse)."""
    try:
        text = fetched.body.decode(fetched.charset or "utf-8-sig")
    except (UnicodeDecodeError, LookupError):
        return fetched.body
    if split_front_matter(text.replace("\r\n", "\n"))[0] is not None:
        return fetched.body
    host = urlsplit(fetched.url).hostname
    return (front_matter({"url": fetched.url, "source": host}) + "\n" + text).encode()


def article_file(fetched: Fetched) -> tuple[str, bytes]:
    """A web page's article, extracted by trafilatura as the HTML reader extracts it, as
    Markdown whose front matter keeps its title, date, source and address."""
    html = decoded_html(fetched)
    _, blocks, meta = html_blocks(html)
    pieces = [(b.kind, b.text, b.level) for b in blocks]
    if not any(kind == "paragraph" for kind, _, _ in pieces):
        raise EditError(
            f"No article text was found on {fetched.url}; link the article's own page, or "
            "save the page and add it as a file."
        )
    host = urlsplit(fetched.url).hostname
    fields = {
        # Without one, the file's name would title it: its first heading, else its address.
        "title": meta.get("title")
        or next((text for kind, text, _ in pieces if kind == "heading"), fetched.url),
        "date": meta.get("published"),
        "source": meta.get("sitename") or host,
        "url": fetched.url,
    }
    markdown = article_markdown(fields, pieces)
    if markdown is None:
        # Never lose words: the Markdown reader hides template-like text ({{ x }}), so such
        # a page is kept as its HTML, which the HTML reader extracts the same way (its
        # address is then the one the page declares, if any).
        return ".html", html.encode("utf-8", "replace")
    return ".md", markdown.encode()


def article_markdown(fields: dict[str, object], pieces: list[tuple[str, str, int]]) -> str | None:
    """Front matter, then each heading and paragraph, escaped so that the Markdown reader
    reads back exactly these words; None when it would not."""
    body = "\n\n".join(
        ("#" * min(max(level, 1), 6) + " " if kind == "heading" else "") + escaped(text)
        for kind, text, level in pieces
    )
    read = [(b.kind, b.text, b.level) for b in read_markdown(body).blocks]
    if read != list(_levelled(pieces)):
        return None
    return front_matter(fields) + "\n" + body + "\n"


def _levelled(pieces: Iterable[tuple[str, str, int]]) -> Iterable[tuple[str, str, int]]:
    for kind, text, level in pieces:
        yield kind, text, min(max(level, 1), 6) if kind == "heading" else 0


def escaped(text: str) -> str:
    """One line of text as Markdown that reads back as the same text."""
    out = ["\\" + ch if ch in _INLINE else ch for ch in text]
    if out and out[0] in ("-", "+", "=", ">"):  # a list item, underline or quote
        out[0] = "\\" + out[0]
    digits = 0
    while digits < len(text) and text[digits].isdigit():
        digits += 1
    if 0 < digits < len(text) and text[digits] in ".)":  # "2024. A year" is a list item
        out[digits] = "\\" + out[digits]
    return "".join(out)


def front_matter(fields: dict[str, object]) -> str:
    """YAML front matter of the fields that have a value, each on one line."""
    kept = {k: str(v) for k, v in fields.items() if v not in (None, "")}
    dumped = yaml.safe_dump(kept, allow_unicode=True, sort_keys=False, width=1 << 30)
    return f"---\n{dumped}---\n"


def decoded_html(fetched: Fetched) -> str:
    """A page's HTML as text: in the charset its server names, else as trafilatura guesses."""
    if fetched.charset:
        try:
            return fetched.body.decode(fetched.charset)
        except (UnicodeDecodeError, LookupError):
            pass
    from trafilatura.utils import decode_file

    return decode_file(fetched.body)
