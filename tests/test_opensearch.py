"""The OpenSearch backend against a real two-node cluster on 127.0.0.1: the same contract as
the embedded backend (the same questions, the same answers), builds that swap in whole,
updates of changed files, and one sentence for each failure."""

from __future__ import annotations

import concurrent.futures
import http.server
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import run_footnote, started_cluster

from footnote.config import EngineConfig, OpenSearchSettings
from footnote.engine import Engine
from footnote.errors import IndexCorrupt, IndexError_, SearchUnavailable
from footnote.retrieval import backends
from footnote.retrieval.base import Filters, IndexWriter, PassageRef, Query, Retriever
from footnote.retrieval.opensearch import writer as opensearch_writer

ARTICLES = {
    "harbour.md": """---
title: The harbour
published: 2021-03-04
source: Port Gazette
---

# The harbour

## How does the harbour work?

Ships enter the harbour through a lock that the harbour master opens twice a day at high tide.

The lock keeps the water level steady, so ferries can dock at any hour.

## Why did the harbour flood?

In March 2019 a storm surge overtopped the sea wall and flooded the quays for three days.
""",
    "museum.md": """---
title: The museum
published: 2022-06-01
source: City Desk
---

# The museum

The museum opened its doors in 1897 after a donation from a shipping family.

## Collections

Its collection holds 4,000 maps of the coast, the oldest drawn in 1550.

The director, Ada Brennan, plans a new wing for the ship models.
""",
    "ferry.md": """---
title: Ferry timetable
published: 2023-01-15
source: Port Gazette
---

# Ferry timetable

The first ferry leaves the harbour at 6 in the morning; the last returns at midnight.

Fares for the ferry rise by ten percent in April, the operator said.

The harbour master said the lock would close for repairs in May.
""",
    "weather.txt": """Fog closed the harbour for two days in November, the coastguard said.

We use cookies on our site. Accept all cookies to continue reading.
""",
}

QUESTIONS = [
    "How does the harbour lock work?",
    "When did the harbour flood?",
    "Who is the museum director?",
    "When did the museum open?",
    "How much will the ferry fares cost?",
    "When does the last ferry return?",
    "What does the map collection hold?",
    "Who opens the lock?",
]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small corpus both backends index."""
    folder = tmp_path_factory.mktemp("os-corpus") / "corpus"
    folder.mkdir()
    for name, text in ARTICLES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def cluster_settings(cluster: object, index: str, **changes: object) -> OpenSearchSettings:
    """Settings for an index of this name on the test cluster: two shards, one replica."""
    urls = ",".join(cluster.urls)  # type: ignore[attr-defined]
    return replace(OpenSearchSettings(urls, index=index, shards=2, replicas=1), **changes)


@pytest.fixture(scope="module")
def engines(
    corpus: Path, opensearch_cluster: object, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Engine]:
    """The corpus indexed by each backend, opened as engines."""
    base = EngineConfig(corpus_dir=corpus, index_dir=tmp_path_factory.mktemp("os-embedded"))
    cluster = EngineConfig(
        corpus_dir=corpus,
        backend="opensearch",
        opensearch=cluster_settings(opensearch_cluster, "contract"),
    )
    return {"embedded": Engine.open(base)[0], "opensearch": Engine.open(cluster, rebuild=True)[0]}


def shown(engine: Engine, question: str) -> list[tuple[str, str, int, bool]]:
    """What a person sees of an answer: each passage's text and citation, and whether answered."""
    answer = engine.ask(question, 3)
    return [
        (m.text, m.citation.doc_id, m.citation.paragraph, answer.answered) for m in answer.passages
    ]


@pytest.mark.parametrize("question", QUESTIONS)
def test_both_backends_give_the_same_answer(engines: dict[str, Engine], question: str) -> None:
    """The same passages, in the same order, with the same citations and decision."""
    assert shown(engines["opensearch"], question) == shown(engines["embedded"], question)


def test_scores_agree_to_a_thousandth(engines: dict[str, Engine]) -> None:
    """Counts sent normalised by length (not Lucene's one-byte lengths): scores agree but
    for float32 and the counts' rounding."""
    for question in QUESTIONS:
        ours = engines["embedded"].ask(question, 5).passages
        theirs = engines["opensearch"].ask(question, 5).passages
        for a, b in zip(ours, theirs, strict=True):
            assert b.score == pytest.approx(a.score, rel=1e-3)


