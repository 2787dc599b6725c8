"""reStructuredText read by docutils: section titles, paragraphs, lists, tables and code.

Sphinx projects use directives and roles docutils does not know (``.. code-block::``,
``:ref:``, ``.. toctree::``). They are parsed without Sphinx: an unknown role keeps its text,
an unknown directive its content when it reads as prose, and docutils' complaints about them
are dropped. Nothing is read from disk or the network (no includes, no raw passthrough).
"""

from __future__ import annotations

import io
from collections.abc import Iterator

from docutils import nodes
from docutils.core import publish_doctree
from docutils.parsers.rst import Directive, directives, roles
from docutils.parsers.rst.directives.body import CodeBlock

from footnote.ingest.readers import Piece, row_sentence

_SETTINGS = {
    "report_level": 5,  # never report, never halt: bad markup is read as well as it can be
    "halt_level": 5,
    "warning_stream": io.StringIO(),
    "file_insertion_enabled": False,  # no .. include:: of files beside (or outside) the corpus
    "raw_enabled": False,
    "input_encoding": "unicode",
    "_disable_config": True,
    "syntax_highlight": "none",
}
# Nodes whose words no reader of the page sees.
_HIDDEN = (
    nodes.footnote_reference,  # a "[1]" mark; the footnote's own text stays where it stands
    nodes.citation_reference,
    nodes.comment,
    nodes.system_message,
    nodes.substitution_definition,
    nodes.target,
    nodes.raw,
    nodes.pending,
    nodes.docinfo,
)


class _Prose(Directive):
    """A Sphinx directive docutils lacks, whose content is prose (versionadded, note...)."""

    optional_arguments = 1
    final_argument_whitespace = True
    has_content = True
    option_spec = None  # type: ignore[assignment]

    def run(self) -> list[nodes.Node]:
        node = nodes.container()
        text = " ".join(self.arguments)
        if text:  # the argument is reST too: "3.2 Merged with :class:`AppContext`."
            inline, _ = self.state.inline_text(text, self.lineno)
            node += nodes.paragraph(text, "", *inline)
        self.state.nested_parse(self.content, self.content_offset, node)
        return [node]


class _Nothing(Directive):
    """A Sphinx directive that builds navigation or pulls code from files (toctree,
    autofunction, literalinclude): nothing a reader of the source's words sees."""

    optional_arguments = 10
    final_argument_whitespace = True
    has_content = True
    option_spec = None  # type: ignore[assignment]

    def run(self) -> list[nodes.Node]:
        return []


_PROSE = (
    "versionadded", "versionchanged", "deprecated", "seealso", "glossary", "centered",
    "hlist", "tab", "tabs", "only", "rubric",
)  # fmt: skip
_NOTHING = (
    "toctree", "autofunction", "autoclass", "automodule", "automethod", "autodata",
    "autoattribute", "autoexception", "literalinclude", "currentmodule", "module",
    "index", "highlight", "tabularcolumns", "productionlist", "program", "option", "contents",
    "envvar", "default-role", "py:function", "py:class", "py:method", "click:example",
    "click:run",
)  # fmt: skip


_ROLES = (
    "class", "func", "meth", "attr", "ref", "doc", "mod", "data", "exc", "obj", "term",
    "envvar", "option", "file", "command", "program", "pep", "rfc", "kbd", "abbr",
    "guilabel", "menuselection", "samp", "any", "numref", "download", "confval", "dfn",
    "keyword", "issue", "pr", "user", "gh", "py:class", "py:func", "py:meth", "py:attr",
    "py:mod", "py:data", "py:exc", "py:obj", "mimetype", "manpage", "regexp", "token",
)  # fmt: skip


def shown_text(text: str) -> str:
    """What Sphinx shows for a cross-reference's text: ``title <target>`` shows the title,
    ``~a.b.c`` the last part, a leading ``!`` nothing."""
    text = text.strip().lstrip("!")
    if text.endswith(">") and "<" in text:
        title = text[: text.rindex("<")].strip()
        return title or text[text.rindex("<") + 1 : -1]
    if text.startswith("~"):
        return text[1:].rsplit(".", 1)[-1]
    return text


def _reference_role(
    name: str,
    rawtext: str,
    text: str,
    lineno: int,
    inliner: object,
    options: dict | None = None,
    content: list[str] | None = None,
) -> tuple[list[nodes.Node], list[nodes.Node]]:
    """A Sphinx role (``:class:`Flask```) read as the words Sphinx would show."""
    return [nodes.literal(rawtext, shown_text(text))], []


def _register() -> None:
    """Teach docutils Sphinx's common directives and roles (once, for this reader)."""
    for name in _ROLES:
        roles.register_local_role(name, _reference_role)
    for name in _PROSE:
        directives.register_directive(name, _Prose)
    for name in _NOTHING:
        directives.register_directive(name, _Nothing)
    directives.register_directive("code-block", CodeBlock)
    directives.register_directive("sourcecode", CodeBlock)


_register()


