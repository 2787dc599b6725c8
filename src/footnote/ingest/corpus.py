"""Files to Documents: find the corpus's articles and read each format into titled blocks."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Literal

import yaml

from footnote.errors import CorpusError
from footnote.ingest.links import page_url
from footnote.ingest.readers import Piece

SUFFIXES = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".mdown": "markdown",
    ".mkd": "markdown",
    ".mdx": "mdx",
    ".rst": "rst",
    ".rest": "rst",
    ".pdf": "pdf",
    ".docx": "docx",
    ".txt": "text",
    ".html": "html",
    ".htm": "html",
    ".jsonl": "jsonl",
}
DEFAULT_MAX_FILE_BYTES = 64 * 1024 * 1024
# Formats read from bytes by their own libraries, not decoded as text.
BINARY_FORMATS = ("pdf", "docx")
# Formats a docs site publishes a page per file of, with an anchor per heading.
DOCS_FORMATS = ("markdown", "mdx", "rst")

BlockKind = Literal["heading", "paragraph", "code"]


@dataclass(frozen=True)
class Block:
    """A heading, paragraph or code block of a document, with its character range in the text.

    A paragraph's text is what a reader sees (markup removed); a list keeps one item a line
    and a table one row a line. ``links`` are the targets of the links in its text.
    """

    kind: BlockKind
    text: str
    start: int
    end: int
    level: int = 0
    language: str | None = None  # a code block's language, when its fence names one
    links: tuple[str, ...] = ()
    page: int | None = None  # the page it starts on, in a paged document (PDF)
    code_at: int | None = None  # where its code starts in its text (a code block's lines)


@dataclass
class Document:
    """One article: its metadata, its text and the blocks the text is made of."""

    id: str
    title: str
    path: str
    text: str
    blocks: list[Block]
    url: str | None = None
    published: str | None = None
    source: str | None = None
    format: str = "text"


@dataclass(frozen=True)
class Skipped:
    """A file (or a line of one) that was not read, and why."""

    path: str
    reason: str
    unsupported: bool = False  # a type Footnote does not read, rather than a file it could not


@dataclass
class CorpusFile:
    """A file of the corpus as found on disk, before reading."""

    path: Path
    relative: str
    size: int
    mtime_ns: int
    # The id of its document: its path without the extension, or with it when another file
    # of the folder has the same path but another extension (notes.md beside notes.txt).
    doc_id: str = ""

    def __post_init__(self) -> None:
        if not self.doc_id:
            self.doc_id = self.relative.rsplit(".", 1)[0]


@dataclass
class ReadResult:
    """What reading one file gave: its documents and anything skipped inside it."""

    documents: list[Document] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


# -- finding files ----------------------------------------------------------------------


def find_files(root: Path) -> tuple[list[CorpusFile], list[Skipped]]:
    """The readable-looking files under root, sorted; links leading outside are refused."""
    if not root.exists():
        raise CorpusError(
            f"The corpus folder {root} does not exist; create it or pass --corpus DIR "
            "(or set FOOTNOTE_CORPUS_DIR)."
        )
    if not root.is_dir():
        raise CorpusError(f"The corpus path {root} is not a folder; pass a folder of articles.")
    real_root = root.resolve()
    found: list[CorpusFile] = []
    skipped: list[Skipped] = []
    try:
        # Walked lazily: pruning dirnames below is what keeps hidden folders out.
        for directory, dirnames, filenames in os.walk(root, followlinks=False, onerror=_raise):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in dirnames:
                if (Path(directory) / name).is_symlink():  # os.walk does not descend into it
                    relative = (Path(directory) / name).relative_to(root).as_posix()
                    reason = "it is a link to a folder, and links to folders are not followed"
                    skipped.append(Skipped(_shown(relative), reason))
            for name in sorted(filenames):
                path = Path(directory) / name
                relative = path.relative_to(root).as_posix()
                if name.startswith("."):
                    continue
                if path.suffix.lower() not in SUFFIXES:
                    what = f"{path.suffix} files" if path.suffix else "files without an extension"
                    skipped.append(
                        Skipped(_shown(relative), f"Footnote does not read {what}", True)
                    )
                    continue
                if _shown(relative) != relative:
                    reason = "its name is not valid UTF-8; rename it to include it"
                    skipped.append(Skipped(_shown(relative), reason))
                    continue
                if path.is_symlink():
                    try:
                        target = path.resolve()
                    except (OSError, RuntimeError):  # a link loop (RuntimeError before 3.13)
                        reason = "it is a link that leads nowhere (a loop)"
                        skipped.append(Skipped(relative, reason))
                        continue
                    if not target.is_relative_to(real_root):
                        reason = "it is a link to a file outside the corpus"
                        skipped.append(Skipped(relative, reason))
                        continue
                try:
                    stat = path.stat()
                except OSError as exc:
                    skipped.append(Skipped(relative, f"it cannot be read ({exc.strerror})"))
                    continue
                if not path.is_file():
                    continue
                found.append(CorpusFile(path, relative, stat.st_size, stat.st_mtime_ns))
    except OSError as exc:
        raise CorpusError(f"The corpus folder {root} cannot be read ({exc.strerror}).") from exc
    stems = Counter(file.doc_id for file in found)
    for file in found:
        if stems[file.doc_id] > 1:
            file.doc_id = file.relative
    return found, skipped


def _shown(name: str) -> str:
    """A file name as text: bytes that are not UTF-8 become U+FFFD (they cannot be stored)."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _raise(error: OSError) -> None:
    raise error


