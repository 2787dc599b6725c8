"""Markup the reader let through: passages whose text or section title still shows source syntax.

Opens (building it first when needed) the index of a corpus folder and reads every passage
and section title back, as a reader of an answer sees them, counting the passages that show:
HTML tags and comments, Liquid/Jinja `{% %}` and `{{ }}`, Kramdown attribute lists `{: }`,
Hugo shortcodes `{{< >}}` and `{{% %}}`, MDX import/export lines and JSX components,
reStructuredText directives (`.. name::`) and roles (`:role:`), and the Markdown a reader
should see as text (backtick code spans, fences, table pipes, link brackets, `**`, rules).
It also prints the files the build skipped or never read, and the paragraphs it dropped as
boilerplate, by reason.

    python benchmarks/markup_leaks.py benchmarks/.corpora/pydis-guides [--index DIR]

Docs that teach a template language quote its syntax on purpose (Flask's templating page
shows `{% autoescape %}`), so the template counts are an upper bound on real leaks; the
examples printed show which is which.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from footnote.config import EngineConfig
from footnote.engine import Engine
from footnote.errors import FootnoteError

KINDS = (
    "HTML tag",
    "HTML comment",
    "Liquid/Jinja",
    "Kramdown IAL",
    "Hugo shortcode",
    "MDX import/export/JSX",
    "reST directive",
    "reST role",
    "Markdown code span",
    "Markdown fence",
    "Markdown table",
    "Markdown link/image",
    "Markdown emphasis",
    "Markdown rule",
)
EXAMPLES_PER_KIND = 3

# The elements of HTML (WHATWG living standard, plus a few obsolete ones still seen in
# Markdown). A `<name>` whose name is not one of them is prose or a placeholder such as
# `<variable_name>` or `<script-in-package-json>`, not a leaked tag.
HTML_ELEMENTS = frozenset(
    """a abbr address area article aside audio b base bdi bdo blockquote body br button canvas
    caption center cite code col colgroup data datalist dd del details dfn dialog div dl dt em
    embed fieldset figcaption figure font footer form h1 h2 h3 h4 h5 h6 head header hgroup hr
    html i iframe img input ins kbd label legend li link main map mark menu meta meter nav
    noscript object ol optgroup option output p param picture pre progress q rp rt ruby s samp
    script search section select slot small source span strike strong style sub summary sup
    svg table tbody td template textarea tfoot th thead time title tr track tt u ul var video
    wbr""".split()  # noqa: SIM905 -- a list of 120 names reads best as words
)


class _TagFinder(HTMLParser):
    """Collects the HTML elements and comments an HTML parser finds in a piece of text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.components: list[str] = []
        self.comments: list[str] = []

    def _tag(self, tag: str) -> None:
        # HTMLParser lower-cases names, so JSX components are told apart from the raw text.
        raw = self.get_starttag_text() or ""
        if tag in HTML_ELEMENTS:
            self.tags.append(tag)
        elif re.match(r"</?[A-Z][a-z][A-Za-z0-9.]*[\s/>]", raw):  # <Link>, not <CLIENTID>
            self.components.append(tag)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in HTML_ELEMENTS:
            self.tags.append("/" + tag)

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)


def _html(text: str) -> _TagFinder:
    """The HTML elements, comments and JSX components an HTML parser finds in the text."""
    finder = _TagFinder()
    finder.feed(text)
    finder.close()
    return finder


