"""The `footnote` command line: ask, chat, index, sources, add, remove, eval, gaps, feedback;
errors become one line, exit 2."""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any, NoReturn, TextIO
from urllib.parse import urlsplit

from footnote.answering.answer import Answer, Match
from footnote.answering.decision import shipped_model
from footnote.answering.followup import conversation
from footnote.answerlog.gaps import gap_groups
from footnote.answerlog.judgements import FeedbackScores, score_feedback, voted_passages
from footnote.answerlog.report import (
    Period,
    feedback_json,
    gaps_json,
    render_feedback,
    render_gaps,
)
from footnote.answerlog.store import (
    DAY,
    STORE_NAME,
    AnswerRecord,
    AnswerStore,
    Vote,
    shown_location,
    store_location,
)
from footnote.answerlog.summary import feedback_summary
from footnote.chat_input import QuestionReader
from footnote.config import (
    DEFAULT_CORPUS_DIR,
    SEARCH_VARIABLES,
    EngineConfig,
    confidence,
    search_backend,
    switch,
)
from footnote.editing import (
    EditError,
    FetchPolicy,
    add_path,
    add_url,
    open_for_adding,
    remove_document,
)
from footnote.engine import Engine
from footnote.errors import EvaluationError, FootnoteError, QuestionError
from footnote.evaluate import (
    Collection,
    Evaluation,
    evaluate,
    evaluate_run,
    read_beir,
    read_cranfield,
    read_trec,
    read_trec_qrels,
    read_trec_run,
)
from footnote.ingest.corpus import DEFAULT_MAX_FILE_BYTES
from footnote.ingest.passages import DEFAULT_TOKEN_BUDGET
from footnote.question_set import (
    DEPTH,
    QuestionScores,
    read_questions,
    score_questions,
    unknown_documents,
)
from footnote.retrieval import backends
from footnote.retrieval.base import Dropped, Filters
from footnote.retrieval.embedded.build import BuildReport

EXIT_USAGE = 2
# The Cranfield collection in the shared folder beside the project, from its root.
DEFAULT_CRANFIELD = Path("../shared/datasets/cranfield")
COLLECTION_DEPTH = 100  # documents ranked per question of a test collection
REPORT_DAYS = 30  # the period `footnote gaps` and `footnote feedback` cover by default


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line on stderr and exits 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