def read_rst(source: str) -> tuple[str | None, list[Piece]]:
    """The document's title and its blocks."""
    tree = publish_doctree(source, settings_overrides=dict(_SETTINGS))
    title_node = next(iter(tree.findall(nodes.title)), None)
    title = " ".join(title_node.astext().split()) if title_node is not None else None
    return title, list(_blocks(tree, 0))


def _blocks(node: nodes.Node, depth: int) -> Iterator[Piece]:
    """The blocks under a node, in document order."""
    for child in node.children:
        if isinstance(child, _HIDDEN):
            continue
        if isinstance(child, nodes.section):
            yield from _blocks(child, depth + 1)
        elif isinstance(child, nodes.title):
            text = _text(child)
            if text:
                yield Piece("heading", text, max(depth, 1))
        elif isinstance(child, nodes.literal_block):
            classes = [c for c in child.get("classes", []) if c != "code"]
            language = child.get("language") or (classes[0] if classes else None)
            code = child.astext().rstrip("\n")
            if code.strip():
                yield Piece("code", code, language=language)
        elif isinstance(child, nodes.line_block):  # a poem, an address: one line each
            text = "\n".join(t for t in (_text(line) for line in child.findall(nodes.line)) if t)
            if text:
                yield Piece("paragraph", text)
        elif isinstance(child, nodes.field_list):
            lines = [
                f"{_text(field.children[0])}: {_text(field.children[1])}"
                for field in child.children
                if isinstance(field, nodes.field) and len(field.children) == 2
            ]
            if lines:
                yield Piece("paragraph", "\n".join(lines))
        elif isinstance(child, nodes.paragraph | nodes.rubric):
            text = _text(child)
            if text:
                yield Piece("paragraph", text)
        elif isinstance(child, nodes.bullet_list | nodes.enumerated_list):
            text = "\n".join(_list_lines(child, 0))
            if text:
                yield Piece("paragraph", text)
        elif isinstance(child, nodes.definition_list):
            for item in child.findall(nodes.definition_list_item):
                term = _text(next(iter(item.findall(nodes.term)), nodes.term()))
                body = " ".join(_text(p) for p in item.findall(nodes.paragraph) if _text(p))
                if term or body:
                    yield Piece("paragraph", f"{term}: {body}" if term and body else term or body)
        elif isinstance(child, nodes.table):
            yield from _table(child)
        else:  # admonitions, block quotes, containers, topics: their insides
            yield from _blocks(child, depth)


def _text(node: nodes.Node) -> str:
    """A node's words as a reader sees them, on one line, without hidden nodes."""
    parts: list[str] = []
    for text in node.findall(nodes.Text):
        if any(isinstance(a, _HIDDEN) for a in _ancestors(text, node)):
            continue
        if isinstance(text.parent, nodes.problematic):  # a role nobody registered
            parts.append(_role_content(text.astext()))
        else:
            parts.append(text.astext())
    return " ".join("".join(parts).split())


def _role_content(raw: str) -> str:
    """The words of an unknown role (":name:`text`") or undefined substitution ("|name|")
    as written: its text, as Sphinx shows it."""
    if len(raw) > 2 and raw[0] == raw[-1] == "|":
        return raw[1:-1]
    first, last = raw.find("`"), raw.rfind("`")
    return shown_text(raw[first + 1 : last]) if 0 <= first < last else raw


def _ancestors(node: nodes.Node, top: nodes.Node) -> Iterator[nodes.Node]:
    parent = node.parent
    while parent is not None and parent is not top:
        yield parent
        parent = parent.parent


def _list_lines(node: nodes.Element, depth: int) -> Iterator[str]:
    """A list's items, one a line with a marker, nested lists indented."""
    ordered = isinstance(node, nodes.enumerated_list)
    for number, item in enumerate(node.children, start=int(node.get("start", 1))):
        if not isinstance(item, nodes.list_item):
            continue
        marker = f"{number}." if ordered else "-"
        words = " ".join(
            _text(c)
            for c in item.children
            if not isinstance(c, nodes.bullet_list | nodes.enumerated_list)
        )
        yield f"{'  ' * depth}{marker} {' '.join(words.split())}".rstrip()
        for nested in item.children:
            if isinstance(nested, nodes.bullet_list | nodes.enumerated_list):
                yield from _list_lines(nested, depth + 1)


def _table(table: nodes.table) -> Iterator[Piece]:
    """A table as rows that read as sentences under the header line."""
    header: list[str] = []
    for head in table.findall(nodes.thead):
        for row in head.findall(nodes.row):
            header = [_text(entry) for entry in row.findall(nodes.entry)]
    lines = []
    for body in table.findall(nodes.tbody):
        for row in body.findall(nodes.row):
            cells = [_text(entry) for entry in row.findall(nodes.entry)]
            if any(cells):
                lines.append(row_sentence(cells, header))
    if lines:
        head = " | ".join(header) if any(header) else ""
        yield Piece("paragraph", "\n".join([head, *lines] if head else lines))
