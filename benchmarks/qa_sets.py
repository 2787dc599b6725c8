"""Fill the cache of public question sets `qa.py` measures on, from local git clones.

Each set is real people's questions over real articles with the paragraph that answers
each question known, pinned to a repository, a commit and the files read there. This step
writes each set into `benchmarks/.qa/NAME/` (git-ignored: other people's writing, never
committed here): the articles as Markdown files a corpus folder holds (one folder per
collection the questions are asked of) and `questions.jsonl`, each question with its
article, the text of its gold paragraph or the answer it holds, and its half: `tuning` or
`held-back`, decided by article so no article is in both. It never downloads; a clone is
any git clone holding the pinned commit, or the mirror the search tool's fetch makes
(`.mirror/OWNER+NAME/repo`, looked for under `--mirrors`).

    python benchmarks/qa_sets.py                     # every set, from the mirrors
    python benchmarks/qa_sets.py --from-clone xquad=~/src/xquad
    python benchmarks/qa_sets.py --list
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import string
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from corpora import _git, check_clone, extract, fill_from_clones

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "benchmarks" / ".qa"
HALVES = ("tuning", "held-back")


@dataclass(frozen=True)
class Question:
    """One question of a set, with where its answer is."""

    id: str
    question: str
    collection: str  # the corpus folder it is asked of
    article: str  # the id Footnote gives the gold article (its file name without .md)
    answer: str  # words the gold paragraph holds
    context: str | None  # the gold paragraph's whole text, when the set gives it

    @property
    def half(self) -> str:
        """`tuning` or `held-back`: half the articles each, by a hash of the article."""
        digest = hashlib.sha256(f"{self.collection}/{self.article}".encode()).digest()
        return HALVES[digest[0] % 2]


@dataclass(frozen=True)
class QASet:
    """A public question set: where it lives and how it becomes corpus folders."""

    name: str
    repo: str
    commit: str
    files: tuple[str, ...]
    kind: str
    convert: Callable[[dict[str, bytes], Path], Iterator[Question]]


_PUNCTUATION = str.maketrans({c: "\\" + c for c in string.punctuation})


def markdown_escaped(text: str) -> str:
    """Plain text as a Markdown paragraph that renders as exactly that text.

    CommonMark lets a backslash escape any ASCII punctuation, so escaping all of it keeps
    a `*`, `#`, `1.` or `<b>` in the prose from being read as markup.
    """
    return " ".join(text.split()).translate(_PUNCTUATION)


def write_article(folder: Path, article: str, title: str, paragraphs: list[str]) -> None:
    """One article as a Markdown file: its title as the heading, then its paragraphs."""
    body = "\n\n".join(markdown_escaped(p) for p in paragraphs)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{article}.md").write_text(
        f"# {markdown_escaped(title)}\n\n{body}\n", encoding="utf-8"
    )


def _slug(text: str) -> str:
    """A file name for an article title: letters, digits and hyphens."""
    kept = "".join(c if c.isalnum() else "-" for c in text.casefold())
    return "-".join(part for part in kept.split("-") if part)[:80]


def squad_articles(
    data: dict, corpus: Path, collection_of: Callable[[str], str], prefix: str
) -> Iterator[Question]:
    """SQuAD-format articles written as Markdown, and their answerable questions."""
    for article in data["data"]:
        title = article["title"].replace("_", " ")
        slug = _slug(title)
        collection = collection_of(slug)
        contexts = [p["context"] for p in article["paragraphs"]]
        write_article(corpus / collection, slug, title, contexts)
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                if qa.get("is_impossible") or not qa["answers"]:
                    continue
                yield Question(
                    id=f"{prefix}{qa['id']}",
                    question=" ".join(qa["question"].split()),
                    collection=collection,
                    article=slug,
                    answer=qa["answers"][0]["text"],
                    context=paragraph["context"],
                )


def convert_xquad(files: dict[str, bytes], corpus: Path) -> Iterator[Question]:
    """XQuAD's English file: 48 Wikipedia articles, every question asked of all of them."""
    data = json.loads(files["xquad.en.json"])
    yield from squad_articles(data, corpus, lambda _: "wikipedia", "")