@pytest.mark.parametrize("backend", ["embedded", "opensearch"])
def test_the_retriever_contract(engines: dict[str, Engine], backend: str) -> None:
    """Search, passages by reference, neighbours, documents, headings, counts and dropped
    paragraphs, as the answering stage uses them."""
    retriever: Retriever = engines[backend].retriever
    assert isinstance(retriever, Retriever)
    if backend == "opensearch":  # the writer of its builds and updates
        client = retriever.client  # type: ignore[attr-defined]
        writer = opensearch_writer.OpenSearchWriter(client, "unused", "unused-meta")
        assert isinstance(writer, IndexWriter)
    found = retriever.search(Query.of([("lock", 1.0), ("harbour", 1.0)]), 3)
    assert len(found) == 3 and found[0][1] >= found[1][1] >= found[2][1]
    [first] = retriever.passages([found[0][0]])
    assert first.ref == found[0][0] and "lock" in first.text
    around = retriever.neighbours(PassageRef("museum", 1), PassageRef("museum", 1), 1)
    assert [p.ref.n for p in around] == [0, 1, 2]
    assert {p.doc_id for p in around} == {"museum"}
    assert retriever.passages([PassageRef("museum", 99), PassageRef("nowhere", 0)]) == []
    assert [d.id for d in retriever.documents()] == ["ferry", "harbour", "museum", "weather"]
    assert [retriever.document(d.id) for d in retriever.documents()] == retriever.documents()
    assert retriever.document("nowhere") is None
    assert ("harbour", "Why did the harbour flood?") in retriever.headings()
    info = retriever.info()
    assert info.backend == backend and info.counts["documents"] == 4
    assert info.counts["passages"] == len(retriever)
    assert {d.reason for d in retriever.dropped()} == {"site furniture"}
    assert [d.text for d in retriever.dropped()] == [
        "We use cookies on our site. Accept all cookies to continue reading."
    ]
    (path,) = {d.path for d in retriever.dropped()}
    assert retriever.dropped(path) == retriever.dropped()
    assert retriever.dropped("no-such-file.md") == []


def test_both_backends_count_the_same_terms(engines: dict[str, Engine]) -> None:
    """Document frequencies, as feedback and related words read them, agree."""
    terms = engines["embedded"].analyzer.terms("harbour ferry museum lock zebra the")
    counts = {b: e.retriever.doc_freqs(terms) for b, e in engines.items()}
    assert counts["opensearch"] == counts["embedded"]
    assert counts["embedded"][terms.index("zebra")] == 0


@pytest.mark.parametrize(
    "filters",
    [
        Filters(documents=("ferry",)),
        Filters(sources=("Port Gazette",)),
        Filters(published_from="2022-01-01"),
        Filters(published_to="2021-12-31", sources=("Port Gazette",)),
    ],
)
def test_filters_admit_the_same_passages_on_both(
    engines: dict[str, Engine], filters: Filters
) -> None:
    """Document, source and date filters keep the same passages on both backends."""
    query = Query.of([("harbour", 1.0), ("ferri", 1.0), ("museum", 1.0)])
    results = {b: e.retriever.search(query, 10, filters) for b, e in engines.items()}
    refs = {b: [ref for ref, _ in found] for b, found in results.items()}
    assert refs["opensearch"] == refs["embedded"]
    assert refs["embedded"]  # the filter leaves something to compare


def test_follow_ups_and_more_work_on_the_cluster(engines: dict[str, Engine]) -> None:
    """A follow-up leans on the question before; More pages on; Context finds the paragraphs."""
    engine = engines["opensearch"]
    answer = engine.ask("and who is its director?", 1, earlier="When did the museum open?")
    assert answer.context == "When did the museum open?"
    assert "Ada Brennan" in answer.passages[0].text
    more = engine.ask("When did the museum open?", 2, offset=2)
    assert [m.rank for m in more.passages] == [3, 4][: len(more.passages)]
    match = engine.ask("Who is the museum director?", 1).passages[0]
    around = engine.context_of(match.passage.doc_key, match.passage.n, match.passage.n, 1)
    assert match.text in [p.text for p in around]


def _index_names(cluster: object, alias: str) -> set[str]:
    names = cluster.request("GET", f"/_cat/indices/{alias}-g*?format=json&h=index")  # type: ignore[attr-defined]
    return {n["index"] for n in names}


