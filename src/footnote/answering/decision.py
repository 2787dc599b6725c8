"""Whether a passage answers a question: features that mean the same on any corpus, and two
logistic models over them, one for which passage is the right one, one for whether to answer.

Two small logistic regressions, fitted on the tuning halves of public question sets of
different kinds and of the project's own (`benchmarks/fit_decision.py`; docs/quality.md)
and shipped as `data/decision.json`:

- the *passage* model, a conditional logit (a logistic regression over a choice among the
  candidates: McFadden's model, ListNet's loss), gives each of the best CANDIDATES passages
  the probability that it is the right one among them. The passages keep the order BM25
  and the rules gave: ordering them by this probability did not help across the sets;
- the *answering* model gives the probability that the question is asked of a corpus that
  answers it, from the first passage's features, the passage model's view of it and the
  most of the question a passage shown holds; an answer is given when it reaches the
  threshold.

Every feature is a share or a ratio, never a raw count or score: a BM25 score means nothing
across corpora until it is divided by the best score the question could get.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources

# How many of the best passages (after BM25 and the re-ranking rules) the model weighs.
CANDIDATES = 10

FEATURES = (
    "coverage",  # share of the question's information (idf) held in the passage's words
    "fields",  # ... held in its words and its section heading together
    "heading",  # ... held in its section heading alone
    "title",  # ... held in its article's title and not in its words or heading
    "missing",  # the largest share of the question's information one absent word carries
    "sentence",  # share of the question's information held in its best single sentence
    "proximity",  # matched words over the fewest consecutive words holding them all
    "score",  # BM25 score over the best score the question's words could get
    "share_of_best",  # BM25 score over the first passage's
    "margin",  # how far its score is above the next passage's, over its own
    "first",  # 1 for the passage BM25 ranked first
    "type_held",  # the question asks for a kind of answer (a time, a number...) it holds
    "type_missing",  # ... that it does not hold
    "single_word",  # it shares a single word with the question
    "short",  # 1 over the number of informative words in the question
    "known",  # share of the question's informative words found anywhere in the corpus
    "unknown",  # share of the question's information in words the corpus never uses
)
# The first passage's own features, less those that are the same for every first passage
# (it is first, and its score is the best), and three of its place among the others.
ANSWERING = (
    *(f for f in FEATURES if f not in ("first", "share_of_best")),
    "rank_probability",
    "rank_lead",
    "shown_fields",
)
SHOWN = 3  # an answer shows the best three passages


@dataclass(frozen=True)
class Logistic:
    """A logistic regression: an intercept and one coefficient per feature."""

    intercept: float
    coefficients: Mapping[str, float]

    def probability(self, values: Mapping[str, float]) -> float:
        """The model's probability for one feature vector."""
        z = self.intercept + sum(w * values.get(name, 0.0) for name, w in self.coefficients.items())
        return 1 / (1 + math.exp(-max(-60.0, min(60.0, z))))


@dataclass(frozen=True)
class Choice:
    """A conditional logit: a coefficient per feature; each candidate's probability of
    being the one chosen is the softmax of its weighted features over all candidates."""

    coefficients: Mapping[str, float]

    def probabilities(self, candidates: Sequence[Mapping[str, float]]) -> list[float]:
        """Each candidate's probability of being the right one among them."""
        scores = [
            sum(w * values.get(name, 0.0) for name, w in self.coefficients.items())
            for values in candidates
        ]
        top = max(scores, default=0.0)
        exps = [math.exp(z - top) for z in scores]
        total = sum(exps)
        return [e / total for e in exps]