# Template syntaxes are not markup the reader parses: it should drop or never meet them, so
# a small scanner for their delimiters is enough to count them.
_HUGO = re.compile(r"\{\{<.*?>\}\}|\{\{%.*?%\}\}", re.S)
# `${{ }}` is a GitHub Actions expression in a workflow a guide shows, not a template tag.
_LIQUID = re.compile(r"(?<!\{)\{%.*?%\}|(?<![{$])\{\{(?![<%]).*?\}\}", re.S)
_KRAMDOWN = re.compile(r"\{:\s*[^}\n]*\}")
_MDX_LINE = re.compile(
    r"^\s*(?:import\s+(?:[\w*{}\s,]+\s+from\s+)?['\"][^'\"]+['\"];?"
    r"|export\s+(?:default|const|let|function|async\s+function)\b)",
    re.M,
)
_FENCED = re.compile(r"^\s*(```|~~~).*?^\s*\1", re.M | re.S)
_REST_DIRECTIVE = re.compile(r"(?:^|\s)\.\.\s+[A-Za-z][\w:.+-]*::")
_REST_ROLE = re.compile(r"(?<![\w`\\]):[A-Za-z][\w.+-]*(?::[\w.+-]+)?:`")
# Markdown the reader is meant to turn into text: what a reader of an answer should not see.
_MARKDOWN = (
    ("Markdown code span", re.compile(r"`[^`\n]+`")),
    ("Markdown fence", re.compile(r"```|~~~")),
    ("Markdown table", re.compile(r"\s\|\s[^\n]*\s\|\s|\|\s*:?-{3,}")),
    ("Markdown link/image", re.compile(r"!?\[[^\]\n]*\]\s?[(\[]")),
    ("Markdown emphasis", re.compile(r"\*\*[^*\s]")),
    ("Markdown rule", re.compile(r"\A\s*(?:-{3,}|\*{3,}|_{3,})\s*\Z")),
)


def leak_kinds(text: str) -> dict[str, str]:
    """The kinds of markup leak in one text, each with the snippet that shows it."""
    found: dict[str, str] = {}
    html = _html(text)
    if html.tags:
        name = re.escape(html.tags[0].lstrip("/"))
        found["HTML tag"] = _snippet(text, re.search(rf"</?{name}\b", text, re.I))
    if html.comments:
        found["HTML comment"] = _snippet(text, re.search("<!--", text))
    for kind, pattern in (
        ("Hugo shortcode", _HUGO),
        ("Liquid/Jinja", _LIQUID),
        ("Kramdown IAL", _KRAMDOWN),
        ("reST directive", _REST_DIRECTIVE),
        ("reST role", _REST_ROLE),
        *_MARKDOWN,
    ):
        match = pattern.search(text)
        if match:
            found[kind] = _snippet(text, match)
    # An import line inside a fenced code block is the code the article shows.
    match = _MDX_LINE.search(_FENCED.sub("", text))
    if match:
        found["MDX import/export/JSX"] = _snippet(match.string, match)
    elif html.components:
        found["MDX import/export/JSX"] = _snippet(text, re.search(r"</?[A-Z][a-z]", text))
    return found


def _snippet(text: str, match: re.Match[str] | None, width: int = 70) -> str:
    """About `width` characters of text around the match, on one line."""
    start = match.start() if match else 0
    left = max(0, start - width // 3)
    piece = " ".join(text[left : left + width].split())
    return ("…" if left else "") + piece + ("…" if left + width < len(text) else "")


@dataclass
class LeakReport:
    """What one corpus's index holds and which of its passages show markup."""

    corpus: Path
    files: int = 0
    not_read: Counter[str] = field(default_factory=Counter)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    documents: int = 0
    passages: int = 0
    with_leak: int = 0
    with_markdown: int = 0  # passages with a Markdown-syntax leak
    with_foreign: int = 0  # passages with HTML, template, MDX or reST syntax
    by_kind: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)
    dropped: Counter[str] = field(default_factory=Counter)
    error: str | None = None

    @property
    def files_not_read(self) -> int:
        """Files of the folder the build neither read nor listed as skipped."""
        return sum(self.not_read.values())


def drop_kind(reason: str) -> str:
    """A dropped paragraph's reason without its count: "repeated in 5 documents" is "repeated"."""
    return "repeated" if reason.startswith("repeated") else reason


def _suffix(path: Path) -> str:
    """A file's kind for a count: its suffix, or its name when it has none."""
    return path.suffix.lower() or path.name