def fingerprint(files: list[CorpusFile], settings: dict[str, object]) -> str:
    """A hash of the files' names, sizes and times plus the reading settings."""
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode())
    for file in files:
        digest.update(f"{file.relative}\0{file.size}\0{file.mtime_ns}\n".encode())
    return digest.hexdigest()


def file_key(file: CorpusFile) -> str:
    """What identifies one version of one file: its name, size, modification time and id."""
    return f"{file.relative}\0{file.size}\0{file.mtime_ns}\0{file.doc_id}"


# -- reading one file --------------------------------------------------------------------


def read_file(
    file: CorpusFile, max_bytes: int = DEFAULT_MAX_FILE_BYTES, base_url: str | None = None
) -> ReadResult:
    """Read one corpus file into documents; problems become Skipped entries, never raise.

    ``base_url`` is the docs site the files are published on (see footnote.ingest.links).
    """
    result = ReadResult()
    if file.size > max_bytes:
        result.skipped.append(
            Skipped(
                file.relative,
                f"it is {_size(file.size)}, over the limit of {_size(max_bytes)} "
                "(raise --max-file-mb to read it)",
            )
        )
        return result
    try:
        # Never more than the limit, even if the file grew since it was found.
        with file.path.open("rb") as handle:
            raw = handle.read(max_bytes + 1)
    except OSError as exc:
        result.skipped.append(Skipped(file.relative, f"it cannot be read ({exc.strerror})"))
        return result
    if len(raw) > max_bytes:
        reason = f"it grew over the limit of {_size(max_bytes)} while being read"
        result.skipped.append(Skipped(file.relative, reason))
        return result
    kind = SUFFIXES[file.path.suffix.lower()]
    if kind in BINARY_FORMATS:
        return _read_binary(raw, kind, file, result)
    if b"\0" in raw:  # no text has NUL bytes, and parsers stop at them
        result.skipped.append(Skipped(file.relative, "it looks binary, not text"))
        return result
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        result.skipped.append(
            Skipped(
                file.relative,
                f"it is not valid UTF-8 (byte {exc.start}); save it as UTF-8 to include it",
            )
        )
        return result
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    doc_id = file.doc_id
    try:
        if kind == "jsonl":
            _read_jsonl(text, file.relative, result)
        else:
            document, warnings = read_text(text, kind, doc_id, file.relative, {}, base_url)
            if document is not None:
                result.documents.append(document)
            result.warnings.extend(warnings)
    except Exception as exc:  # a parser's failure must cost one file, never the corpus
        result.documents.clear()
        result.skipped.append(Skipped(file.relative, f"it could not be parsed ({exc})"))
    if not result.documents and not result.skipped:
        result.skipped.append(Skipped(file.relative, "it has no text"))
    return result


