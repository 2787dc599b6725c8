"""Markdown read by a CommonMark parser (markdown-it-py): what a reader sees, block by block.

Inline code stays verbatim, emphasis marks go, lists keep one item a line with its marker,
a table row reads as a sentence under its header, code blocks keep their lines and language,
raw HTML becomes its text, and what a reader never sees (HTML comments, Liquid and Hugo
template tags, Kramdown attribute lists, MDX imports) is never indexed. Each block keeps the
source lines it came from as character offsets, and the link targets of its text.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import lxml.html
from lxml import etree
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.front_matter import front_matter_plugin

from footnote.ingest.corpus import Block
from footnote.ingest.readers import row_sentence

# Elements of raw HTML whose text is never shown to a reader.
_HIDDEN = {"script", "style", "template", "noscript", "head", "title", "svg", "math"}
# Elements that start a block of their own inside raw HTML.
_BLOCKS = {
    "address", "article", "aside", "blockquote", "dd", "details", "div", "dl", "dt",
    "figcaption", "figure", "footer", "form", "header", "li", "main", "nav", "ol", "p", "pre",
    "section", "summary", "table", "tr", "ul", "h1", "h2", "h3", "h4", "h5", "h6",
}  # fmt: skip
# A long table is cut into groups of rows this long at most, each under the table's header,
# so any piece of it still says what its columns mean.
TABLE_GROUP_CHARS = 600


@dataclass
class MarkdownDocument:
    """A Markdown file read: its front matter (raw YAML, or None) and its blocks."""

    front_matter: str | None
    blocks: list[Block]


def _parser() -> MarkdownIt:
    return (
        MarkdownIt("commonmark", {"html": True})
        .enable(["table", "strikethrough"])
        .use(front_matter_plugin)
    )


_MARKDOWN = _parser()


def read_markdown(source: str, mdx: bool = False) -> MarkdownDocument:
    """The blocks of a Markdown (or MDX) source, with the front matter it opens with.

    Offsets count in the source with its line endings as "\n", as a corpus file is read.
    """
    tokens = _MARKDOWN.parse(source)
    lines = _line_starts(source)
    reader = _BlockReader(source, lines, mdx)
    front = None
    if tokens and tokens[0].type == "front_matter":
        front = tokens[0].content
        tokens = tokens[1:]
    return MarkdownDocument(front, list(reader.blocks(tokens)))


def _line_starts(source: str) -> list[int]:
    """The character offset at which each line starts, and the end of the text.

    Lines end at "\n" only, as markdown-it counts them (str.splitlines also ends a line at
    other separators, such as U+001E or U+2028).
    """
    starts = [0]
    for line in source.split("\n"):
        starts.append(starts[-1] + len(line) + 1)
    starts[-1] = len(source)
    return starts


class _BlockReader:
    """Walks markdown-it's block tokens into Blocks, offsets being their source lines."""

    def __init__(self, source: str, lines: list[int], mdx: bool) -> None:
        self.source = source
        self.lines = lines
        self.mdx = mdx

    def span(self, token: Token) -> tuple[int, int]:
        """A token's source lines as character offsets."""
        if token.map is None:
            return 0, 0
        first, last = token.map
        last = min(last, len(self.lines) - 1)
        return self.lines[min(first, last)], self.lines[last]

    def blocks(self, tokens: Sequence[Token]) -> Iterator[Block]:
        """The blocks of a token stream, in order."""
        i = 0
        while i < len(tokens):
            token = tokens[i]
            kind = token.type
            if kind == "heading_open":
                text, links = inline_text(tokens[i + 1])
                if text:
                    start, end = self.span(token)
                    yield Block("heading", text, start, end, int(token.tag[1:]), None, links)
                i += 3
            elif kind == "paragraph_open":
                inline = tokens[i + 1]
                text, links = inline_text(inline)
                if text and not (self.mdx and _is_esm(inline.content)):
                    yield Block("paragraph", text, *self.span(token), links=links)
                i += 3
            elif kind in ("bullet_list_open", "ordered_list_open"):
                close = _closing(tokens, i)
                text, links = list_text(tokens[i : close + 1])
                if text:
                    yield Block("paragraph", text, *self.span(token), links=links)
                i = close + 1
            elif kind == "table_open":
                close = _closing(tokens, i)
                start, end = self.span(token)
                for text, links in table_texts(tokens[i : close + 1]):
                    yield Block("paragraph", text, start, end, links=links)
                i = close + 1
            elif kind in ("fence", "code_block"):
                code = token.content.rstrip("\n")
                if code.strip():
                    language = token.info.split()[0] if token.info.strip() else None
                    yield Block("code", code, *self.span(token), language=language)
                i += 1
            elif kind == "html_block":
                start, end = self.span(token)
                for kind_, text, level in html_blocks(token.content):
                    yield Block(kind_, text, start, end, level)
                i += 1
            else:  # blockquote and container openings and closings, rules: their insides follow
                i += 1


