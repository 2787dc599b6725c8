"""Related words from WordNet 3.0: a question word the corpus never uses searched through the
corpus's other words for it ("burn" through "fire", "mob" through "crowd", "struck" through
"strike").

BM25 scores only shared terms, so a question in other words than its answer's finds nothing
for them. The table (`data/related.tsv.gz`, made by `tools/related_table.py`) maps an analyzer
term to the terms WordNet relates to it (synonyms, derived forms, entailments, one-step
hypernyms, and the irregular forms of the same word), each with the share of the word's
senses that relate them (SemCor sense counts) and the share where they are synonyms. Only
words no passage holds are expanded: a word the corpus uses already says what the question
means, and its relatives would only add noise.

Relatives rank passages. Only a synonym or another form of the same word also stands for the
absent word when the answer rule weighs how much of the question a passage holds: a broader
word ("people" for "population") says less than the question asked.
"""

from __future__ import annotations

import functools
import gzip
import math
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import NamedTuple

TABLE = Path(__file__).parent.parent / "data" / "related.tsv.gz"
# A related word is searched only when at least this share of the question word's senses
# (by sense frequency) relate them: rarer senses bring more noise than answers. A synonym in
# that share of the senses (the table keeps no less) also stands for the word.
MIN_SENSE_SHARE = 0.05
# The related words the corpus holds share this much of the absent word's query weight
# (0.5 measured lower on the seed sets).
RELATED_WEIGHT = 1.0
# A relative is searched only when its idf is at least this share of an absent word's: a
# word a large part of the corpus uses is weak evidence for a word it never uses, and
# outweighs the question's own words in the passages it is common in (docs/quality.md).
# Another form of the same word is always searched.
MIN_IDF_RATIO = 0.5


@functools.cache
def load_table(path: Path = TABLE, fingerprint: str = "") -> dict[str, str]:
    """Term -> its related terms as written in the table ("term:share ..."), or {} when the
    table was made for another analyzer than the one with this fingerprint."""
    header, _, body = gzip.decompress(path.read_bytes()).decode("utf-8").partition("\n\n")
    for line in header.splitlines():
        made_for = line.removeprefix("# analyzer ")
        if made_for != line and fingerprint and made_for != fingerprint:
            return {}  # other terms than this analyzer's: the table would mislead
    # Entries are parsed when asked for: splitting 40,000 lines into pairs up front would
    # cost the first question more than every later lookup together. One split of the
    # whole text, terms and entries alternating, is quicker than one per line.
    parts = body.replace("\n", "\t").split("\t")
    return dict(zip(parts[::2], parts[1::2], strict=False))


def parse(entry: str) -> Iterable[tuple[str, float, float, bool]]:
    """The (term, sense share, synonym share, is a form) of each related term of one table
    entry: the share of the word's senses that relate them, the share where they are
    synonyms, and whether the term is another form of the same word ("struck", "strike").

    Items are written "term:share", "term:share:synonym share" or "term=share" (a form).
    """
    for item in entry.split():
        if "=" in item:
            term, _, share = item.partition("=")
            yield term, float(share), float(share), True
            continue
        term, share, *same = item.split(":")
        yield term, float(share), float(same[0]) if same else 0.0, False


def max_doc_freq(n_passages: int) -> float:
    """The most passages a relative may be in: its idf at least MIN_IDF_RATIO of that of a
    word no passage holds (Lucene idf; no limit when the corpus size is not given)."""
    if n_passages <= 0 or MIN_IDF_RATIO <= 0:
        return math.inf
    # idf(df) = ln(1 + (n - df + 0.5) / (df + 0.5)) >= target, solved for df.
    ratio = math.expm1(MIN_IDF_RATIO * math.log1p((n_passages + 0.5) / 0.5))
    return (n_passages + 0.5 - 0.5 * ratio) / (1 + ratio)


def _relatives(
    terms: Iterable[str],
    table: Mapping[str, str],
    doc_freq: Callable[[str], int],
    ignore: frozenset[str],
    n_passages: int,
) -> Iterable[tuple[str, list[tuple[str, float, float]]]]:
    """Each question term no passage holds (less those in ``ignore``) with its relatives the
    corpus holds, not too common there: (term, sense share, synonym share) each."""
    terms = list(terms)
    own = set(terms)
    most = max_doc_freq(n_passages)
    for term in dict.fromkeys(terms):
        if term in ignore or term not in table or doc_freq(term) > 0:
            continue
        held = [
            (other, share, same)
            for other, share, same, form in parse(table[term])
            if share >= MIN_SENSE_SHARE
            and other not in own
            and 0 < doc_freq(other) <= (math.inf if form else most)
        ]
        if held:
            yield term, held