def _read_binary(raw: bytes, kind: str, file: CorpusFile, result: ReadResult) -> ReadResult:
    """A PDF or Word file's document; a file its library cannot read is skipped, saying why."""
    try:
        if kind == "pdf":
            from footnote.ingest.readers.pdf import read_pdf  # each reader loads with its format

            title, pieces = read_pdf(raw)
            meta: dict[str, object] = {"title": title}
        else:
            from footnote.ingest.readers.docx import read_docx

            title, created, pieces = read_docx(raw)
            meta = {"title": title, "published": created}
    except CorpusError as exc:
        result.skipped.append(Skipped(file.relative, str(exc)))
        return result
    except Exception as exc:  # a parser's failure must cost one file, never the corpus
        result.skipped.append(Skipped(file.relative, f"it could not be parsed ({exc})"))
        return result
    text, blocks = joined_blocks(pieces)
    document = _document(text, mark_headings(blocks, short_lines=False), kind, file.doc_id,
                         file.relative, meta, None)  # fmt: skip
    if document is None:
        result.skipped.append(Skipped(file.relative, "it has no text"))
    else:
        result.documents.append(document)
    return result


def _document(
    text: str,
    blocks: list[Block],
    kind: str,
    doc_id: str,
    path: str,
    meta: dict[str, object],
    url: str | None,
) -> Document | None:
    """A read document, or None when no paragraph of text is left; its title from the
    metadata, else its first heading, else its file name."""
    if not any(b.kind == "paragraph" for b in blocks):
        return None
    title = _clean(meta.get("title")) or _first_heading(blocks) or _title_from_id(doc_id)
    return Document(
        id=str(meta.get("id") or doc_id),
        title=title,
        path=path,
        text=text,
        blocks=blocks,
        url=url,
        published=_clean(meta.get("published") or meta.get("date")),
        source=_clean(meta.get("source") or meta.get("sitename")),
        format=kind,
    )


def _size(n_bytes: int) -> str:
    """A size as --max-file-mb counts it (1 MB = 1024 * 1024 bytes); bytes below 1 MB."""
    if n_bytes < 1024 * 1024:
        return f"{n_bytes:,} bytes"
    return f"{n_bytes / (1024 * 1024):.1f}".removesuffix(".0") + " MB"


def read_text(
    text: str,
    kind: str,
    doc_id: str,
    path: str,
    meta: dict[str, object],
    base_url: str | None = None,
) -> tuple[Document | None, list[str]]:
    """Read a document's text in one format ("markdown", "mdx", "rst", "text" or "html")."""
    meta = dict(meta)
    warnings: list[str] = []
    if kind in ("markdown", "mdx"):
        text = text.replace("\r\n", "\n").replace("\r", "\n")  # lines as markdown-it counts
        # Readers load with their format: a one-shot `footnote ask` over a built index reads
        # no file, and their libraries (docutils, pypdf, python-docx) take a tenth of a second.
        from footnote.ingest.readers.markdown import read_markdown

        parsed = read_markdown(text, mdx=kind == "mdx")
        if parsed.front_matter is not None:
            front = _front_meta(load_front_matter(parsed.front_matter), path, warnings)
            meta = {**front, **{k: v for k, v in meta.items() if v}}
        blocks = parsed.blocks
    elif kind == "rst":
        from footnote.ingest.readers.rst import read_rst

        title, pieces = read_rst(text)
        text, blocks = joined_blocks(pieces)
        meta.setdefault("title", title)
    elif kind == "text":
        front, body, offset = split_front_matter(text)
        if front is not None:
            front = _front_meta(front, path, warnings)
            meta = {**front, **{k: v for k, v in meta.items() if v}}
        blocks = text_blocks(body)
        if offset:  # the blocks' ranges are in the body: move them into the whole text
            blocks = [
                Block(b.kind, b.text, b.start + offset, b.end + offset, b.level) for b in blocks
            ]
    else:
        text, blocks, html_meta = html_blocks(text)
        meta = {**html_meta, **{k: v for k, v in meta.items() if v}}
    blocks = attach_code(mark_headings(blocks, short_lines=kind == "text"))
    url = page_url(path, meta, base_url) if kind in DOCS_FORMATS else _clean(meta.get("url"))
    return _document(text, blocks, kind, doc_id, path, meta, url), warnings