def convert_policyqa(files: dict[str, bytes], corpus: Path) -> Iterator[Question]:
    """PolicyQA's dev and test privacy policies, each its own collection: its questions
    ("how do you inform users of changes?") name no company, so they are asked of the one
    policy they were written for, as a server built around that policy would be asked."""
    for name in ("data/dev.json", "data/test.json"):
        data = json.loads(files[name])
        yield from squad_articles(data, corpus, lambda slug: slug, "")


def convert_aws(files: dict[str, bytes], corpus: Path) -> Iterator[Question]:
    """The AWS documentation QA set: 100 questions over the Markdown guides they name."""
    rows = csv.DictReader(io.StringIO(files["QA_true.csv"].decode("utf-8-sig")))
    for number, row in enumerate(rows, 1):
        guide, _, page = row["Document_True"].strip().partition("/")
        yield Question(
            id=f"aws-{number}",
            question=" ".join(row["Question"].split()),
            collection="aws",
            article=f"{guide}/doc_source/{page.removesuffix('.md')}",
            answer=" ".join(row["Answer_True"].split()),
            context=None,
        )


def aws_documents(clone: Path, commit: str, questions: list[Question], corpus: Path) -> int:
    """Copy the guides the questions name (every Markdown page of each) into the corpus."""
    guides = {q.article.split("/")[0] for q in questions}
    return extract(
        clone,
        commit,
        "documents",
        corpus / "aws",
        lambda page: len(page.parts) >= 3 and page.suffix == ".md",
        within=sorted(guides),
    )


SETS = {
    s.name: s
    for s in (
        QASet(
            "xquad",
            "google-deepmind/xquad",
            "7d30520c717524000f0d9d2f9c10a069acd9d285",
            ("xquad.en.json",),
            "Wikipedia reading comprehension (SQuAD v1.1 dev articles), crowd workers' questions",
            convert_xquad,
        ),
        QASet(
            "policyqa",
            "wasiahmad/PolicyQA",
            "775538bc6d932e9d0dd16975d4373659cf8964fe",
            ("data/dev.json", "data/test.json"),
            "website privacy policies (OPP-115), questions by skilled annotators",
            convert_policyqa,
        ),
        QASet(
            "aws-docs",
            "siagholami/aws-documentation",
            "2d06ee9011f3192b2ff38c09f04e01f1ea9e0191",
            ("QA_true.csv",),
            "AWS developer guides in Markdown, questions from real customers' questions",
            convert_aws,
        ),
    )
}


def stamp_path(cache: Path, qa: QASet) -> Path:
    """The file recording which repository and commit a cached set came from."""
    return cache / qa.name / "source.json"


def is_cached(cache: Path, qa: QASet) -> bool:
    """Whether the cache holds this set at its pinned commit."""
    try:
        stamp = json.loads(stamp_path(cache, qa).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return stamp.get("commit") == qa.commit


def fill(qa: QASet, clone: Path, cache: Path) -> tuple[int, int]:
    """Write the set's corpus folders and questions into the cache: (articles, questions)."""
    check_clone(clone, qa)
    files = {name: _git(clone, "show", f"{qa.commit}:{name}") for name in qa.files}
    staging = cache / f".{qa.name}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    corpus = staging / "corpus"
    corpus.mkdir(parents=True)
    questions = list(qa.convert(files, corpus))
    if qa.name == "aws-docs":
        aws_documents(clone, qa.commit, questions, corpus)
    lines = [
        json.dumps(
            {
                "id": q.id,
                "question": q.question,
                "collection": q.collection,
                "article": q.article,
                "answer": q.answer,
                "context": q.context,
                "half": q.half,
            },
            ensure_ascii=False,
        )
        for q in questions
    ]
    (staging / "questions.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    stamp = {"repo": qa.repo, "commit": qa.commit, "files": list(qa.files)}
    (staging / "source.json").write_text(json.dumps(stamp, indent=2) + "\n", encoding="utf-8")
    target = cache / qa.name
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return sum(1 for _ in (target / "corpus").rglob("*.md")), len(questions)


def main(argv: list[str] | None = None) -> int:
    """Fill the cache with every pinned set not already there."""
    return fill_from_clones(
        argv,
        __doc__.split("\n\n")[0],
        SETS,
        CACHE,
        lambda s: f"{s.name:<10} {s.repo}@{s.commit[:12]} {' '.join(s.files)}  ({s.kind})",
        is_cached,
        lambda s, clone, cache: "{} articles, {} questions".format(*fill(s, clone, cache)),
    )


if __name__ == "__main__":
    sys.exit(main())