def settings_from(args: argparse.Namespace, environ: dict[str, str]) -> EngineConfig:
    """The engine's config from options, else FOOTNOTE_* variables, else the defaults."""
    corpus = args.corpus or environ.get("FOOTNOTE_CORPUS_DIR") or str(DEFAULT_CORPUS_DIR)
    index = args.index or environ.get("FOOTNOTE_INDEX_DIR") or None
    # gaps and feedback take only --corpus and --index (to find the store beside the index).
    min_confidence = getattr(args, "min_confidence", None)
    threshold = ("--min-confidence", min_confidence)
    if min_confidence is None:
        threshold = ("FOOTNOTE_ANSWER_THRESHOLD", environ.get("FOOTNOTE_ANSWER_THRESHOLD", ""))
    keep = getattr(args, "keep_boilerplate", None)
    if keep is None:  # no --keep-boilerplate or --no-keep-boilerplate: the variable decides
        keep = switch("FOOTNOTE_KEEP_BOILERPLATE", environ.get("FOOTNOTE_KEEP_BOILERPLATE", ""))
    given = {
        "FOOTNOTE_BACKEND": getattr(args, "backend", None),
        "FOOTNOTE_OPENSEARCH_URL": getattr(args, "opensearch_url", None),
        "FOOTNOTE_OPENSEARCH_INDEX": getattr(args, "opensearch_index", None),
        "FOOTNOTE_OPENSEARCH_USER": getattr(args, "opensearch_user", None),
        "FOOTNOTE_OPENSEARCH_CA_CERTS": getattr(args, "opensearch_ca_certs", None),
        "FOOTNOTE_OPENSEARCH_VERIFY_CERTS": {True: "on", False: "off", None: None}[
            getattr(args, "opensearch_verify_certs", None)
        ],
        "FOOTNOTE_OPENSEARCH_SHARDS": getattr(args, "opensearch_shards", None),
        "FOOTNOTE_OPENSEARCH_REPLICAS": getattr(args, "opensearch_replicas", None),
    }
    backend, cluster = search_backend(
        {name: given.get(name) or environ.get(name, "") for name in SEARCH_VARIABLES}
    )
    if args.command == "add" and args.allow_private_urls is None:  # no flag: the variable
        allow = environ.get("FOOTNOTE_ALLOW_PRIVATE_URLS", "")
        args.allow_private_urls = switch("FOOTNOTE_ALLOW_PRIVATE_URLS", allow)
    return EngineConfig(
        backend=backend,
        opensearch=cluster,
        corpus_dir=Path(corpus),
        index_dir=Path(index) if index else None,
        token_budget=getattr(args, "passage_tokens", DEFAULT_TOKEN_BUDGET),
        max_file_bytes=(
            int(args.max_file_mb * 1024 * 1024)
            if hasattr(args, "max_file_mb")
            else DEFAULT_MAX_FILE_BYTES
        ),
        results=getattr(args, "k", None) or 3,
        feedback=switch("FOOTNOTE_FEEDBACK", environ.get("FOOTNOTE_FEEDBACK", ""))
        if getattr(args, "feedback", None) is None
        else args.feedback,
        keep_boilerplate=keep,
        base_url=getattr(args, "base_url", None) or environ.get("FOOTNOTE_BASE_URL") or None,
        answer_threshold=confidence(*threshold),
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
        "--backend",
        choices=("embedded", "opensearch"),
        help="where passages are indexed and ranked: files beside the corpus, or an OpenSearch "
        "cluster (default: $FOOTNOTE_BACKEND, else opensearch when a cluster address is set)",
    )
    common.add_argument(
        "--opensearch-url",
        metavar="URL",
        help="the cluster's address, or several separated by commas (default: "
        "$FOOTNOTE_OPENSEARCH_URL); the password is read from $FOOTNOTE_OPENSEARCH_PASSWORD",
    )
    common.add_argument(
        "--opensearch-index",
        metavar="NAME",
        help="the alias the index is served under (default: $FOOTNOTE_OPENSEARCH_INDEX, "
        "else footnote)",
    )
    common.add_argument(
        "--opensearch-user", metavar="NAME", help="user (default: $FOOTNOTE_OPENSEARCH_USER)"
    )
    common.add_argument(
        "--opensearch-ca-certs",
        metavar="FILE",
        help="CA bundle to check the cluster's certificate with "
        "(default: $FOOTNOTE_OPENSEARCH_CA_CERTS, else the system's)",
    )
    common.add_argument(
        "--opensearch-verify-certs",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="check the cluster's TLS certificate (default: $FOOTNOTE_OPENSEARCH_VERIFY_CERTS, "
        "else on; turn it off only for a test cluster)",
    )
    common.add_argument(
        "--opensearch-shards",
        metavar="N",
        help="primary shards of a new build (default: $FOOTNOTE_OPENSEARCH_SHARDS, else 1)",
    )
    common.add_argument(
        "--opensearch-replicas",
        metavar="N",
        help="copies of each shard on other nodes (default: $FOOTNOTE_OPENSEARCH_REPLICAS, else 1)",
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
    # Its own parent: `eval --feedback FILE` also takes the bot's store (see _FeedbackOption).
    rm3 = argparse.ArgumentParser(add_help=False)
    rm3.add_argument(
        "--feedback",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="expand each question with words of the best passages of its three best "
        "documents (RM3): better document ranking on a test collection, fewer right first "
        "answers to questions (default: $FOOTNOTE_FEEDBACK, else off)",
    )
    common.add_argument(
        "--min-confidence",
        metavar="P",
        help="the confidence (0 to 1) an answer needs to be given; lower answers more "
        "questions, higher declines more (default: $FOOTNOTE_ANSWER_THRESHOLD, else the "
        "decision model's own; `footnote eval --explain` shows it)",
    )
    common.add_argument(
        "--base-url",
        metavar="URL",
        help="the docs site the corpus is published on: citations link each file's page and "
        "section (default: $FOOTNOTE_BASE_URL; front matter permalink, url and slug win)",
    )
    common.add_argument(
        "--keep-boilerplate",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="index every paragraph, also those that look like site furniture (cookie and "
        "newsletter notices, share lines) or repeat across documents "
        "(default: $FOOTNOTE_KEEP_BOILERPLATE, else off)",
    )
    common.add_argument(
        "--rebuild",
        action="store_true",
        help="build the index anew first, replacing an index built from another corpus folder",
    )
    common.add_argument("-v", "--verbose", action="store_true", help="log what happens on stderr")

    parser = _Parser(
        prog="footnote",
        description="Answer questions from a folder of articles with cited, verbatim passages.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    narrowing = argparse.ArgumentParser(add_help=False)
    narrowing.add_argument(
        "--document",
        action="append",
        metavar="ID",
        help="answer only from this document (its id, as `footnote sources` lists it); "
        "repeat for several",
    )
    narrowing.add_argument(
        "--source",
        action="append",
        metavar="NAME",
        help="answer only from documents of this source (front matter `source`); repeat "
        "for several",
    )
    narrowing.add_argument(
        "--since",
        metavar="YYYY-MM-DD",
        help="answer only from documents published that day or later",
    )
    narrowing.add_argument(
        "--until",
        metavar="YYYY-MM-DD",
        help="answer only from documents published that day or before",
    )

    ask = sub.add_parser(
        "ask",
        parents=[common, rm3, narrowing],
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
        parents=[common, rm3, narrowing],
        help="ask questions in a terminal conversation",
        description="Ask questions one after another; an empty line or "
        "Ctrl-D ends the conversation. On a terminal, lines are edited as in a shell (arrow "
        "keys, Ctrl-R) and questions are remembered across runs in "
        "$FOOTNOTE_HISTORY_FILE, else ~/.local/share/footnote/chat_history (readable by you "
        "only); set FOOTNOTE_HISTORY_FILE to nothing, or pass --no-history, to keep none.",
    )
    chat.add_argument(
        "--no-history", action="store_true", help="remember no question of this conversation"
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
        parents=[common, rm3],
        help="build or rebuild the index",
        description="Read the corpus and build the index beside the live one, then "
        "swap it in; a failed build leaves the old index serving. With -v, also list "
        "every paragraph left out as boilerplate.",
    )
    sources = sub.add_parser(
        "sources",
        parents=[common, rm3],
        help="list the indexed documents, skipped files and dropped paragraphs",
        description="List the documents in the index with their passage counts, "
        "and the files that were skipped, with reasons.",
    )
    sources.add_argument(
        "--dropped",
        action="store_true",
        help="list every paragraph left out as boilerplate instead, with its file and why",
    )
    _add_eval_parser(sub, common)
    _add_editing_parsers(sub, common)
    _add_store_parsers(sub)
    return parser


def _server_id(text: str) -> int:
    if not text.strip().isdigit():
        raise argparse.ArgumentTypeError(f"a server id is a number (Discord's), not {text!r}")
    return int(text)


def _add_store_parsers(sub: argparse._SubParsersAction) -> None:
    """`footnote gaps` and `footnote feedback`: what the bot's answer store holds."""
    reading = argparse.ArgumentParser(add_help=False)
    reading.add_argument(
        "--store",
        metavar="FILE|URL",
        help="the bot's answer store: its SQLite file or its PostgreSQL database "
        "(postgresql://...) (default: $FOOTNOTE_DATABASE_URL, else $FOOTNOTE_BOT_STATE, else "
        f"{STORE_NAME} beside the index folder of --corpus / --index, as the bot keeps it)",
    )
    reading.add_argument(
        "--corpus", metavar="DIR", help="the bot's corpus folder, to find the store by default"
    )
    reading.add_argument(
        "--index", metavar="DIR", help="the bot's index folder, to find the store by default"
    )
    reading.add_argument(
        "--days",
        type=_positive,
        default=REPORT_DAYS,
        metavar="N",
        help=f"questions asked in the last N days (default {REPORT_DAYS})",
    )
    reading.add_argument(
        "--server", type=_server_id, metavar="ID", help="one Discord server's questions only"
    )
    reading.add_argument("--json", action="store_true", help="print one JSON object")
    reading.add_argument("-v", "--verbose", action="store_true", help="log what happens on stderr")
    gaps = sub.add_parser(
        "gaps",
        parents=[reading],
        help="the questions your writing is missing: declined or voted down, by subject",
        description="List the questions the bot declined to answer or whose answers were "
        "voted down (more 👎 than 👍, also on a More page), grouped by what they ask about "
        "(questions sharing most of their words, question words like 'how many' aside), "
        "the biggest group first: its words, how many questions, declined and voted down, "
        "examples and when last asked.",
    )
    gaps.add_argument(
        "--page",
        type=_positive,
        metavar="N",
        help="the page of groups to show, 10 a page (default 1; with --json, every group "
        "unless --page is given)",
    )
    sub.add_parser(
        "feedback",
        parents=[reading],
        help="how members rated the bot's answers: answered, declined, votes, reasons",
        description="Count the questions answered and declined, the 👍 and 👎 votes and the "
        "reasons given for 👎, and list the answers voted down most (more down than up) "
        "with the passage each showed first.",
    )


def _add_editing_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """`footnote add FILE|URL` and `footnote remove ID`: writing into the corpus folder."""
    add = sub.add_parser(
        "add",
        parents=[common],
        help="add a file or a web page to the corpus folder and the index",
        description="Copy a file (any format Footnote reads) into the corpus folder, or "
        "fetch a web page (http or https) and save its article as Markdown with its title, "
        "date and address, then update the index. A file or page added again replaces the "
        "one added before. Pages are fetched only from public addresses, within robots.txt, "
        "a timeout and a size limit (docs/adding.md).",
    )
    add.add_argument("source", metavar="FILE|URL", help="a file's path, or an http(s) link")
    add.add_argument(
        "--allow-private-urls",
        action="store_true",
        default=None,
        help="fetch links that lead to private, loopback or link-local addresses too "
        "(default: $FOOTNOTE_ALLOW_PRIVATE_URLS, else off)",
    )
    remove = sub.add_parser(
        "remove",
        parents=[common],
        help="remove a document from the corpus folder and the index",
        description="Delete the file of a document (by its id, as `footnote sources` lists "
        "it), or rewrite a JSON Lines file without the document's record, then update "
        "the index.",
    )
    remove.add_argument("id", metavar="ID", help="the document's id (footnote sources)")


def _add_eval_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """`footnote eval`: your own questions on your corpus, or a judged test collection."""
    evaluate = sub.add_parser(
        "eval",
        parents=[common],
        help="score your own questions on your corpus (--questions), or a test collection",
        description="With --questions FILE: ask each of your questions of your corpus "
        "(--corpus, --index) as `footnote ask` does, and report over the answerable ones "
        "how often a right passage comes first (Hit@1) or in the best 3 (Hit@3) and MRR@10 "
        "(1/rank of the first right passage in the best 10); the good answers declined "
        "(questions with a right passage in the best 3 that the engine declined to answer, "
        "out of those with one); and the unanswerable questions answered. A right passage "
        'holds the "answer" text (compared ignoring case, accents, spacing and curly quotes) '
        'and belongs to the "document" when one is named. Otherwise: index a test '
        "collection's documents as a corpus in a temporary folder (the same reading, "
        "passages, analyzer and BM25 as `footnote index`), rank the documents for each "
        "judged question (a document scores as its best passage) and score the ranking "
        "with ir-measures. Without a collection option, reads "
        f"{DEFAULT_CRANFIELD} ($FOOTNOTE_SHARED_DIR/datasets/cranfield when set). With "
        "--feedback FILE: the votes in the bot's answer store FILE judge the passages its "
        "answers showed (voted up: relevant to the question; voted down: not), and each "
        "question voted on is asked of your corpus and scored: Hit@1, Hit@3, MRR@10, "
        "nDCG@10, good answers declined, and for questions only voted down, how often a "
        "passage voted down is still the answer. Passages changed since the vote are set "
        "aside and counted.",
    )
    # Alone, --feedback is pseudo-relevance feedback as for the other commands; with FILE,
    # the bot's store to judge by.
    evaluate.add_argument(
        "--feedback",
        action=_FeedbackOption,
        nargs="?",
        default=None,
        metavar="FILE",
        help="with FILE: score your corpus on the votes in the bot's answer store FILE "
        "(footnote-bot.sqlite, or its database's postgresql:// URL); alone: expand each "
        "question with words of the best passages (RM3), as for `footnote ask` (default: "
        "$FOOTNOTE_FEEDBACK, else off)",
    )
    evaluate.add_argument(
        "--no-feedback",
        dest="feedback",
        action="store_false",
        default=None,
        help="no pseudo-relevance feedback, whatever $FOOTNOTE_FEEDBACK says",
    )
    evaluate.set_defaults(feedback_file=None)
    source = evaluate.add_mutually_exclusive_group()
    source.add_argument(
        "--explain",
        action="store_true",
        help="print the decision model: how each feature of a passage counts toward "
        "its probability of being the right one and toward answering, and the confidence "
        "an answer needs",
    )
    source.add_argument(
        "--cranfield",
        metavar="DIR",
        help="a Cranfield folder (cran.all.1400, cran.qry, cranqrel); questions are "
        "numbered by position, gain = 5 - code, code -1 is not relevant",
    )
    source.add_argument(
        "--beir",
        metavar="DIR",
        help="a BEIR dataset folder (corpus.jsonl, queries.jsonl, qrels/SPLIT.tsv)",
    )
    source.add_argument(
        "--questions",
        metavar="FILE",
        help="score your own questions on your own corpus (--corpus, --index): JSON Lines of "
        '{"question": ..., "answer": "words a right passage holds"}, {"question": ..., '
        '"document": ID as `footnote sources` lists it} (both may be given) or '
        '{"question": ..., "unanswerable": true}, each with an optional "id"',
    )
    source.add_argument(
        "--trec-qrels",
        metavar="FILE",
        help="TREC qrels (query iteration document grade); with --run, or with "
        "--topics and --corpus-jsonl",
    )
    evaluate.add_argument(
        "--topics",
        metavar="FILE",
        help="questions for --trec-qrels: TREC <top> topics, queries.jsonl, or id<TAB>text",
    )
    evaluate.add_argument(
        "--corpus-jsonl",
        metavar="FILE",
        help="documents for --trec-qrels: JSON Lines with _id (or id), title and text",
    )
    evaluate.add_argument(
        "--run",
        metavar="FILE",
        help="score this TREC run file (query Q0 document rank score tag) against "
        "--trec-qrels instead of ranking with footnote",
    )
    evaluate.add_argument("--split", help="the qrels split of a BEIR folder (default: test)")
    evaluate.add_argument(
        "--depth",
        type=_positive,
        metavar="N",
        help="documents ranked per question of a test collection (default 100)",
    )
    evaluate.add_argument(
        "--per-question", action="store_true", help="also show each question's scores"
    )
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")


class _FeedbackOption(argparse.Action):
    """eval's --feedback: alone, pseudo-relevance feedback as elsewhere; with FILE, the store
    whose votes to judge by."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        if values is None:
            namespace.feedback = True
        else:
            namespace.feedback_file = values


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


def _open(config: EngineConfig, rebuild: bool, quiet: bool = False) -> Engine:
    engine, report = Engine.open(config, rebuild)
    if report is not None and not quiet:
        print(f"footnote: {summary(report)}", file=sys.stderr)
    return engine


def narrowing_of(args: argparse.Namespace, engine: Engine) -> Filters | None:
    """The documents, sources and dates --document, --source, --since and --until keep."""
    days = {}
    for flag in ("since", "until"):
        text = getattr(args, flag, None)
        if text is None:
            continue
        try:
            days[flag] = date.fromisoformat(text.strip()).isoformat()
        except ValueError:
            raise QuestionError(
                f"--{flag} takes a day as YYYY-MM-DD, not {text!r}; e.g. --{flag} 2024-03-01"
            ) from None
    filters = Filters(
        documents=tuple(args.document or ()),
        sources=tuple(args.source or ()),
        published_from=days.get("since"),
        published_to=days.get("until"),
    )
    if filters.documents:
        known = {d.id for d in engine.retriever.documents()}
        unknown = [d for d in filters.documents if d not in known]
        if unknown:
            raise QuestionError(
                f"No document has the id {unknown[0]!r}; `footnote sources` lists the ids."
            )
    return filters or None


def cmd_ask(args: argparse.Namespace, config: EngineConfig) -> int:
    """footnote ask."""
    questions = [q for q in args.questions]
    if any(not q.strip() for q in questions):
        raise QuestionError(
            'A question is empty; write the question in quotes, e.g. footnote ask "why ...?"'
        )
    # One process, a few questions: numpy answers them in less time than loading the
    # compiled kernels would take (about a second), which pays off only over hundreds.
    engine = _open(replace(config, compiled_queries=False), args.rebuild, quiet=args.json)
    narrowed = narrowing_of(args, engine)
    color = _use_color(args.color, sys.stdout)
    for question in questions:
        answer = engine.ask(question, args.k, filters=narrowed)
        if args.json:
            print(json.dumps(answer_json(answer, config), ensure_ascii=False))
        else:
            print(render_text(answer, color, config.corpus_dir))
    return 0


def history_file(args: argparse.Namespace, environ: dict[str, str]) -> Path | None:
    """Where `footnote chat` keeps its history: $FOOTNOTE_HISTORY_FILE, else the data folder.

    The data folder is $XDG_DATA_HOME/footnote when that is absolute (the XDG spec ignores a
    relative one), else ~/.local/share/footnote (on macOS ~/Library/Application
    Support/footnote, on Windows %APPDATA%\\footnote). An empty FOOTNOTE_HISTORY_FILE, or
    --no-history, keeps no history.
    """
    if getattr(args, "no_history", False):
        return None
    if "FOOTNOTE_HISTORY_FILE" in environ:
        chosen = environ["FOOTNOTE_HISTORY_FILE"].strip()
        return Path(chosen).expanduser() if chosen else None
    xdg = Path(environ.get("XDG_DATA_HOME") or "")
    if xdg.is_absolute():  # the XDG spec: a relative path is invalid and ignored
        base = xdg
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    elif sys.platform == "win32" and environ.get("APPDATA"):
        base = Path(environ["APPDATA"])
    else:
        base = Path.home() / ".local" / "share"
    return base / "footnote" / "chat_history"


def cmd_chat(args: argparse.Namespace, config: EngineConfig, stdin: TextIO | None = None) -> int:
    """footnote chat."""
    engine = _open(config, args.rebuild)
    narrowed = narrowing_of(args, engine)
    color = _use_color(args.color, sys.stdout)
    reader = QuestionReader(stdin or sys.stdin, history_file(args, dict(os.environ)))
    if reader.interactive:
        print(
            f"Ask about {len(engine.retriever.documents())} article(s); follow-ups may lean on the "
            'question before ("who leads them?"); an empty line ends.'
        )
    earlier: str | None = None
    with reader:
        while True:
            line = reader.read()
            if line is None or not line.strip():
                return 0
            try:
                answer = engine.ask(line.strip(), args.k, earlier=earlier, filters=narrowed)
                print(render_text(answer, color, config.corpus_dir))
                earlier = conversation(answer.question, answer.context)
            except QuestionError as exc:
                print(f"footnote: {exc}", file=sys.stderr)


def _login() -> str:
    """Who runs the command, for the manifest; some containers have no user entry."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown user"


def cmd_index(args: argparse.Namespace, config: EngineConfig) -> int:
    """footnote index."""
    report = backends.build(config, built_by=f"footnote index ({_login()})", rebuild=args.rebuild)
    print(summary(report))
    unsupported = [item for item in report.skipped if item.unsupported]
    for item in report.skipped:
        if not item.unsupported:
            print(f"  skipped {item.path}: {item.reason}")
    if unsupported:
        print(
            f"  {len(unsupported)} file(s) of types Footnote does not read "
            "(footnote sources lists them)"
        )
    for warning in report.warnings:
        print(f"  warning: {warning}")
    if args.verbose and report.dropped:
        retriever = backends.open_live(config)
        try:
            print(render_dropped(retriever.dropped()))
        finally:
            retriever.close()
    return 0


def cmd_sources(args: argparse.Namespace, config: EngineConfig) -> int:
    """footnote sources."""
    engine = _open(config, args.rebuild)
    retriever = engine.retriever
    if args.dropped:
        dropped = retriever.dropped()
        print(render_dropped(dropped) if dropped else "No paragraph was dropped as boilerplate.")
        return 0
    documents = retriever.documents()
    built = retriever.info().created
    print(f"{len(documents)} document(s), {len(retriever)} passage(s), built {built}")
    for doc in documents:
        link = f"  <{doc.url}>" if doc.url else ""
        print(f"  {doc.id}  {doc.title}  ({doc.passages} passages){link}")
    skipped = retriever.skipped()
    if skipped:
        print(f"{len(skipped)} file(s) skipped:")
        for item in skipped:
            print(f"  {item.path}: {item.reason}")
    return 0


def _eval_collection(args: argparse.Namespace, environ: dict[str, str]) -> Collection:
    """The collection the eval options name; the shared Cranfield folder by default."""
    trec_only = [f"--{n.replace('_', '-')}" for n in ("topics", "corpus_jsonl", "run")]
    given = [flag for flag in trec_only if getattr(args, flag[2:].replace("-", "_"))]
    if given and not args.trec_qrels:
        raise EvaluationError(f"{given[0]} goes with --trec-qrels FILE.")
    if args.beir:
        return read_beir(Path(args.beir), args.split or "test")
    if args.trec_qrels:
        if not (args.topics and args.corpus_jsonl):
            raise EvaluationError(
                "--trec-qrels needs --topics FILE and --corpus-jsonl FILE (or --run FILE)."
            )
        return read_trec(Path(args.trec_qrels), Path(args.topics), Path(args.corpus_jsonl))
    if args.cranfield:
        return read_cranfield(Path(args.cranfield))
    shared = environ.get("FOOTNOTE_SHARED_DIR")
    default = Path(shared) / "datasets" / "cranfield" if shared else DEFAULT_CRANFIELD
    if not default.is_dir():
        raise EvaluationError(
            f"No test collection given and the default {default} does not exist; "
            "pass --cranfield DIR, --beir DIR or --trec-qrels FILE."
        )
    return read_cranfield(default)


def cmd_eval(args: argparse.Namespace, config: EngineConfig) -> int:
    """footnote eval."""
    if args.feedback_file is not None:
        return _eval_feedback(args, config)
    if args.explain:
        threshold = config.answer_threshold
        model = shipped_model()
        print("\n".join(model.explain()))
        if threshold is not None and threshold != model.threshold:
            print(f"\nThis configuration answers at a confidence of {threshold:.2f} instead.")
        return 0
    if args.questions:
        collection_only = ("topics", "corpus_jsonl", "run", "split", "depth")
        given = [f"--{n.replace('_', '-')}" for n in collection_only if getattr(args, n)]
        if given:
            raise EvaluationError(
                f"{given[0]} goes with a test collection, not --questions FILE "
                f"(which ranks the best {DEPTH} passages of your corpus)."
            )
        return _eval_questions(args, config)
    if args.corpus or args.index or args.rebuild:
        raise EvaluationError(
            "--corpus, --index and --rebuild go with --questions FILE; "
            "a test collection is indexed on its own."
        )
    if args.run and args.trec_qrels:
        if args.topics or args.corpus_jsonl:
            raise EvaluationError(
                "--run scores a ready run; leave out --topics and --corpus-jsonl."
            )
        qrels = read_trec_qrels(Path(args.trec_qrels))
        result = evaluate_run(qrels, read_trec_run(Path(args.run)), f"TREC ({args.trec_qrels})")
        questions: dict[str, str] = {}
    else:
        collection = _eval_collection(args, dict(os.environ))
        result = evaluate(collection, config, args.depth or COLLECTION_DEPTH)
        questions = collection.queries
    if args.json:
        print(json.dumps(evaluation_json(result, questions, args.per_question), ensure_ascii=False))
    else:
        print(render_evaluation(result, questions, args.per_question))
    return 0


def _eval_questions(args: argparse.Namespace, config: EngineConfig) -> int:
    """footnote eval --questions FILE: the user's questions on the user's corpus."""
    questions = read_questions(Path(args.questions))
    engine = _open(replace(config, compiled_queries=False), args.rebuild, quiet=args.json)
    unknown = unknown_documents(questions, {d.id for d in engine.retriever.documents()})
    if unknown:
        named = ", ".join(repr(d) for d in unknown[:3]) + (
            f" and {len(unknown) - 3} more" if len(unknown) > 3 else ""
        )
        raise EvaluationError(
            f"{args.questions} names the document(s) {named}, which the index of "
            f"{config.corpus_dir} does not hold; `footnote sources` lists the ids."
        )
    scores = score_questions(engine, questions, args.questions, str(config.corpus_dir))
    if args.json:
        print(json.dumps(question_scores_json(scores, args.per_question), ensure_ascii=False))
    else:
        print(render_question_scores(scores, args.per_question))
    return 0


def _eval_feedback(args: argparse.Namespace, config: EngineConfig) -> int:
    """footnote eval --feedback FILE: the votes in the bot's store judge the current index."""
    others = ("explain", "cranfield", "beir", "questions", "trec_qrels", "topics")
    given = [f"--{n.replace('_', '-')}" for n in (*others, "corpus_jsonl", "run", "split", "depth")]
    given = [flag for flag in given if getattr(args, flag[2:].replace("-", "_"))]
    if given:
        raise EvaluationError(
            f"{given[0]} does not go with --feedback FILE, which asks the questions voted on "
            "of your corpus (--corpus, --index)."
        )
    store = store_location(args.feedback_file)
    answers, votes = read_store(store, since=0.0)
    if not voted_passages(answers, votes):
        raise EvaluationError(
            f"The answer store {shown_location(store)} holds no vote to judge by yet (or its "
            "votes cancel out); members vote with the buttons under the bot's answers."
        )
    engine = _open(replace(config, compiled_queries=False), args.rebuild, quiet=args.json)
    scores = score_feedback(engine, answers, votes, shown_location(store), str(config.corpus_dir))
    if args.json:
        print(json.dumps(feedback_scores_json(scores, args.per_question), ensure_ascii=False))
    else:
        print(render_feedback_scores(scores, args.per_question))
    return 0


def store_path(
    args: argparse.Namespace, config: EngineConfig, environ: dict[str, str]
) -> Path | str:
    """The bot's answer store: --store, else $FOOTNOTE_DATABASE_URL, else
    $FOOTNOTE_BOT_STATE, else beside the index."""
    chosen = (
        getattr(args, "store", None)
        or environ.get("FOOTNOTE_DATABASE_URL")
        or environ.get("FOOTNOTE_BOT_STATE")
    )
    return store_location(chosen) if chosen else config.index_path.parent / STORE_NAME


def read_store(
    path: Path | str, since: float, server: int | None = None
) -> tuple[list[AnswerRecord], list[Vote]]:
    """The answers asked since then (one server's, or all) and the votes on them, read-only."""
    store = AnswerStore(path, read_only=True)
    try:
        return store.history(since, server)
    finally:
        store.close()


def _period(args: argparse.Namespace, config: EngineConfig) -> Period:
    """The store and the days a report covers."""
    path = store_path(args, config, dict(os.environ))
    return Period(path, args.days, time.time() - args.days * DAY, args.server)


def cmd_gaps(args: argparse.Namespace, config: EngineConfig) -> int:
    """footnote gaps."""
    period = _period(args, config)
    answers, votes = read_store(period.store, period.since, period.server)
    groups = gap_groups(answers, votes)
    asked = sum(a.parent_id is None for a in answers)
    if args.json:
        print(json.dumps(gaps_json(period, asked, groups, args.page), ensure_ascii=False))
    else:
        print(render_gaps(period, asked, groups, args.page or 1))
    return 0


def cmd_feedback(args: argparse.Namespace, config: EngineConfig) -> int:
    """footnote feedback."""
    period = _period(args, config)
    summary = feedback_summary(*read_store(period.store, period.since, period.server))
    if args.json:
        print(json.dumps(feedback_json(period, summary), ensure_ascii=False))
    else:
        print(render_feedback(period, summary))
    return 0


def cmd_add(args: argparse.Namespace, config: EngineConfig) -> int:
    """footnote add."""
    engine = open_for_adding(config, args.rebuild)
    built_by = f"footnote add ({_login()})"
    source = args.source.strip()
    if urlsplit(source).scheme.lower() in ("http", "https"):
        policy = FetchPolicy(allow_private=args.allow_private_urls)
        added = add_url(engine, source, policy, built_by)
    elif "://" in source:
        raise EditError(f"Only http:// and https:// links can be added, not {source}.")
    else:
        added = add_path(engine, Path(source), built_by)
    verb = "replaced" if added.replaced else "added"
    print(f"{verb} {added.path}: {len(added.documents)} document(s)")
    for doc in added.documents:
        print(f"  {doc.id}  {doc.title}  ({doc.passages} passages, {doc.dropped} dropped as "
              "boilerplate)")  # fmt: skip
    _finish_merge(engine)
    return 0


def _finish_merge(engine: object) -> None:
    """Wait, saying so, for the merge an update started (the change is already served)."""
    merging = getattr(engine, "merging", None)  # a new corpus's first add has no merge
    if merging is None:
        return
    print(
        "footnote: merging the updates since the last full build into the index, which takes "
        "about as long as `footnote index`; the change is answered already",
        file=sys.stderr,
    )
    merging.join()


def cmd_remove(args: argparse.Namespace, config: EngineConfig) -> int:
    """footnote remove."""
    engine = _open(config, args.rebuild)
    removed = remove_document(engine, args.id, f"footnote remove ({_login()})")
    print(f"removed {removed.id}  {removed.title}  (from {removed.path})")
    _finish_merge(engine)
    return 0


COMMANDS = {
    "ask": cmd_ask,
    "chat": cmd_chat,
    "index": cmd_index,
    "sources": cmd_sources,
    "eval": cmd_eval,
    "gaps": cmd_gaps,
    "feedback": cmd_feedback,
    "add": cmd_add,
    "remove": cmd_remove,
}


# -- output -----------------------------------------------------------------------------


def summary(report: BuildReport) -> str:
    """One line saying what a build did."""
    changes = (
        f"{len(report.added)} added, {len(report.updated)} updated, {len(report.removed)} "
        f"removed; {report.files_analysed} file(s) read, {report.files_reused} reused"
    )
    see = DROPPED_HINT if report.dropped else ""
    return (
        f"indexed {report.documents} document(s), {report.passages} passage(s) in "
        f"{report.seconds:.2f}s ({changes}); dropped {report.dropped} boilerplate paragraph(s) "
        f"({report.furniture_dropped} site furniture, {report.repeated_dropped} repeated){see}; "
        f"skipped {len(report.skipped)} file(s)"
    )


DROPPED_HINT = " (see them: footnote sources --dropped; keep them: --keep-boilerplate)"


def render_dropped(dropped: list[Dropped]) -> str:
    """The paragraphs left out as boilerplate, by file: paragraph, reason, the words."""
    lines = [f"{len(dropped)} paragraph(s) dropped as boilerplate (keep them: --keep-boilerplate):"]
    path = None
    for item in dropped:
        if item.path != path:
            path = item.path
            lines.append(f"  {path}")
        text = " ".join(item.text.split())
        text = text if len(text) <= 100 else text[:99] + "…"
        lines.append(f"    ¶{item.paragraph} ({item.reason}): {text}")
    return "\n".join(lines)


def answer_json(answer: Answer, config: EngineConfig) -> dict:
    """The `ask --json` contract of DESIGN.md, exactly."""
    return {
        "question": answer.question,
        "answered": answer.answered,
        "confidence": None if answer.confidence is None else round(answer.confidence, 4),
        "took_ms": round(answer.took_ms, 3),
        "passages": [
            {
                "rank": m.rank,
                "score": round(m.score, 4),
                "confidence": None if m.confidence is None else round(m.confidence, 4),
                "text": m.text,
                "highlights": [list(h) for h in m.highlights],
                "section": m.citation.section,
                "paragraph": m.citation.paragraph,
                "also_in": list(m.also_in),
                "code": None if m.code_at is None else {"start": m.code_at, "language": m.language},
                "links": list(m.links),
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


def shown_text(match: Match, color: bool) -> str:
    """A passage's text with its matches emphasised; the code it shows in a fenced block."""
    if match.code_at is None:
        return emphasise(match.text, match.highlights, color)
    prose = match.text[: match.code_at].rstrip()
    inside = [(s, e) for s, e in match.highlights if e <= len(prose)]
    fence = f"```{match.language or ''}\n{match.text[match.code_at :].rstrip()}\n```"
    return f"{emphasise(prose, inside, color)}\n{fence}" if prose else fence


def render_text(answer: Answer, color: bool, corpus_dir: Path) -> str:
    """An answer for a terminal: passages with matches emphasised, citations under them."""
    lines = [f"Q: {answer.question}"]
    if answer.context:
        lines.append(f"(following up on: {answer.context})")
    if not answer.answered:
        lines.append(f"No good answer in the corpus. {answer.reason or ''}".rstrip())
        if answer.passages:
            titles = list(dict.fromkeys(m.citation.title for m in answer.passages))
            lines.append("Closest articles: " + "; ".join(titles))
            lines.append("Try rephrasing with the names or terms the articles would use.")
        return "\n".join(lines) + "\n"
    for match in answer.passages:
        cite = match.citation
        where = " · ".join(p for p in (cite.title, cite.section, cite.paragraphs) if p)
        lines.append("")
        lines.append(f"[{match.rank}] {shown_text(match, color)}")
        place = f" <{cite.url}>" if cite.url else f" ({(corpus_dir / cite.path).as_posix()})"
        lines.append(f"    — {where}{place}")
        if match.also_in:
            lines.append(f"      also in: {', '.join(match.also_in)}")
    return "\n".join(lines) + "\n"


def question_scores_json(scores: QuestionScores, per_question: bool = False) -> dict:
    """`footnote eval --questions --json`: the measures, their counts, each question's result."""
    head = {
        "questions_file": scores.source,
        "corpus": scores.corpus,
        "questions": len(scores.results),
        "answerable": len(scores.answerable),
        "unanswerable": len(scores.unanswerable),
    }
    return scores_json(head, scores, per_question)


def scores_json(
    head: dict, scores: QuestionScores | FeedbackScores, per_question: bool, **each: Any
) -> dict:
    """The JSON of an eval over questions: `head`, the time, the measures and their counts,
    and with `per_question` each question's result (with `each`'s fields: name -> getter)."""
    data: dict = {
        **head,
        "seconds": round(scores.seconds, 3),
        "measures": {
            name: (None if value is None else round(value, 4))
            for name, value in scores.measures().items()
        },
        "counts": {name: list(pair) for name, pair in scores.counts().items()},
    }
    if per_question:
        data["per_question"] = [
            {
                "id": r.question.id,
                "question": r.question.question,
                "rank": r.rank,
                "answered": r.answered,
                **{name: getter(r) for name, getter in each.items()},
                "verdict": r.verdict,
            }
            for r in scores.results
        ]
    return data


def render_question_scores(scores: QuestionScores, per_question: bool = False) -> str:
    """The measures of a question file as a small table; a line per question with --per-question."""
    lines = [
        f"{scores.source} on {scores.corpus}: {len(scores.results)} question(s), "
        f"{len(scores.answerable)} answerable, {len(scores.unanswerable)} unanswerable "
        f"({scores.seconds:.1f}s)",
        "",
    ]
    lines += measure_table(scores.measures(), scores.counts())
    if per_question:
        width = max(8, *(len(r.question.id) for r in scores.results))
        lines += ["", f"{'question':<{width}} {'rank':>4}  {'answered':<8}  verdict: text"]
        for r in scores.results:
            rank = str(r.rank) if r.rank else "-"
            text = " ".join(r.question.question.split())
            text = text if len(text) <= 60 else text[:59] + "…"
            answered = "yes" if r.answered else "no"
            lines.append(f"{r.question.id:<{width}} {rank:>4}  {answered:<8}  {r.verdict}: {text}")
    return "\n".join(lines)


def measure_table(
    measures: dict[str, float | None], counts: dict[str, tuple[int, int]]
) -> list[str]:
    """A table of measures: each name, its score ("-" with no data) and (count/out of)."""
    width = max(22, *(len(name) + 1 for name in measures))
    lines = [f"{'measure':<{width}} score"]
    for name, value in measures.items():
        shown = "-" if value is None else f"{value:.3f}"
        count = f"  ({counts[name][0]}/{counts[name][1]})" if name in counts else ""
        lines.append(f"{name:<{width}} {shown}{count}")
    return lines


def feedback_scores_json(scores: FeedbackScores, per_question: bool = False) -> dict:
    """`footnote eval --feedback --json`: the measures, their counts, each question's result."""
    head = {
        "store": scores.source,
        "corpus": scores.corpus,
        "votes": scores.votes,
        "questions": len(scores.results),
        "judged": len(scores.judged),
        "voted_down_only": len(scores.voted_down_only),
        "changed_since_vote": scores.changed,
    }
    return scores_json(
        head,
        scores,
        per_question,
        **{"nDCG@10": lambda r: None if r.ndcg is None else round(r.ndcg, 4)},
    )


def render_feedback_scores(scores: FeedbackScores, per_question: bool = False) -> str:
    """The measures of the votes as a small table; a line per question with --per-question."""
    lines = [
        f"{scores.source} on {scores.corpus}: {len(scores.results)} question(s) judged by "
        f"{scores.votes} vote(s), {len(scores.judged)} with a passage voted up, "
        f"{len(scores.voted_down_only)} with passages voted down only; {scores.changed} "
        f"passage(s) set aside, changed since the vote ({scores.seconds:.1f}s)",
        "",
    ]
    lines += measure_table(scores.measures(), scores.counts())
    if per_question and scores.results:
        width = max(8, *(len(r.question.id) for r in scores.results))
        lines += ["", f"{'question':<{width}} {'rank':>4}  {'answered':<8}  nDCG@10  verdict: text"]
        for r in scores.results:
            rank = str(r.rank) if r.rank else "-"
            ndcg = "-" if r.ndcg is None else f"{r.ndcg:.3f}"
            text = " ".join(r.question.question.split())
            text = text if len(text) <= 60 else text[:59] + "…"
            answered = "yes" if r.answered else "no"
            lines.append(
                f"{r.question.id:<{width}} {rank:>4}  {answered:<8}  {ndcg:>7}  {r.verdict}: {text}"
            )
    return "\n".join(lines)


def _question_order(qid: str) -> tuple[int, int | str]:
    return (0, int(qid)) if qid.isdigit() else (1, qid)


def evaluation_json(
    result: Evaluation, questions: dict[str, str], per_question: bool = False
) -> dict:
    """`footnote eval --json`: the measures, what was measured, and each question's scores."""
    data: dict = {
        "collection": result.collection,
        "system": result.system,
        "questions": result.questions,
        "documents": result.documents,
        "indexed_documents": result.indexed_documents,
        "passages": result.passages,
        "depth": result.depth,
        "seconds": round(result.seconds, 3),
        "measures": {name: round(value, 4) for name, value in result.measures.items()},
    }
    if per_question:
        data["per_question"] = [
            {
                "id": qid,
                "question": questions.get(qid),
                **{n: round(v, 4) for n, v in result.per_query[qid].items()},
            }
            for qid in sorted(result.per_query, key=_question_order)
        ]
    return data


def render_evaluation(
    result: Evaluation, questions: dict[str, str], per_question: bool = False
) -> str:
    """The measures as a small table; with per_question, a line per question under it."""
    indexed = (
        f", {result.indexed_documents:,} indexed as {result.passages:,} passages"
        if result.indexed_documents is not None and result.passages is not None
        else ""
    )
    lines = [
        f"{result.collection}: {result.questions:,} judged questions, "
        f"{result.documents:,} documents{indexed}; the best {result.depth} documents per "
        f"question ({result.seconds:.1f}s)",
        "",
        f"{'measure':<9} score",
    ]
    lines += [f"{name:<9} {value:.3f}" for name, value in result.measures.items()]
    if per_question:
        names = list(result.measures)
        lines += ["", f"{'question':<9} " + " ".join(f"{n:>7}" for n in names) + "  text"]
        for qid in sorted(result.per_query, key=_question_order):
            scores = " ".join(f"{result.per_query[qid].get(n, 0.0):>7.3f}" for n in names)
            text = " ".join(questions.get(qid, "").split())
            text = text if len(text) <= 70 else text[:69] + "…"
            lines.append(f"{qid:<9} {scores}  {text}".rstrip())
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