def _read_jsonl(text: str, path: str, result: ReadResult) -> None:
    """One article per line: id, title, url, published, source, and text or html."""
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            record = json.loads(line)
        except ValueError as exc:
            result.skipped.append(Skipped(where, f"the line is not valid JSON ({exc.msg})"))
            continue
        if not isinstance(record, dict):
            result.skipped.append(Skipped(where, "the line is not a JSON object"))
            continue
        if "\\ud" in line or "\\uD" in line:  # JSON may escape a lone surrogate; text may not
            record = {k: _no_lone_surrogates(v) for k, v in record.items()}
        body, kind = record.get("text"), "text"
        if not isinstance(body, str) or not body.strip():
            body, kind = record.get("html"), "html"
        if not isinstance(body, str) or not body.strip():
            result.skipped.append(Skipped(where, "the record has no 'text' or 'html'"))
            continue
        record_id = record.get("id")
        doc_id = (
            str(record_id) if record_id not in (None, "") else f"{path.rsplit('.', 1)[0]}#{number}"
        )
        meta = {k: record.get(k) for k in ("title", "url", "published", "source")}
        meta["id"] = doc_id
        document, warnings = read_text(body.replace("\r\n", "\n"), kind, doc_id, path, meta)
        result.warnings.extend(warnings)
        if document is None:
            result.skipped.append(Skipped(where, "the record has no paragraph of text"))
            continue
        result.documents.append(document)


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _no_lone_surrogates(value: object) -> object:
    """A JSON string with its lone surrogates (not text: they cannot be stored) as U+FFFD."""
    return _LONE_SURROGATE.sub("\ufffd", value) if isinstance(value, str) else value


def _clean(value: object) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def _first_heading(blocks: list[Block]) -> str | None:
    for block in blocks:
        if block.kind == "heading" and block.level == 1:
            return block.text
    return None


def _title_from_id(doc_id: str) -> str:
    name = doc_id.rsplit("/", 1)[-1].replace("_", " ").replace("-", " ").strip()
    return (name[:1].upper() + name[1:]) if name else doc_id


# -- front matter and plain text -------------------------------------------------------

_FRONT = re.compile(r"\A---[ \t]*\n(.*?\n)?---[ \t]*(?:\n|\Z)", re.DOTALL)


class InvalidFrontMatter(str):
    """Front matter that is not valid YAML: the parser's complaint, as a string."""


def split_front_matter(text: str) -> tuple[object | None, str, int]:
    """(front matter or None, body, offset of the body in text).

    Front matter that is not valid YAML comes back as an InvalidFrontMatter string.
    """
    match = _FRONT.match(text)
    if not match:
        return None, text, 0
    return load_front_matter(match.group(1) or ""), text[match.end() :], match.end()


def load_front_matter(source: str) -> object:
    """Front matter's YAML as a value; InvalidFrontMatter (its complaint) when not valid."""
    try:
        front = yaml.safe_load(source) or {}
    # Besides YAMLError: a bad date is a ValueError, deep nesting a RecursionError.
    except (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError) as exc:
        return InvalidFrontMatter(" ".join(str(exc).split())[:200])
    if isinstance(front, dict):
        front = {str(k): v for k, v in front.items()}
    return front


