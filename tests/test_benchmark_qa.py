"""The question-set kit: sets written as corpora the real reader reads back word for word,
and the gold passages each question is judged by."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_benchmark_corpora import BENCHMARKS, git, load

from footnote.config import EngineConfig
from footnote.engine import Engine
from footnote.question_set import normalised
from footnote.retrieval.base import PassageRef

sys.path.insert(0, str(BENCHMARKS))
qa_sets = load("qa_sets")
qa = load("qa")

PROSE = st.text(
    alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs")),
    min_size=1,
    max_size=80,
).filter(lambda t: any(c.isalnum() for c in t))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(paragraph=PROSE)
def test_an_escaped_paragraph_reads_back_as_its_own_words(
    paragraph: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Whatever punctuation a set's paragraph holds (`*`, `#`, `1.`, `<b>`), the Markdown
    the kit writes is read back by Footnote's reader as exactly that paragraph's words."""
    base = tmp_path_factory.mktemp("case")
    corpus = base / "corpus"
    qa_sets.write_article(corpus, "article", "A title", ["An opening paragraph.", paragraph])
    engine, _ = Engine.open(EngineConfig(corpus_dir=corpus, index_dir=base / "ix"))
    texts = [normalised(p.text) for p in engine.retriever.index.iter_passages()]
    engine.retriever.index.close()
    assert normalised(paragraph) in texts


def passage(index: int, doc: str, text: str) -> object:
    """A stored passage as gold_passages sees it: its place, document and text."""

    class Stored:
        pass

    stored = Stored()
    stored.ref, stored.doc_id, stored.text = PassageRef(doc, index), doc, text
    return stored


def numbers(gold: dict[str, set[PassageRef]]) -> dict[str, set[int]]:
    """Each question's right passages by their number."""
    return {q: {ref.n for ref in refs} for q, refs in gold.items()}


def item(answer: str, context: str | None, article: str = "a", **extra: object) -> object:
    """A question of a set with its gold article, answer and paragraph."""
    return qa.Item("q", "a question?", "c", article, answer, context, "tuning", **extra)


def test_gold_is_the_part_of_the_gold_paragraph_holding_the_answer() -> None:
    """A gold paragraph cut into two passages: only the part holding the answer is right;
    the same words in another article are not."""
    context = "First half of the paragraph. Second half names Ada Lovelace."
    passages = [
        passage(0, "a", "First half of the paragraph."),
        passage(1, "a", "Second half names Ada Lovelace."),
        passage(2, "b", "Second half names Ada Lovelace."),
    ]
    assert numbers(qa.gold_passages([item("Ada Lovelace", context)], passages)) == {"q": {1}}


def test_an_answer_in_other_words_takes_the_passage_sharing_most_of_them() -> None:
    """An annotator's paraphrase is judged by the article's passage sharing the most of its
    words, when it shares enough; else no passage is right."""
    passages = [
        passage(0, "a", "Encryption is available on all current instance types."),
        passage(1, "a", "Tags are applied when the image is created."),
    ]
    paraphrase = item("encryption available on current instance types", None)
    unrelated = item("nothing like this is written anywhere", None)
    assert numbers(qa.gold_passages([paraphrase], passages)) == {"q": {0}}
    assert numbers(qa.gold_passages([unrelated], passages)) == {"q": set()}


def test_unanswerable_and_judged_documents() -> None:
    """An unanswerable question has no right passage; with no answer text, every passage
    of the documents judged relevant is right (Cranfield)."""
    passages = [passage(0, "d1", "x"), passage(1, "d2", "y"), passage(2, "d3", "z")]
    assert numbers(qa.gold_passages([item("", None, "", unanswerable=True)], passages)) == {
        "q": set()
    }
    assert numbers(qa.gold_passages([item("", None, "d1\nd3")], passages)) == {"q": {0, 2}}


def test_fill_writes_articles_questions_and_halves_from_a_clone(tmp_path: Path) -> None:
    """A SQuAD-format file at the pinned commit becomes one Markdown file per article and a
    question file whose halves split by article, recording where it came from."""
    repo = tmp_path / "repo"
    repo.mkdir()
    articles = [
        {
            "title": f"Topic_{n}",
            "paragraphs": [
                {
                    "context": f"Paragraph about topic {n}.",
                    "qas": [
                        {"id": f"{n}-{k}", "question": f"what about {n}?", "answers": [
                            {"text": f"topic {n}", "answer_start": 16}
                        ]}
                        for k in range(2)
                    ],
                }
            ],
        }
        for n in range(12)
    ]  # fmt: skip
    (repo / "xquad.en.json").write_text(json.dumps({"data": articles}), encoding="utf-8")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "data")
    pinned = git(repo, "rev-parse", "HEAD")
    spec = qa_sets.SETS["xquad"]
    demo = qa_sets.QASet("demo", "owner/demo", pinned, spec.files, "test", spec.convert)
    cache = tmp_path / "cache"
    assert qa_sets.fill(demo, repo, cache) == (12, 24)
    assert qa_sets.is_cached(cache, demo)
    rows = [json.loads(line) for line in (cache / "demo" / "questions.jsonl").open()]
    halves_by_article: dict[str, set[str]] = {}
    for row in rows:
        halves_by_article.setdefault(row["article"], set()).add(row["half"])
    assert all(len(h) == 1 for h in halves_by_article.values())
    assert {h for hs in halves_by_article.values() for h in hs} == {"tuning", "held-back"}
    text = (cache / "demo" / "corpus" / "wikipedia" / "topic-3.md").read_text(encoding="utf-8")
    assert text.startswith("# Topic 3\n")