def test_a_failed_build_leaves_the_previous_one_serving(
    corpus: Path, opensearch_cluster: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build that fails half way is removed; the aliases still point at the last one."""
    config = EngineConfig(
        corpus_dir=corpus,
        backend="opensearch",
        opensearch=cluster_settings(opensearch_cluster, "swap"),
    )
    backends.build(config, built_by="first")
    engine = Engine(config, backends.open_live(config))
    before = shown(engine, "When did the museum open?")
    names = _index_names(opensearch_cluster, "swap")

    def refuse(self: object, document: object) -> None:
        raise IndexError_("The search cluster refused a passage of the index (test).")

    monkeypatch.setattr(opensearch_writer.OpenSearchWriter, "replace", refuse)
    with pytest.raises(IndexError_, match="refused a passage"):
        backends.build(config, built_by="second", rebuild=True)
    monkeypatch.undo()
    assert _index_names(opensearch_cluster, "swap") == names  # the half build is gone
    fresh = Engine(config, backends.open_live(config))
    assert fresh.info().built_by == "first"
    assert shown(fresh, "When did the museum open?") == before


def test_a_changed_file_is_written_alone_and_served_after(
    corpus: Path, opensearch_cluster: object, tmp_path: Path
) -> None:
    """An update writes only the changed file's documents; a removed file's go; engines
    serving the build switch to the update."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name, text in ARTICLES.items():
        (folder / name).write_text(text, encoding="utf-8")
    config = EngineConfig(
        corpus_dir=folder,
        backend="opensearch",
        opensearch=cluster_settings(opensearch_cluster, "update"),
    )
    backends.build(config, rebuild=True)
    engine = Engine(config, backends.open_live(config))
    names = _index_names(opensearch_cluster, "update")
    text = ARTICLES["museum.md"].replace("Ada Brennan", "Mira Osei")
    (folder / "museum.md").write_text(text, encoding="utf-8")
    (folder / "ferry.md").unlink()
    report = backends.build(config)
    assert report.files_analysed == 1 and report.files_reused == 2  # museum written alone
    assert report.updated == ["museum"] and report.removed == ["ferry"]
    assert _index_names(opensearch_cluster, "update") == names  # in place, no new build
    assert engine.refresh()
    texts = [m.text for m in engine.ask("Who is the museum director?", 3).passages]
    assert any("Mira Osei" in text for text in texts)
    assert not any("Ada Brennan" in text for text in texts)
    assert [d.id for d in engine.retriever.documents()] == ["harbour", "museum", "weather"]
    assert engine.ask("When does the last ferry return?", 3).passages[0].citation.doc_id != "ferry"
    assert not engine.refresh()  # nothing newer


def test_an_index_of_another_corpus_is_refused_without_rebuild(
    corpus: Path, opensearch_cluster: object, tmp_path: Path
) -> None:
    """Another folder asking or indexing into the same alias is refused in one sentence
    naming the folder it was built from; --rebuild replaces it."""
    other = tmp_path / "other"
    other.mkdir()
    (other / "note.md").write_text("# Note\n\nThe tide turns at noon.\n", encoding="utf-8")
    urls = ",".join(opensearch_cluster.urls)  # type: ignore[attr-defined]
    mine = ["--corpus", str(corpus), "--opensearch-url", urls, "--opensearch-index", "owned"]
    theirs = ["--corpus", str(other), "--opensearch-url", urls, "--opensearch-index", "owned"]
    assert run_footnote("index", *mine).returncode == 0
    for command in (["ask", *theirs, "when does the tide turn?"], ["index", *theirs]):
        refused = run_footnote(*command)
        assert refused.returncode == 2
        [line] = refused.stderr.splitlines()
        assert f"was built from the corpus {corpus}" in line and "--rebuild" in line
    assert "Ada Brennan" in run_footnote("ask", *mine, "Who is the museum director?").stdout
    replaced = run_footnote("ask", *theirs, "--rebuild", "when does the tide turn?")
    assert replaced.returncode == 0 and "noon" in replaced.stdout


def test_the_command_line_asks_the_cluster(corpus: Path, opensearch_cluster: object) -> None:
    """`footnote index` and `footnote ask` with --opensearch-url, as a person runs them."""
    urls = ",".join(opensearch_cluster.urls)  # type: ignore[attr-defined]
    where = ["--corpus", str(corpus), "--opensearch-url", urls, "--opensearch-index", "cli"]
    built = run_footnote("index", *where, "--opensearch-shards", "2")
    assert built.returncode == 0, built.stderr
    assert "indexed 4 document(s)" in built.stdout
    asked = run_footnote("ask", *where, "Who is the museum director?")
    assert asked.returncode == 0, asked.stderr
    assert "Ada Brennan" in asked.stdout
    listed = run_footnote("sources", *where)
    assert "4 document(s)" in listed.stdout


def test_an_unreachable_cluster_is_one_sentence(corpus: Path) -> None:
    """Nothing listens there: exit 2, one line naming the address and what to check."""
    result = run_footnote(
        "ask", "--corpus", str(corpus), "--opensearch-url", "http://127.0.0.1:9", "why?"
    )
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert "cannot reach the search cluster at http://127.0.0.1:9" in line
    assert "connection refused" in line


def test_a_missing_index_says_how_to_build_it(corpus: Path, opensearch_cluster: object) -> None:
    """Asking an index nobody built names it and the command that builds it."""
    config = EngineConfig(
        corpus_dir=corpus,
        backend="opensearch",
        opensearch=cluster_settings(opensearch_cluster, "never-built"),
    )
    with pytest.raises(IndexCorrupt, match="no index 'never-built' yet; build it"):
        backends.open_live(config)


class _Refusing(http.server.BaseHTTPRequestHandler):
    """A server that refuses every request as a cluster with security on refuses a stranger."""

    def do_GET(self) -> None:
        self._refuse()

    def do_POST(self) -> None:
        self._refuse()

    def _refuse(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b'{"error":{"type":"security_exception","reason":"missing authentication"}}'
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def refusing_server() -> Iterator[str]:
    """The address of a server on 127.0.0.1 that answers 401 to everything."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Refusing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_refused_credentials_are_one_sentence(corpus: Path, refusing_server: str) -> None:
    """HTTP 401: the message says which settings hold the credentials."""
    result = run_footnote(
        "ask", "--corpus", str(corpus), "--opensearch-url", refusing_server, "--opensearch-user",
        "reader", "why?",
    )  # fmt: skip
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert "refused Footnote's credentials (HTTP 401)" in line
    assert "--opensearch-password" in line or "FOOTNOTE_OPENSEARCH_PASSWORD" in line


@pytest.fixture
def failover_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A two-node cluster of its own, for a test that stops a node."""
    yield from started_cluster(tmp_path_factory.mktemp("os-failover"))


def test_a_node_stopped_during_a_burst_of_questions(corpus: Path, failover_cluster: object) -> None:
    """Two nodes, two shards with a replica each; node 1 stops mid-burst. Every question is
    answered from the copies left, or told the cluster is unavailable; none hangs."""
    cluster = failover_cluster
    config = EngineConfig(
        corpus_dir=corpus,
        backend="opensearch",
        opensearch=cluster_settings(cluster, "failover", timeout=5.0),
    )
    backends.build(config)
    cluster.wait_for_status("green", timeout=60)  # type: ignore[attr-defined]
    engine = Engine(config, backends.open_live(config))
    expected = shown(engine, QUESTIONS[2])

    def ask(i: int) -> str:
        try:
            answer = engine.ask(QUESTIONS[i % len(QUESTIONS)], 3)
        except SearchUnavailable as error:
            return f"unavailable: {error}"
        return "answered" if answer.passages else "empty"

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(ask, i) for i in range(40)]
        time.sleep(0.05)
        cluster.stop_node(1)  # type: ignore[attr-defined]
        futures += [pool.submit(ask, i) for i in range(40, 120)]
        outcomes = [future.result(timeout=60) for future in futures]  # nothing hangs
    assert all(o == "answered" or o.startswith("unavailable:") for o in outcomes), outcomes
    assert outcomes.count("answered") >= 60  # the replicas answer (most, even on a busy CI)
    assert shown(engine, QUESTIONS[2]) == expected  # and answer as before


def test_a_question_of_thousands_of_characters_is_answered(engines: dict[str, Engine]) -> None:
    """More distinct words than a cluster takes clauses in one query (1,024 by default,
    each searched in body and title): the weightiest are kept, and the question answered."""
    filler = " ".join(f"q{i}x" for i in range(700))
    question = f"When did the museum open? {filler}"
    answer = engines["opensearch"].ask(question, 3)
    assert any("1897" in m.text for m in answer.passages)


@pytest.mark.parametrize("backend", ["embedded", "opensearch"])
def test_ask_narrowed_to_documents_sources_and_dates(
    corpus: Path, opensearch_cluster: object, tmp_path: Path, backend: str
) -> None:
    """--document, --source, --since and --until keep the answer to those documents, on
    either backend; a bad day or an unknown document is one line and exit 2."""
    where = ["--corpus", str(corpus)]
    if backend == "opensearch":
        urls = ",".join(opensearch_cluster.urls)  # type: ignore[attr-defined]
        where += ["--opensearch-url", urls, "--opensearch-index", "narrowed"]
    else:
        where += ["--index", str(tmp_path / "index")]
    assert run_footnote("index", *where).returncode == 0

    def cited(*narrowing: str) -> set[str]:
        result = run_footnote(
            "ask",
            *where,
            *narrowing,
            "--json",
            "When did the harbour, the museum or the ferry open?",
        )
        assert result.returncode == 0, result.stderr
        found = {p["document"]["id"] for p in json.loads(result.stdout)["passages"]}
        assert found  # something is left to answer from
        return found

    assert cited("--document", "museum") == {"museum"}
    assert cited("--source", "Port Gazette") <= {"harbour", "ferry"}
    assert cited("--since", "2022-01-01") <= {"museum", "ferry"}
    assert cited("--until", "2021-12-31", "--source", "Port Gazette") == {"harbour"}
    for narrowing, said in (
        (["--since", "March 2022"], "--since takes a day as YYYY-MM-DD"),
        (["--document", "nowhere"], "No document has the id 'nowhere'"),
    ):
        refused = run_footnote("ask", *where, *narrowing, "why?")
        assert refused.returncode == 2
        [line] = refused.stderr.splitlines()
        assert said in line