# Front matter fields the reader uses; each must be one value, never a list or a mapping.
META_FIELDS = (
    "title", "url", "published", "date", "source", "sitename", "id", "permalink", "slug",
)  # fmt: skip


def _front_meta(front: object, path: str, warnings: list[str]) -> dict[str, object]:
    """The usable fields of a file's front matter; a warning for each one that is unusable."""
    if isinstance(front, InvalidFrontMatter):
        warnings.append(f"{path}: its front matter is not valid YAML ({front}); ignored it")
        return {}
    if not isinstance(front, dict):
        warnings.append(f"{path}: its front matter is not a mapping; ignored it")
        return {}
    meta: dict[str, object] = {}
    for key in META_FIELDS:
        value = front.get(key)
        if value is None:
            continue
        # A list or mapping could be an alias bomb whose text is exponentially long.
        if isinstance(value, str | int | float | date) and not isinstance(value, bool):
            meta[key] = value
        else:
            warnings.append(f"{path}: front matter field {key!r} is not a single value; ignored it")
    return meta


def _line_spans(body: str) -> Iterator[tuple[int, int]]:
    """(start, end) of every line of body, without its newline."""
    start = 0
    for line in body.split("\n"):
        yield start, start + len(line)
        start += len(line) + 1


def text_blocks(body: str) -> list[Block]:
    """Paragraphs of plain text: blank-line separated, or one per line when there are none."""
    lines = list(_line_spans(body))
    # The cheap test first: most bodies have a blank line, and it ends the search.
    has_blank = ("\n\n" in body.strip()) or any(not body[s:e].strip() for s, e in lines[1:-1])
    blocks: list[Block] = []
    if not has_blank:
        for s, e in lines:
            raw = body[s:e]
            if raw.strip():
                blocks.append(_paragraph(body, s, e))
        return blocks
    start = None
    end = 0
    for s, e in lines:
        if body[s:e].strip():
            if start is None:
                start = s
            end = e
        elif start is not None:
            blocks.append(_paragraph(body, start, end))
            start = None
    if start is not None:
        blocks.append(_paragraph(body, start, end))
    return blocks


def single_spaced(text: str) -> bool:
    """Whether a text is words joined by single spaces (" ".join(text.split()) == text)."""
    if text.isprintable():  # then the space is its only whitespace (checked for every code point)
        return bool(text) and text[0] != " " and text[-1] != " " and "  " not in text
    words = text.split()
    return bool(words) and " ".join(words) == text


def _paragraph(body: str, start: int, end: int) -> Block:
    """A paragraph block whose hard-wrapped lines are joined by single spaces."""
    raw = body[start:end]
    if single_spaced(raw):  # most are, in JSON Lines: two scans in C instead of split and join
        return Block("paragraph", raw, start, end)
    lead = len(raw) - len(raw.lstrip())
    trail = len(raw.rstrip())
    return Block("paragraph", " ".join(raw.split()), start + lead, start + trail)


# -- HTML -------------------------------------------------------------------------------


def html_blocks(html: str) -> tuple[str, list[Block], dict[str, object]]:
    """The main text of a web page as blocks, via trafilatura (boilerplate removed)."""
    import trafilatura
    from lxml import etree

    xml = trafilatura.extract(
        html,
        output_format="xml",
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        include_formatting=False,
        include_links=False,
        include_images=False,
    )
    if not xml:
        return "", [], {}
    root = etree.fromstring(
        xml.encode("utf-8"), parser=etree.XMLParser(recover=True, huge_tree=False)
    )
    meta = {
        "title": root.get("title"),
        "url": root.get("url"),
        "published": root.get("date"),
        "sitename": root.get("sitename"),
    }
    main = root.find("main")
    pieces: list[tuple[BlockKind, str, int]] = []
    for element in main.iter() if main is not None else ():
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag == "head":
            level = int((element.get("rend") or "h2").lstrip("h") or 2)
            pieces.append(("heading", " ".join("".join(element.itertext()).split()), level))
        elif tag in ("p", "item", "quote", "row") and not _has_block_child(element):
            pieces.append(("paragraph", " ".join("".join(element.itertext()).split()), 0))
    text, blocks = joined_blocks(Piece(kind, text, level) for kind, text, level in pieces)
    return text, blocks, meta