def corpus_files(corpus: Path) -> list[Path]:
    """Every file of the folder, hidden ones aside, as the build walks it."""
    return [
        p
        for p in sorted(corpus.rglob("*"))
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(corpus).parts)
    ]


def measure(corpus: Path, index_dir: Path) -> LeakReport:
    """Open or build the corpus's index in index_dir and count its passages' markup leaks."""
    report = LeakReport(corpus)
    files = corpus_files(corpus)
    report.files = len(files)
    try:
        engine, _ = Engine.open(EngineConfig(corpus_dir=corpus, index_dir=index_dir))
    except FootnoteError as exc:
        report.error = str(exc)
        report.not_read = Counter(_suffix(p) for p in files)
        return report
    index = engine.retriever.index
    try:
        documents = index.documents()
        report.documents = len(documents)
        report.skipped = [(s.path, s.reason) for s in index.skipped()]
        # A file the index names neither as a document's source nor as skipped was never
        # read: a format the build passes over without a word.
        mentioned = {d.path for d in documents} | {path for path, _ in report.skipped}
        report.not_read = Counter(
            _suffix(p) for p in files if p.relative_to(corpus).as_posix() not in mentioned
        )
        report.dropped = Counter(drop_kind(d.reason) for d in index.dropped())
        for passage in index.iter_passages():
            report.passages += 1
            # The code a passage shows after its explanation is shown as code, where markup
            # is what the page teaches (a template, a Markdown example), not a leak.
            code_at = getattr(passage, "code_at", None)
            prose = passage.text if code_at is None else passage.text[:code_at]
            found = leak_kinds(f"{passage.section or ''}\n{prose}")
            if not found:
                continue
            report.with_leak += 1
            markdown = sum(kind.startswith("Markdown") for kind in found)
            report.with_markdown += markdown > 0
            report.with_foreign += markdown < len(found)
            for kind, snippet in found.items():
                report.by_kind[kind] += 1
                shown = report.examples.setdefault(kind, [])
                if len(shown) < EXAMPLES_PER_KIND:
                    shown.append(f"{passage.doc_id}: {snippet}")
    finally:
        index.close()
    return report


def render(report: LeakReport) -> str:
    """The report as plain text lines."""
    lines = [f"{report.corpus}: {report.files} files"]
    if report.not_read:
        kinds = ", ".join(f"{n} {suffix}" for suffix, n in report.not_read.most_common())
        lines.append(f"  neither read nor listed as skipped: {report.files_not_read} ({kinds})")
    if report.error:
        lines.append(f"  no index: {report.error}")
        return "\n".join(lines)
    lines.append(f"  skipped by the build: {len(report.skipped)}")
    lines += [f"    {path}: {reason}" for path, reason in report.skipped[:5]]
    dropped = ", ".join(f"{n} {reason}" for reason, n in report.dropped.most_common()) or "none"
    lines.append(f"  documents: {report.documents}, passages: {report.passages}")
    lines.append(f"  dropped paragraphs: {sum(report.dropped.values())} ({dropped})")
    lines.append(
        f"  passages with a markup leak: {report.with_leak} ({report.with_foreign} HTML, "
        f"template or reST; {report.with_markdown} Markdown syntax)"
    )
    for kind in KINDS:
        lines.append(f"    {kind:<22} {report.by_kind.get(kind, 0)}")
        lines += [f"        {example}" for example in report.examples.get(kind, [])]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the markup-leak report of one corpus folder."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path, help="a corpus folder")
    parser.add_argument("--index", type=Path, help="index folder (default: a scratch folder)")
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"{args.corpus} is not a folder; pass a corpus folder.", file=sys.stderr)
        return 2
    if args.index:
        print(render(measure(args.corpus, args.index)))
        return 0
    with tempfile.TemporaryDirectory(prefix="footnote-leaks-") as scratch:
        print(render(measure(args.corpus, Path(scratch) / "index")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