class Relatives(NamedTuple):
    """What the absent question terms bring: the related terms searched, each with its query
    weight, and for each absent term the relatives that stand for it in the answer rule."""

    weights: dict[str, float]
    stand_ins: dict[str, frozenset[str]]


def relatives(
    terms: Iterable[str],
    table: Mapping[str, str],
    doc_freq: Callable[[str], int],
    ignore: frozenset[str] = frozenset(),
    n_passages: int = 0,
) -> Relatives:
    """The relatives of the question terms no passage holds (less those in ``ignore``).

    Each absent term's weight is shared among its related terms the corpus holds, in
    proportion to their sense share; ``n_passages`` (the corpus size) leaves out relatives
    whose idf is under MIN_IDF_RATIO of the absent word's. Its synonyms (in at least
    MIN_SENSE_SHARE of its senses) and its other forms also stand for it when a passage is
    weighed as an answer.
    """
    weights: dict[str, float] = {}
    standing: dict[str, frozenset[str]] = {}
    for term, held in _relatives(terms, table, doc_freq, ignore, n_passages):
        total = sum(share for _, share, _ in held)
        for other, share, _ in held:
            weights[other] = max(weights.get(other, 0.0), RELATED_WEIGHT * share / total)
        synonyms = frozenset(other for other, _, same in held if same >= MIN_SENSE_SHARE)
        if synonyms:
            standing[term] = synonyms
    return Relatives(weights, standing)


# Phrasal verbs ("calm down", "die down"): the verb's term, its particle, and the WordNet
# classes of its senses (`data/phrasal.tsv.gz`, made by `tools/related_table.py`).
PHRASAL_TABLE = Path(__file__).parent.parent / "data" / "phrasal.tsv.gz"
# Two words with only spaces between them: a verb and the particle after it.
_PAIR = re.compile(r"([A-Za-z]+)(?=[ \t]+([A-Za-z]+)\b)")


@functools.cache
def load_phrasal(
    path: Path = PHRASAL_TABLE, fingerprint: str = ""
) -> dict[tuple[str, str], frozenset[str]]:
    """(verb term, particle) -> the WordNet classes of that phrasal verb's senses, or {} when
    the table was made for another analyzer than the one with this fingerprint."""
    header, _, body = gzip.decompress(path.read_bytes()).decode("utf-8").partition("\n\n")
    for line in header.splitlines():
        made_for = line.removeprefix("# analyzer ")
        if made_for != line and fingerprint and made_for != fingerprint:
            return {}
    table = {}
    for line in body.splitlines():
        pair, _, classes = line.partition("\t")
        verb, _, particle = pair.partition(" ")
        table[(verb, particle)] = frozenset(classes.split())
    return table


def phrasal_verbs(
    text: str, terms_of: Callable[[str], list[str]], table: Mapping[tuple[str, str], frozenset[str]]
) -> Iterable[tuple[str, str, frozenset[str]]]:
    """The phrasal verbs written in a text: (verb term, particle, WordNet classes) each."""
    for match in _PAIR.finditer(text):
        particle = match.group(2).lower()
        verb = terms_of(match.group(1))
        if len(verb) == 1 and (verb[0], particle) in table:
            yield verb[0], particle, table[(verb[0], particle)]


def absent_phrasal(
    question: str,
    terms_of: Callable[[str], list[str]],
    table: Mapping[tuple[str, str], frozenset[str]],
    doc_freq: Callable[[str], int],
    ignore: frozenset[str] = frozenset(),
) -> dict[str, tuple[str, frozenset[str]]]:
    """The question's phrasal verbs whose verb no passage holds ("calm down"): verb term ->
    (particle, WordNet classes)."""
    return {
        verb: (particle, classes)
        for verb, particle, classes in phrasal_verbs(question, terms_of, table)
        if verb not in ignore and doc_freq(verb) == 0
    }


def held_through_phrasal(
    text: str,
    terms_of: Callable[[str], list[str]],
    table: Mapping[tuple[str, str], frozenset[str]],
    absent: Mapping[str, tuple[str, frozenset[str]]],
) -> set[str]:
    """The absent verbs of ``absent_phrasal`` a text holds through another phrasal verb with
    the same particle and a WordNet class in common ("died down" for "calm down": both
    verb.change)."""
    if not absent:
        return set()
    held = set()
    for verb, particle, classes in phrasal_verbs(text, terms_of, table):
        for wanted, (wanted_particle, wanted_classes) in absent.items():
            if particle == wanted_particle and verb != wanted and classes & wanted_classes:
                held.add(wanted)
    return held