def _closing(tokens: Sequence[Token], opening: int) -> int:
    """The index of the token that closes the one at ``opening`` (same level)."""
    level = tokens[opening].level
    for j in range(opening + 1, len(tokens)):
        if tokens[j].nesting == -1 and tokens[j].level == level:
            return j
    return len(tokens) - 1


def _is_esm(content: str) -> bool:
    """An MDX import or export statement: code for the page, not words for the reader."""
    first = content.lstrip().split(None, 1)
    return bool(first) and first[0] in ("import", "export")


def inline_text(token: Token) -> tuple[str, tuple[str, ...]]:
    """An inline token's text as a reader sees it, and the targets of its links."""
    pieces: list[str] = []
    links: list[str] = []
    for child in token.children or []:
        kind = child.type
        if kind == "text":
            pieces.append(without_templates(child.content))
        elif kind == "code_inline":
            pieces.append(child.content)
        elif kind in ("softbreak", "hardbreak"):
            pieces.append(" ")
        elif kind == "image":
            pieces.append(inline_text(child)[0])
        elif kind == "link_open":
            href = child.attrs.get("href")
            if isinstance(href, str) and href:
                links.append(href)
        # emphasis marks, link ends and inline HTML (tags, comments) show no words
    return " ".join("".join(pieces).split()), tuple(links)


def list_text(tokens: Sequence[Token]) -> tuple[str, tuple[str, ...]]:
    """A list, one item a line with its marker ("- ", "1. "), nested items indented."""
    lines: list[str] = []
    empty: set[int] = set()  # lines that are still only a marker
    links: list[str] = []
    ordered: list[bool] = []
    for token in tokens:
        indent = "  " * max(len(ordered) - 1, 0)
        if token.type in ("bullet_list_open", "ordered_list_open"):
            ordered.append(token.type == "ordered_list_open")
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            ordered.pop()
        elif token.type == "list_item_open":
            marker = f"{token.info or 1}{token.markup or '.'}" if ordered[-1] else "-"
            empty.add(len(lines))
            lines.append(f"{indent}{marker} ")
        elif token.type == "inline":
            text, found = inline_text(token)
            links += found
            if not text or not lines:
                continue
            if len(lines) - 1 in empty:
                empty.discard(len(lines) - 1)
                lines[-1] += text
            else:  # an item's second paragraph stays on its line
                lines[-1] += " " + text
        elif token.type in ("fence", "code_block"):
            lines += [f"{indent}  {line}" for line in token.content.splitlines() if line.strip()]
    kept = [line.rstrip() for n, line in enumerate(lines) if n not in empty]
    return "\n".join(kept), tuple(links)


