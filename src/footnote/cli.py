"""The `footnote` command line: ask, chat, index, sources; known errors become one line, exit 2."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn, TextIO

from footnote.answer import Answer
from footnote.build import BuildReport, build
from footnote.config import DEFAULT_CORPUS_DIR, EngineConfig
from footnote.engine import Engine
from footnote.errors import FootnoteError, QuestionError
from footnote.index import CorpusIndex

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line on stderr and exits 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


def settings_from(args: argparse.Namespace, environ: dict[str, str]) -> EngineConfig:
    """The engine's config from options, else FOOTNOTE_* variables, else the defaults."""
    corpus = args.corpus or environ.get("FOOTNOTE_CORPUS_DIR") or str(DEFAULT_CORPUS_DIR)
    index = args.index or environ.get("FOOTNOTE_INDEX_DIR") or None
    return EngineConfig(
        corpus_dir=Path(corpus),
        index_dir=Path(index) if index else None,
        token_budget=args.passage_tokens,
        max_file_bytes=int(args.max_file_mb * 1024 * 1024),
        results=getattr(args, "k", None) or 3,
    )


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The parser for every subcommand, each with its help text."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--corpus",
        metavar="DIR",
        help="folder of articles (default: $FOOTNOTE_CORPUS_DIR, else ./corpus)",
    )
    common.add_argument(
        "--index",
        metavar="DIR",
        help="index folder (default: $FOOTNOTE_INDEX_DIR, else .footnote-index/ beside the corpus)",
    )
    common.add_argument(
        "--passage-tokens",
        type=_positive,
        default=200,
        metavar="N",
        help="token budget of a passage; longer paragraphs are cut (default 200)",
    )
    common.add_argument(
        "--max-file-mb",
        type=float,
        default=64.0,
        metavar="MB",
        help="skip corpus files larger than this (default 64)",
    )
    common.add_argument("-v", "--verbose", action="store_true", help="log what happens on stderr")

    parser = _Parser(
        prog="footnote",
        description="Answer questions from a folder of articles with cited, verbatim passages.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    ask = sub.add_parser(
        "ask",
        parents=[common],
        help="answer one or more questions",
        description="Answer questions with the best passages and their citations.",
    )
    ask.add_argument("questions", nargs="+", metavar="QUESTION", help="a question (quote it)")
    ask.add_argument("-k", "--k", type=_positive, default=3, help="passages per answer (default 3)")
    ask.add_argument("--json", action="store_true", help="one JSON object per question, per line")
    ask.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="emphasise matches with terminal colours (default: auto)",
    )

    chat = sub.add_parser(
        "chat",
        parents=[common],
        help="ask questions in a terminal conversation",
        description="Ask questions one after another; an empty line or "
        "Ctrl-D ends the conversation.",
    )
    chat.add_argument(
        "-k", "--k", type=_positive, default=3, help="passages per answer (default 3)"
    )
    chat.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="emphasise matches with terminal colours (default: auto)",
    )

    sub.add_parser(
        "index",
        parents=[common],
        help="build or rebuild the index",
        description="Read the corpus and build the index beside the live one, then "
        "swap it in; a failed build leaves the old index serving.",
    )
    sub.add_parser(
        "sources",
        parents=[common],
        help="list the indexed documents and skipped files",
        description="List the documents in the index with their passage counts, "
        "and the files that were skipped, with reasons.",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.ERROR,
        format="footnote: %(levelname)s: %(message)s",
    )
    try:
        config = settings_from(args, dict(os.environ))
        return COMMANDS[args.command](args, config)
    except FootnoteError as exc:
        print(f"footnote: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader of our output went away (e.g. `| head`); nothing left to say.
        sys.stderr.close()
        return 0


# -- commands ---------------------------------------------------------------------------


def _open(config: EngineConfig, quiet: bool = False) -> Engine:
    engine, report = Engine.open(config)
    if report is not None and not quiet:
        print(f"footnote: {summary(report)}", file=sys.stderr)
    return engine


def cmd_ask(args: argparse.Namespace, config: EngineConfig) -> int:
    """footnote ask."""
    questions = [q for q in args.questions]
    if any(not q.strip() for q in questions):
        raise QuestionError(
            'A question is empty; write the question in quotes, e.g. footnote ask "why ...?"'
        )
    engine = _open(config, quiet=args.json)
    color = _use_color(args.color, sys.stdout)
    for question in questions:
        answer = engine.ask(question, args.k)
        if args.json:
            print(json.dumps(answer_json(answer, config), ensure_ascii=False))
        else:
            print(render_text(answer, color, config.corpus_dir))
    return 0


def cmd_chat(args: argparse.Namespace, config: EngineConfig, stdin: TextIO | None = None) -> int:
    """footnote chat."""
    stdin = stdin or sys.stdin
    engine = _open(config)
    color = _use_color(args.color, sys.stdout)
    interactive = stdin.isatty()
    if interactive:
        print(f"Ask about {len(engine.index.documents())} article(s); an empty line ends.")
    while True:
        if interactive:
            print("? ", end="", flush=True)
        line = stdin.readline()
        if not line or not line.strip():
            return 0
        try:
            print(render_text(engine.ask(line.strip(), args.k), color, config.corpus_dir))
        except QuestionError as exc:
            print(f"footnote: {exc}", file=sys.stderr)


def cmd_index(args: argparse.Namespace, config: EngineConfig) -> int:
    """footnote index."""
    report = build(config)
    print(summary(report))
    for item in report.skipped:
        print(f"  skipped {item.path}: {item.reason}")
    for warning in report.warnings:
        print(f"  warning: {warning}")
    return 0


def cmd_sources(args: argparse.Namespace, config: EngineConfig) -> int:
    """footnote sources."""
    engine = _open(config)
    index: CorpusIndex = engine.index
    documents = index.documents()
    print(f"{len(documents)} document(s), {len(index)} passage(s), built {index.created}")
    for doc in documents:
        link = f"  <{doc.url}>" if doc.url else ""
        print(f"  {doc.id}  {doc.title}  ({doc.passages} passages){link}")
    skipped = index.skipped()
    if skipped:
        print(f"{len(skipped)} file(s) skipped:")
        for item in skipped:
            print(f"  {item.path}: {item.reason}")
    return 0


COMMANDS = {"ask": cmd_ask, "chat": cmd_chat, "index": cmd_index, "sources": cmd_sources}


# -- output -----------------------------------------------------------------------------


def summary(report: BuildReport) -> str:
    """One line saying what a build did."""
    changes = (
        f"{len(report.added)} added, {len(report.updated)} updated, {len(report.removed)} "
        f"removed; {report.files_analysed} file(s) read, {report.files_reused} reused"
    )
    return (
        f"indexed {report.documents} document(s), {report.passages} passage(s) in "
        f"{report.seconds:.2f}s ({changes}); dropped {report.dropped} boilerplate paragraph(s) "
        f"({report.furniture_dropped} site furniture, {report.repeated_dropped} repeated); "
        f"skipped {len(report.skipped)} file(s)"
    )


def answer_json(answer: Answer, config: EngineConfig) -> dict:
    """The `ask --json` contract of DESIGN.md, exactly."""
    return {
        "question": answer.question,
        "answered": answer.answered,
        "took_ms": round(answer.took_ms, 3),
        "passages": [
            {
                "rank": m.rank,
                "score": round(m.score, 4),
                "text": m.text,
                "highlights": [list(h) for h in m.highlights],
                "section": m.citation.section,
                "paragraph": m.citation.paragraph,
                "document": {
                    "id": m.citation.doc_id,
                    "title": m.citation.title,
                    "url": m.citation.url,
                    "path": (config.corpus_dir / m.citation.path).as_posix(),
                },
            }
            for m in answer.passages
        ],
    }


def _use_color(choice: str, stream: TextIO) -> bool:
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return stream.isatty()


def emphasise(text: str, ranges: list[tuple[int, int]], color: bool) -> str:
    """The text with its highlighted ranges in bold (ANSI) or between asterisks."""
    start_mark, end_mark = ("\033[1m", "\033[0m") if color else ("*", "*")
    pieces, last = [], 0
    for start, end in ranges:
        pieces += [text[last:start], start_mark, text[start:end], end_mark]
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


def render_text(answer: Answer, color: bool, corpus_dir: Path) -> str:
    """An answer for a terminal: passages with matches emphasised, citations under them."""
    lines = [f"Q: {answer.question}"]
    if not answer.answered:
        lines.append(f"No good answer in the corpus. {answer.reason or ''}".rstrip())
        if answer.passages:
            titles = list(dict.fromkeys(m.citation.title for m in answer.passages))
            lines.append("Closest articles: " + "; ".join(titles))
            lines.append("Try rephrasing with the names or terms the articles would use.")
        return "\n".join(lines) + "\n"
    for match in answer.passages:
        cite = match.citation
        where = " · ".join(p for p in (cite.title, cite.section, f"¶{cite.paragraph}") if p)
        lines.append("")
        lines.append(f"[{match.rank}] {emphasise(match.text, match.highlights, color)}")
        place = f" <{cite.url}>" if cite.url else f" ({(corpus_dir / cite.path).as_posix()})"
        lines.append(f"    — {where}{place}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