@dataclass(frozen=True)
class DecisionModel:
    """The shipped models, the default threshold and what they were fitted on."""

    passage: Choice
    answering: Logistic
    threshold: float
    fitted_on: str

    @classmethod
    def from_json(cls, data: Mapping) -> DecisionModel:
        """The model from its JSON form (data/decision.json)."""
        return cls(
            passage=Choice(data["passage"]["coefficients"]),
            answering=Logistic(data["answering"]["intercept"], data["answering"]["coefficients"]),
            threshold=float(data["threshold"]),
            fitted_on=str(data.get("fitted_on", "")),
        )

    def explain(self) -> list[str]:
        """The models as lines a person reads: each coefficient with what its feature means."""
        meaning = _feature_meanings()
        lines = [
            f"Decision model (fitted on {self.fitted_on})" if self.fitted_on else "Decision model",
            f"Answer when the answering probability is at least {self.threshold:.2f} "
            "(FOOTNOTE_ANSWER_THRESHOLD, --min-confidence).",
        ]
        lines += ["", "passage: which of the best passages is the right one? (softmax over them)"]
        for name, weight in self.passage.coefficients.items():
            lines.append(f"  {name:<18} {weight:+8.3f}  {meaning.get(name, '')}")
        lines += [
            "",
            "answering: does the first passage answer the question?",
            f"  {'intercept':<18} {self.answering.intercept:+8.3f}",
        ]
        for name, weight in self.answering.coefficients.items():
            lines.append(f"  {name:<18} {weight:+8.3f}  {meaning.get(name, '')}")
        return lines


@functools.cache
def _feature_meanings() -> dict[str, str]:
    """Each feature's comment above, as its meaning."""
    meanings = {
        "rank_probability": "the passage model's probability for the first passage",
        "rank_lead": "... less its probability for the second",
        "shown_fields": "the most of the question a passage shown holds (fields and title)",
    }
    source = (
        resources.files("footnote").joinpath("answering", "decision.py").read_text(encoding="utf-8")
    )
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.startswith('"') and "#" in stripped:
            name = stripped.split('"')[1]
            if name in FEATURES:
                meanings[name] = stripped.split("#", 1)[1].strip()
    return meanings


MODEL_FILE = "decision.json"


@functools.cache
def shipped_model() -> DecisionModel:
    """The model shipped with the package."""
    text = resources.files("footnote").joinpath("data", MODEL_FILE).read_text(encoding="utf-8")
    return DecisionModel.from_json(json.loads(text))


@dataclass(frozen=True)
class Evidence:
    """One candidate passage's features and the passage model's probability for it."""

    passage: int
    features: tuple[float, ...]
    probability: float

    def named(self) -> dict[str, float]:
        """The features by name."""
        return dict(zip(FEATURES, self.features, strict=True))


def best_score(weights: Mapping[str, float], k1: float) -> float:
    """The highest BM25 score a passage could get for terms of these idf weights."""
    return sum(weights.values()) * (k1 + 1)


def features(
    weights: Mapping[str, float],
    body: set[str],
    heading: set[str],
    title: set[str],
    sentence_share: float,
    proximity: float,
    score: float,
    top_score: float,
    next_score: float | None,
    first: bool,
    type_asked: bool,
    type_held: bool,
    ideal: float,
    known: float,
    unknown: float,
) -> tuple[float, ...]:
    """A candidate's feature vector, in FEATURES order."""
    total = sum(weights.values()) or 1.0
    held = sum(w for t, w in weights.items() if t in body)
    fielded = sum(w for t, w in weights.items() if t in body or t in heading)
    in_heading = sum(w for t, w in weights.items() if t in heading)
    in_title = sum(w for t, w in weights.items() if t in title and t not in body | heading)
    absent = [w for t, w in weights.items() if t not in body | heading | title]
    matched = sum(1 for t in weights if t in body | heading | title)
    return (
        held / total,
        fielded / total,
        in_heading / total,
        in_title / total,
        max(absent, default=0.0) / total,
        sentence_share,
        proximity,
        min(score / ideal, 2.0) if ideal > 0 else 0.0,
        score / top_score if top_score > 0 else 0.0,
        (score - next_score) / score if next_score is not None and score > 0 else 1.0,
        1.0 if first else 0.0,
        1.0 if type_asked and type_held else 0.0,
        1.0 if type_asked and not type_held else 0.0,
        1.0 if matched == 1 else 0.0,
        1 / max(1, len(weights)),
        known,
        unknown,
    )


def answering_values(ranked: Sequence[Evidence]) -> dict[str, float]:
    """The answering model's inputs: the first candidate's features, its lead over the
    second, and the most of the question any passage shown holds."""
    values = {k: v for k, v in ranked[0].named().items() if k in ANSWERING}
    values["rank_probability"] = ranked[0].probability
    values["rank_lead"] = ranked[0].probability - (ranked[1].probability if len(ranked) > 1 else 0)
    values["shown_fields"] = max(e.named()["fields"] + e.named()["title"] for e in ranked[:SHOWN])
    return values