def joined_blocks(
    pieces: Iterable[Piece],
) -> tuple[str, list[Block]]:
    """A document's text made of its pieces' texts, blank-line separated, and its blocks
    pointing into it: for formats whose reader gives text, not source positions."""
    text_parts: list[str] = []
    blocks: list[Block] = []
    offset = 0
    for piece in pieces:
        if not piece.text:
            continue
        end = offset + len(piece.text)
        kind: BlockKind = piece.kind  # type: ignore[assignment]
        blocks.append(
            Block(kind, piece.text, offset, end, piece.level, piece.language, page=piece.page)
        )
        text_parts.append(piece.text)
        offset = end + 2
    return "\n\n".join(text_parts), blocks


def _has_block_child(element: object) -> bool:
    return any(
        isinstance(child.tag, str) and child.tag in ("p", "item", "quote", "row", "list")
        for child in element  # type: ignore[attr-defined]
    )


# -- headings guessed from the shape of a line ------------------------------------------

_CLOSING = tuple(".!?:;,…\"”’')]")
_QUOTES = tuple("\"“‘'«")
_SENTENCE_END = re.compile(r"[.!?][\"”’')\]]*\s+\S")


def looks_like_heading(text: str) -> bool:
    """A short line without closing punctuation ("Strictly Necessary Cookies")."""
    if len(text) > 100:  # most paragraphs: no need to split them into words
        return False
    words = text.split()
    return (
        0 < len(words) <= 12
        and not text.endswith(_CLOSING)
        and not text.startswith(_QUOTES)
        and any(c.isalpha() for c in text)
    )


def looks_like_question_heading(text: str) -> bool:
    """A short one-sentence question on its own ("Why was the embassy attacked?")."""
    if not text.endswith("?"):
        return False
    words = text.split()
    return 0 < len(words) <= 15 and not text.startswith(_QUOTES) and not _SENTENCE_END.search(text)


def attach_code(blocks: list[Block]) -> list[Block]:
    """Each code block joined to the paragraph just before it, in its section: an answer
    shows the explanation, then the code. A code block with no prose before it stands alone.
    """
    attached: list[Block] = []
    for block in blocks:
        if block.kind != "code":
            attached.append(block)
            continue
        previous = attached[-1] if attached else None
        if previous is not None and previous.kind == "paragraph" and previous.code_at is None:
            attached[-1] = replace(
                previous,
                text=f"{previous.text}\n\n{block.text}",
                end=max(previous.end, block.end),
                language=block.language,
                code_at=len(previous.text) + 2,
            )
        else:
            attached.append(replace(block, code_at=0))
    return attached


def mark_headings(blocks: list[Block], short_lines: bool = True) -> list[Block]:
    """Turn paragraphs shaped like headings into headings.

    A lone question before a paragraph is a heading in every format; a short line without
    closing punctuation only in plain text (``short_lines``), where it is the only markup.
    """
    marked: list[Block] = []
    last_paragraph = max((i for i, b in enumerate(blocks) if b.kind == "paragraph"), default=-1)
    for i, block in enumerate(blocks):
        if block.kind != "paragraph" or "\n" in block.text:
            marked.append(block)
            continue
        following = blocks[i + 1] if i + 1 < len(blocks) else None
        before_paragraph = following is not None and following.kind == "paragraph"
        question = looks_like_question_heading(block.text) and before_paragraph
        # A heading titles what follows: a short line with no paragraph after it is text.
        titles_something = i < last_paragraph
        if (short_lines and looks_like_heading(block.text) and titles_something) or question:
            marked.append(Block("heading", block.text, block.start, block.end))
        else:
            marked.append(block)
    return marked