def table_texts(tokens: Sequence[Token]) -> Iterator[tuple[str, tuple[str, ...]]]:
    """A table as groups of rows, each row a sentence ("!mute: mutes a member"), each group
    under the header."""
    header: list[str] = []
    rows: list[list[str]] = []
    links: list[str] = []
    row: list[str] | None = None
    in_head = False
    for token in tokens:
        if token.type == "thead_open":
            in_head = True
        elif token.type == "thead_close":
            in_head = False
        elif token.type == "tr_open":
            row = []
        elif token.type == "tr_close" and row is not None:
            if in_head:
                header = row
            elif any(row):
                rows.append(row)
            row = None
        elif token.type == "inline" and row is not None:
            text, found = inline_text(token)
            row.append(text)
            links += found
    head = " | ".join(header) if any(header) else ""
    group: list[str] = []
    size = 0
    for cells in rows:
        line = row_sentence(cells, header)
        if group and size + len(line) > TABLE_GROUP_CHARS:
            yield "\n".join([head, *group] if head else group), tuple(links)
            group, size = [], 0
        group.append(line)
        size += len(line)
    if group:
        yield "\n".join([head, *group] if head else group), tuple(links)


def html_blocks(html: str) -> Iterator[tuple[str, str, int]]:
    """Raw HTML's text as (kind, text, level): headings, and a paragraph per block element;
    comments, scripts and styles never."""
    try:
        fragments = lxml.html.fragments_fromstring(html)
    except (etree.ParserError, ValueError):
        return
    pieces: list[tuple[str, list[str], int]] = [("paragraph", [], 0)]

    def walk(node: object) -> None:
        if isinstance(node, str):
            pieces[-1][1].append(node)
            return
        tag = node.tag if isinstance(node.tag, str) else ""  # type: ignore[attr-defined]
        if not tag or tag.lower() in _HIDDEN:  # a comment or a processing instruction too
            if node.tail:  # type: ignore[attr-defined]
                pieces[-1][1].append(node.tail)  # type: ignore[attr-defined]
            return
        tag = tag.lower()
        block = tag in _BLOCKS
        if block:
            level = int(tag[1]) if tag in ("h1", "h2", "h3", "h4", "h5", "h6") else 0
            pieces.append(("heading" if level else "paragraph", [], level))
        if node.text:  # type: ignore[attr-defined]
            pieces[-1][1].append(node.text)  # type: ignore[attr-defined]
        if tag == "br":
            pieces[-1][1].append(" ")
        for child in node:  # type: ignore[attr-defined]
            walk(child)
        if block:
            pieces.append(("paragraph", [], 0))
        if node.tail:  # type: ignore[attr-defined]
            pieces[-1][1].append(node.tail)  # type: ignore[attr-defined]

    for fragment in fragments:
        walk(fragment)
    for kind, parts, level in pieces:
        text = " ".join(without_templates("".join(parts)).split())
        if text:
            yield kind, text, level


def without_templates(text: str) -> str:
    """Text without the template syntax of static site generators, which no reader sees.

    Liquid (``{% tag %}``, ``{{ value }}``), Hugo shortcodes (``{{< x >}}``, ``{{% x %}}``)
    and Kramdown attribute lists (``{: .class}``, ``{#id}``) are not Markdown, so the
    CommonMark parser leaves them in the text; no library parses them out of Markdown text,
    so they are scanned for here by their delimiters (never nested).
    """
    if "{" not in text:
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        close = _template_end(text, i)
        if close is None:
            out.append(text[i])
            i += 1
        else:
            out.append(" ")
            i = close
    return "".join(out)


_DELIMITERS = (("{{<", ">}}"), ("{{%", "%}}"), ("{%", "%}"), ("{{", "}}"), ("{:", "}"))


def _template_end(text: str, at: int) -> int | None:
    """Where a template tag starting at ``at`` ends (past its closing delimiter), if one does."""
    if text[at] != "{":
        return None
    for opening, closing in _DELIMITERS:
        if text.startswith(opening, at):
            end = text.find(closing, at + len(opening))
            return end + len(closing) if end >= 0 else None
    if text.startswith("{#", at):  # a Kramdown or Pandoc heading id: {#some-id}
        end = text.find("}", at)
        inside = text[at + 2 : end] if end >= 0 else ""
        return end + 1 if inside and " " not in inside else None
    return None
