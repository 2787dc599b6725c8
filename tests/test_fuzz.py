"""Fuzzing the readers, the analyzer and the passage splitter with arbitrary text and bytes.

The examples are fixed (derandomized, no example database) and few, so CI is reproducible
and quick; raise FUZZ_EXAMPLES below locally to search harder.
"""

from __future__ import annotations

import html
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from footnote.analysis.analyzer import Analyzer
from footnote.errors import FootnoteError
from footnote.ingest.corpus import (
    SUFFIXES,
    Block,
    CorpusFile,
    read_file,
    read_text,
    split_front_matter,
    text_blocks,
)
from footnote.ingest.passages import document_passages, token_counter
from footnote.ingest.readers.markdown import read_markdown

FUZZ_EXAMPLES = 60
settings.register_profile(
    "footnote-fuzz",
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FUZZ = settings.get_profile("footnote-fuzz")

# Every code point, lone surrogates included (a file name decoded from disk can hold them).
ANY_CHAR = st.characters(exclude_categories=())
# Pieces that mean something to one of the readers, mixed with arbitrary text.
SYNTAX = st.sampled_from(
    ["---", "\n", "\n\n", "\r\n", "# ", "## ", "===", "---\n", "```", "~~~", "**", "_", "[",
     "](", ")", "![", "<p>", "</p>", "<div>", "<h2>", "</h2>", "<script>", "&amp;", "&#0;",
     "title: ", "- ", ": ", "{", "[", "*a", "&a ", "2020-13-45", "\t", " ", ".", "?", "\u2028",
     "\x0c", "\x00", "\ufeff", "é", "😀", "a"]
)  # fmt: skip
TEXT = st.one_of(
    st.text(ANY_CHAR, max_size=200),
    st.lists(st.one_of(SYNTAX, st.text(ANY_CHAR, max_size=12)), max_size=60).map("".join),
)
YAML_VALUE = st.one_of(
    st.sampled_from(["2020-13-45", "2020-02-30 25:61", "[a, b]", "{a: 1}", "&x [1]", "*x", "~",
                     "!!binary xyz", "!!python/object:os.system x", "|", ">", "'", '"', "1e999",
                     "[" * 1200, "- a\n- b", ":"]),
    TEXT,
)  # fmt: skip
YAML_LINES = st.lists(
    st.tuples(st.sampled_from(["title", "url", "id", "published", "? ", "- x"]), YAML_VALUE).map(
        lambda kv: f"{kv[0]}: {kv[1]}"
    ),
    min_size=1,
    max_size=5,
).map("\n".join)
FRONT_MATTER = st.tuples(st.one_of(YAML_LINES, TEXT), TEXT).map(
    lambda p: f"---\n{p[0]}\n---\n{p[1]}"
)


def solid(text: str) -> str:
    """The characters of a text that are not whitespace."""
    return "".join(text.split())


def is_subsequence(small: str, big: str) -> bool:
    """Whether the characters of small appear in big, in order (markup may sit between)."""
    it = iter(big)
    return all(c in it for c in small)


WORD = re.compile(r"\w+")


def check_blocks(blocks: list[Block], source: str) -> None:
    """Blocks are in order, inside the source, and invent no word of their own."""
    previous = 0
    for block in blocks:
        assert 0 <= block.start <= block.end <= len(source)
        assert block.start >= previous or block.start == blocks_start(blocks, block)
        previous = block.end
        assert block.text.strip(), "a block with no text"
        assert block.kind in ("heading", "paragraph", "code")
        raw = source[block.start : block.end]
        seen = raw + html.unescape(raw)  # entities (&eacute;) are read as what they stand for
        # Markup only goes: the text's characters stand in the source in order, once its
        # entities are read (&#0; is U+FFFD, as CommonMark reads it).
        shown = solid(block.text.replace("\ufffd", ""))
        if block.kind == "code" or is_subsequence(shown, solid(html.unescape(raw))):
            continue
        # A table row reads as a sentence ("a: b") and may repeat its header's words.
        assert all(word in seen or word in source for word in WORD.findall(block.text))


def blocks_start(blocks: list[Block], block: Block) -> int:
    """The start of the first block read from the same source lines (a table's groups)."""
    return next(b.start for b in blocks if (b.start, b.end) == (block.start, block.end))


@FUZZ
@given(st.one_of(FRONT_MATTER, TEXT))
def test_front_matter_split_never_raises_and_keeps_the_body(text: str) -> None:
    """Any text splits into (front matter, body, offset) with the body the text's tail."""
    front, body, offset = split_front_matter(text)
    assert text[offset:] == body
    assert front is None or offset > 0


@FUZZ
@given(TEXT)
def test_markdown_and_text_blocks_come_from_the_text(body: str) -> None:
    """Markdown and plain-text blocks lie inside the body and hold only its characters."""
    check_blocks(read_markdown(body).blocks, body)  # type: ignore[arg-type]
    plain = text_blocks(body)
    check_blocks(plain, body)
    for block in plain:
        assert block.text == " ".join(body[block.start : block.end].split())


@FUZZ
@given(TEXT)
def test_markdown_paragraphs_only_remove_markup(text: str) -> None:
    """A one-line paragraph's text keeps its characters in order: markup only goes."""
    line = " ".join(text.split()).replace("\0", "\ufffd") or "a"  # CommonMark: NUL is U+FFFD
    for block in read_markdown(line).blocks:
        if block.kind == "paragraph" and "|" not in line:
            assert is_subsequence(solid(block.text), solid(html.unescape(line)) + solid(line))


@FUZZ
@given(st.one_of(FRONT_MATTER, TEXT), st.sampled_from(["markdown", "text", "html"]))
def test_read_text_gives_a_well_formed_document_or_none(text: str, kind: str) -> None:
    """Any text in any format: a document whose blocks point into its text, or None."""
    try:
        document, warnings = read_text(text, kind, "doc", "doc.x", {})
    except FootnoteError:
        return
    assert all(w.startswith("doc.x: ") for w in warnings)
    if document is None:
        return
    assert document.title.strip() and len(document.title) <= max(len(text), 10)
    check_blocks(document.blocks, document.text)
    if kind == "html":
        assert all(document.text[b.start : b.end] == b.text for b in document.blocks)
    assert any(b.kind == "paragraph" for b in document.blocks)


@FUZZ
@given(
    st.one_of(st.binary(max_size=400), TEXT.map(lambda t: t.encode("utf-8", "surrogatepass"))),
    st.sampled_from(sorted(SUFFIXES)),
)
def test_read_file_never_raises_and_names_what_it_skips(
    tmp_path_factory: object, data: bytes, suffix: str
) -> None:
    """Any bytes under any suffix: documents, or a skipped entry naming the file with a reason."""
    folder = tmp_path_factory.mktemp("fuzz")  # type: ignore[attr-defined]
    path = folder / f"doc{suffix}"
    path.write_bytes(data)
    result = read_file(CorpusFile(path, path.name, len(data), 0), max_bytes=10_000)
    assert result.documents or result.skipped
    for item in result.skipped:
        assert item.path.startswith(path.name) and item.reason
    for document in result.documents:
        check_blocks(document.blocks, document.text)


# -- the analyzer ---------------------------------------------------------------------------------

ANALYZER = Analyzer()


@FUZZ
@given(TEXT)
def test_analyzer_terms_are_words_and_spans_lie_in_the_text(text: str) -> None:
    """Terms are non-empty and have no whitespace; spans are in order inside the text."""
    terms = ANALYZER.terms(text)
    assert all(isinstance(t, str) and t and not re.search(r"\s", t) for t in terms)
    previous = 0
    for span_terms, start, end in ANALYZER.spans(text):
        assert previous <= start < end <= len(text)
        assert all(t and not re.search(r"\s", t) for t in span_terms)
        previous = end


@FUZZ
@given(TEXT)
def test_terms_and_spans_agree(text: str) -> None:
    """The index's terms of a text are the highlighter's span terms, in order."""
    assert ANALYZER.terms(text) == [t for terms, _, _ in ANALYZER.spans(text) for t in terms]


# -- passages -----------------------------------------------------------------------------------

WORDY = st.lists(
    st.one_of(
        st.text(ANY_CHAR, min_size=1, max_size=30),
        st.sampled_from([" ", "\n", "\n\n", ". ", "? ", "—", "x" * 300, "数" * 200, "😀" * 80]),
    ),
    max_size=80,
).map("".join)


@FUZZ
@given(WORDY, st.sampled_from(["markdown", "text"]), st.integers(16, 60))
def test_passages_never_exceed_the_token_budget(text: str, kind: str, budget: int) -> None:
    """Every passage of any document fits the budget, even a word longer than it, and
    points into the document's text."""
    document, _ = read_text(text.replace("\x00", ""), kind, "doc", "doc.x", {})
    if document is None:
        return
    count = token_counter()
    for passage in document_passages(document, budget):
        assert passage.text.strip()
        assert count([passage.text])[0] <= budget, passage.text
        assert 0 <= passage.start < passage.end <= len(document.text)
        assert is_subsequence(
            solid(passage.text), solid(document.text[passage.start : passage.end])
        )
