"""BM25Index: scores equal to rank_bm25's, a never-negative default, and a pickle-free format."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from rank_bm25 import BM25L, BM25Okapi, BM25Plus

from footnote.errors import ConfigError, IndexCorrupt
from footnote.retrieval.embedded import bm25
from footnote.retrieval.embedded.bm25 import BM25Index

REFERENCE = {"okapi": BM25Okapi, "bm25l": BM25L, "bm25plus": BM25Plus}

# Four paragraphs: "embassy" stands in exactly half of them, so Okapi's idf for it is 0.
FOUR_PARAGRAPHS = [
    ["protesters", "stormed", "the", "embassy", "compound", "in", "baghdad"],
    ["the", "embassy", "said", "staff", "were", "safe"],
    ["militia", "fighters", "were", "killed", "in", "strikes", "on", "sunday"],
    ["iran", "denied", "any", "role", "in", "the", "protests"],
]

# Every word but "tehran" in at least three of four paragraphs: Okapi's average idf is
# negative, so its floor is negative too.
COMMON_WORDS = [
    ["us", "embassy", "iraq", "protest"],
    ["us", "embassy", "iraq", "protest", "tehran"],
    ["us", "embassy", "iraq"],
    ["us", "iraq", "protest"],
]

HAND_MADE = {
    "four paragraphs": FOUR_PARAGRAPHS,
    "common words": COMMON_WORDS,
    "with empty documents": [[], ["a", "b", "a"], [], ["b", "c"], ["c", "c", "c", "d"]],
    "one document": [["only", "one", "document", "one"]],
}
QUERIES = [
    ["embassy"],
    ["embassy", "embassy", "militia"],  # duplicate tokens count twice, as in rank_bm25
    ["unknown", "words", "only"],
    ["embassy", "nowhere", "iran", "us", "a", "c", "c", "tehran"],
    [],
]


def _scores(
    variant: str, corpus: list[list[str]], query: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Our scores and rank_bm25's for one variant, corpus and query."""
    ours = BM25Index.build(corpus, variant=variant).get_scores(query)
    theirs = REFERENCE[variant](corpus).get_scores(query)
    return ours, theirs


# -- parity with rank_bm25 ----------------------------------------------------------------


@pytest.mark.parametrize("variant", sorted(REFERENCE))
@pytest.mark.parametrize("corpus_name", sorted(HAND_MADE))
@pytest.mark.parametrize("query", QUERIES, ids=lambda q: " ".join(q) or "empty")
def test_scores_equal_rank_bm25(variant: str, corpus_name: str, query: list[str]) -> None:
    """get_scores equals rank_bm25's get_scores to the last bit, for every variant."""
    ours, theirs = _scores(variant, HAND_MADE[corpus_name], query)
    assert ours.shape == theirs.shape
    np.testing.assert_array_equal(ours, theirs)


def test_okapi_reproduces_the_zero_idf_of_a_half_term() -> None:
    """Okapi, like rank_bm25, scores a term in exactly half the documents 0 everywhere."""
    ours, theirs = _scores("okapi", FOUR_PARAGRAPHS, ["embassy"])
    np.testing.assert_array_equal(ours, np.zeros(4))
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("variant", sorted(REFERENCE))
def test_parameters_are_passed_through(variant: str) -> None:
    """Non-default k1, b and epsilon/delta score as rank_bm25 with the same parameters."""
    extra = {"epsilon": 0.5} if variant == "okapi" else {"delta": 0.7}
    query = ["us", "tehran", "protest"]
    ours = BM25Index.build(COMMON_WORDS, variant=variant, k1=1.2, b=0.3, **extra).get_scores(query)
    theirs = REFERENCE[variant](COMMON_WORDS, k1=1.2, b=0.3, **extra).get_scores(query)
    np.testing.assert_array_equal(ours, theirs)


TOKENS = st.sampled_from(list("abcdefgh"))
CORPORA = st.lists(st.lists(TOKENS, max_size=12), min_size=1, max_size=60)
QUERY_TOKENS = st.lists(st.sampled_from([*"abcdefgh", "zzz"]), max_size=6)


@settings(max_examples=60, deadline=None)
@given(corpus=CORPORA, query=QUERY_TOKENS, variant=st.sampled_from(sorted(REFERENCE)))
def test_scores_equal_rank_bm25_on_generated_corpora(
    corpus: list[list[str]], query: list[str], variant: str
) -> None:
    """On random corpora (with empty documents) every variant matches rank_bm25 exactly."""
    assume(any(corpus))  # rank_bm25 divides by zero when no document has a token
    ours, theirs = _scores(variant, corpus, query)
    np.testing.assert_array_equal(ours, theirs)


# -- top_k ----------------------------------------------------------------------------------


def _check_top_k(index: BM25Index, corpus: list[list[str]], query: list[str], k: int) -> None:
    """top_k gives the k best matching documents by get_scores, best first."""
    docs, scores = index.top_k(query, k)
    full = index.get_scores(query)
    matching = [i for i, tokens in enumerate(corpus) if set(tokens) & set(query)]
    expected = sorted((full[i] for i in matching), reverse=True)[:k]
    assert len(docs) == len(scores) == len(expected)
    assert len(set(docs.tolist())) == len(docs)
    assert all(i in matching for i in docs.tolist())
    np.testing.assert_array_equal(scores, full[docs])  # each score is its get_scores value
    assert sorted(scores.tolist(), reverse=True) == scores.tolist()  # best first
    assert scores.tolist() == expected  # the same scores as argsort of get_scores would pick


@pytest.mark.parametrize("variant", ["lucene", "okapi", "bm25l", "bm25plus"])
@pytest.mark.parametrize("k", [1, 2, 3, 10])
def test_top_k_agrees_with_get_scores(variant: str, k: int) -> None:
    """top_k returns the best documents by get_scores, with the same scores."""
    corpus = HAND_MADE["with empty documents"] + COMMON_WORDS + FOUR_PARAGRAPHS
    index = BM25Index.build(corpus, variant=variant)
    for query in QUERIES:
        _check_top_k(index, corpus, query, k)


def test_top_k_matches_argsort_when_scores_are_distinct() -> None:
    """With distinct scores, top_k's order is exactly argsort(get_scores) descending."""
    corpus = [["a"] * n + ["b"] * (10 - n) for n in range(1, 10)]
    index = BM25Index.build(corpus)
    full = index.get_scores(["a"])
    assert len(set(full.tolist())) == len(full)
    docs, scores = index.top_k(["a"], 5)
    assert docs.tolist() == np.argsort(full)[::-1][:5].tolist()
    np.testing.assert_array_equal(scores, np.sort(full)[::-1][:5])


def _route(monkeypatch: pytest.MonkeyPatch, compiled: bool) -> None:
    """Send top_k through the numba kernel, or keep it on the numpy path."""
    from footnote.retrieval.embedded import kernel

    if compiled and kernel.load() is None:
        pytest.skip("numba is not installed, so the compiled kernel is not used")
    monkeypatch.setattr(bm25, "KERNEL_MIN_DOCUMENTS", 0 if compiled else 10**12)


@pytest.fixture(params=["numpy", "compiled"])
def top_k_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each of top_k's two paths in turn."""
    _route(monkeypatch, compiled=request.param == "compiled")
    return str(request.param)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    corpus=CORPORA,
    query=QUERY_TOKENS,
    variant=st.sampled_from(["lucene", "okapi", "bm25l", "bm25plus"]),
    k=st.integers(1, 70),
)
def test_top_k_agrees_with_get_scores_on_generated_corpora(
    top_k_path: str, corpus: list[list[str]], query: list[str], variant: str, k: int
) -> None:
    """On random corpora top_k's scores are the k best get_scores of matching documents."""
    _check_top_k(BM25Index.build(corpus, variant=variant), corpus, query, k)


def test_top_k_of_zero_or_no_match_is_empty() -> None:
    """k=0, an empty query and a query of unknown words all give no results."""
    index = BM25Index.build(FOUR_PARAGRAPHS)
    for query, k in [(["embassy"], 0), ([], 3), (["nowhere"], 3)]:
        docs, scores = index.top_k(query, k)
        assert len(docs) == 0
        assert len(scores) == 0


# -- the lucene default -----------------------------------------------------------------------


def test_lucene_is_the_default() -> None:
    """BM25Index.build uses the lucene variant unless told otherwise."""
    assert BM25Index.build(FOUR_PARAGRAPHS).params.variant == "lucene"


@pytest.mark.parametrize("corpus", [FOUR_PARAGRAPHS, COMMON_WORDS, [["x"]] * 5])
def test_lucene_idf_is_never_negative(corpus: list[list[str]]) -> None:
    """Lucene's idf is positive even for a term in every document."""
    index = BM25Index.build(corpus)
    for term in {t for doc in corpus for t in doc}:
        assert index.token_idf(term) > 0


def test_lucene_gives_the_half_term_a_positive_score() -> None:
    """Where rank_bm25 scores all four paragraphs 0, lucene scores the matching ones > 0."""
    assert not BM25Okapi(FOUR_PARAGRAPHS).get_scores(["embassy"]).any()
    scores = BM25Index.build(FOUR_PARAGRAPHS).get_scores(["embassy"])
    assert scores[0] > 0
    assert scores[1] > 0
    assert scores[2] == scores[3] == 0
    docs, _ = BM25Index.build(FOUR_PARAGRAPHS).top_k(["embassy"], 3)
    assert sorted(docs.tolist()) == [0, 1]


def test_lucene_scores_common_words_positively() -> None:
    """Where Okapi's floor makes common words score below zero, lucene scores them above."""
    assert (BM25Okapi(COMMON_WORDS).get_scores(["us"]) < 0).all()
    assert (BM25Index.build(COMMON_WORDS).get_scores(["us"]) > 0).all()


@settings(max_examples=60, deadline=None)
@given(corpus=CORPORA, query=QUERY_TOKENS)
def test_lucene_scores_only_matching_documents(corpus: list[list[str]], query: list[str]) -> None:
    """A document without any query term scores 0 and is never returned; one with scores > 0."""
    index = BM25Index.build(corpus)
    scores = index.get_scores(query)
    for i, tokens in enumerate(corpus):
        if set(tokens) & set(query):
            assert scores[i] > 0
        else:
            assert scores[i] == 0
    docs, _ = index.top_k(query, len(corpus))
    assert all(set(corpus[i]) & set(query) for i in docs.tolist())


# -- input checks ---------------------------------------------------------------------------


def test_string_query_is_a_type_error() -> None:
    """A query given as a string (not split) raises TypeError saying to split it."""
    index = BM25Index.build(FOUR_PARAGRAPHS)
    with pytest.raises(TypeError, match="not a string"):
        index.get_scores("embassy")
    with pytest.raises(TypeError, match="not a string"):
        index.top_k("embassy", 3)


def test_string_documents_are_a_type_error() -> None:
    """Documents given as strings raise TypeError instead of indexing letters."""
    with pytest.raises(TypeError, match="not a string"):
        BM25Index.build(["the embassy", "the militia"])


def test_empty_corpus_works() -> None:
    """An index of no documents has length 0 and answers every query with nothing."""
    index = BM25Index.build([])
    assert len(index) == 0
    assert index.get_scores(["embassy"]).shape == (0,)
    docs, scores = index.top_k(["embassy"], 3)
    assert len(docs) == len(scores) == 0


def test_unknown_variant_is_a_config_error() -> None:
    """An unknown variant raises ConfigError listing the valid ones."""
    with pytest.raises(ConfigError, match="lucene"):
        BM25Index.build(FOUR_PARAGRAPHS, variant="bm42")


@pytest.mark.parametrize("b", [-0.1, 1.5, float("nan")])
def test_bad_b_is_a_config_error(b: float) -> None:
    """b outside [0, 1] raises ConfigError naming b."""
    with pytest.raises(ConfigError, match="b must be between 0 and 1"):
        BM25Index.build(FOUR_PARAGRAPHS, b=b)


@pytest.mark.parametrize("k1", [-1.0, float("inf"), float("nan")])
def test_bad_k1_is_a_config_error(k1: float) -> None:
    """A negative or non-finite k1 raises ConfigError naming k1."""
    with pytest.raises(ConfigError, match="k1"):
        BM25Index.build(FOUR_PARAGRAPHS, k1=k1)


# -- save and load ----------------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["lucene", "okapi", "bm25l", "bm25plus"])
def test_save_load_roundtrip_scores_identically(tmp_path: Path, variant: str) -> None:
    """A saved and memory-mapped index scores and ranks exactly as the one built."""
    corpus = FOUR_PARAGRAPHS + COMMON_WORDS + [[]]
    built = BM25Index.build(corpus, variant=variant, k1=1.1, b=0.6)
    built.save(tmp_path / "index")
    loaded = BM25Index.load(tmp_path / "index", mmap=True)
    assert len(loaded) == len(built)
    assert loaded.params == built.params
    for query in QUERIES:
        np.testing.assert_array_equal(loaded.get_scores(query), built.get_scores(query))
        for got, want in zip(loaded.top_k(query, 4), built.top_k(query, 4), strict=True):
            np.testing.assert_array_equal(got, want)


def test_loaded_arrays_are_memory_mapped(tmp_path: Path) -> None:
    """With mmap=True every array of a loaded index is an np.memmap; with False none is."""
    BM25Index.build(FOUR_PARAGRAPHS).save(tmp_path)
    mapped = BM25Index.load(tmp_path, mmap=True)
    for name in ("indptr", "docs", "tf", "weights", "doc_len", "idf"):
        assert isinstance(getattr(mapped, name).base, np.memmap), name
    in_memory = BM25Index.load(tmp_path, mmap=False)
    assert mapped.memory_mapped and not in_memory.memory_mapped
    assert not isinstance(in_memory.docs.base, np.memmap)


def test_saved_files_use_no_pickle(tmp_path: Path) -> None:
    """Every saved .npy loads with allow_pickle=False, and metadata is plain JSON."""
    BM25Index.build(FOUR_PARAGRAPHS).save(tmp_path)
    arrays = sorted(tmp_path.glob("*.npy"))
    assert len(arrays) >= 6
    for path in arrays:
        assert np.load(path, allow_pickle=False).dtype != object
    for path in tmp_path.iterdir():
        assert path.suffix in (".npy", ".json"), path.name
        if path.suffix == ".json":
            json.loads(path.read_text(encoding="utf-8"))


def test_empty_index_roundtrips(tmp_path: Path) -> None:
    """An empty index saves and loads back empty."""
    BM25Index.build([]).save(tmp_path)
    loaded = BM25Index.load(tmp_path)
    assert len(loaded) == 0
    assert len(loaded.top_k(["a"], 3)[0]) == 0


def test_load_detects_a_truncated_array(tmp_path: Path) -> None:
    """A truncated .npy raises IndexCorrupt naming the file, even without verify."""
    BM25Index.build(FOUR_PARAGRAPHS).save(tmp_path)
    target = tmp_path / "weights.npy"
    target.write_bytes(target.read_bytes()[:-4])
    with pytest.raises(IndexCorrupt, match=r"weights\.npy"):
        BM25Index.load(tmp_path)


def test_load_detects_bounds_laid_out_another_way(tmp_path: Path) -> None:
    """Floor weights of the right size but another shape (an older layout) are not served."""
    BM25Index.build(FOUR_PARAGRAPHS).save(tmp_path)
    target = tmp_path / "floor_weights.npy"
    np.save(target, np.ascontiguousarray(np.load(target).T), allow_pickle=False)
    with pytest.raises(IndexCorrupt, match="inconsistent"):
        BM25Index.load(tmp_path)


def test_load_with_verify_detects_a_tampered_byte(tmp_path: Path) -> None:
    """A changed byte (same size) loads without verify but raises IndexCorrupt with verify."""
    BM25Index.build(FOUR_PARAGRAPHS).save(tmp_path)
    target = tmp_path / "tf.npy"
    data = bytearray(target.read_bytes())
    data[-1] ^= 0xFF
    target.write_bytes(bytes(data))
    BM25Index.load(tmp_path)  # sizes still match
    with pytest.raises(IndexCorrupt, match=r"tf\.npy.*checksum"):
        BM25Index.load(tmp_path, verify=True)


def test_load_of_a_missing_index_is_index_corrupt(tmp_path: Path) -> None:
    """Loading a folder with no index raises IndexCorrupt saying to rebuild."""
    with pytest.raises(IndexCorrupt, match="rebuild"):
        BM25Index.load(tmp_path / "nothing-here")


def test_load_rejects_another_format_version(tmp_path: Path) -> None:
    """A manifest of another format version raises IndexCorrupt."""
    BM25Index.build(FOUR_PARAGRAPHS).save(tmp_path)
    manifest_path = tmp_path / "bm25.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["format_version"] = 999
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(IndexCorrupt, match="another format"):
        BM25Index.load(tmp_path)


@pytest.mark.parametrize("manifest", ["[1, 2]", "42", '{"files": [1]}', '"text"'])
def test_load_of_a_manifest_that_is_not_an_index_is_index_corrupt(
    tmp_path: Path, manifest: str
) -> None:
    """Valid JSON of the wrong shape in the manifest is damage, not a crash."""
    BM25Index.build(FOUR_PARAGRAPHS).save(tmp_path)
    (tmp_path / "bm25.json").write_text(manifest, encoding="utf-8")
    with pytest.raises(IndexCorrupt, match="rebuild"):
        BM25Index.load(tmp_path)


def test_doc_freq_counts_documents() -> None:
    """doc_freq and doc_freqs count documents holding a token, not its occurrences."""
    index = BM25Index.build([["a", "a", "b"], ["a"], ["c"]])
    assert Counter({t: index.doc_freq(t) for t in "abcz"}) == Counter(a=2, b=1, c=1, z=0)
    assert index.doc_freqs(["z", "c", "a", "b", "a"]) == [0, 1, 2, 1, 2]
    assert index.doc_freqs([]) == []


@pytest.fixture
def compiled(monkeypatch: pytest.MonkeyPatch) -> str:
    """Route top_k through the numba kernel (skipped, with a reason, without numba)."""
    _route(monkeypatch, compiled=True)
    return "compiled"


@pytest.mark.parametrize(
    ("variant", "epsilon", "positive"),
    # okapi with epsilon 0: the words in most documents weigh nothing
    [("lucene", 0.25, True), ("okapi", 0.25, True), ("okapi", 0.0, False)],
)
@pytest.mark.parametrize("weighted", [False, True])
def test_compiled_top_k_equals_the_numpy_path(
    compiled: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    variant: str,
    epsilon: float,
    positive: bool,
    weighted: bool,
) -> None:
    """On thousands of documents both paths return the same ranking and scores.

    With every weight above zero MaxScore answers, over several of its windows; otherwise
    short queries merge the lists and longer ones add into a buffer.
    """
    from footnote.retrieval.embedded import _compiled, kernel

    rng = np.random.default_rng(7)
    words = [f"w{i}" for i in range(300)]
    weights = 1 / np.arange(1, 301) ** 1.1
    corpus = [
        list(rng.choice(words, size=int(rng.integers(5, 60)), p=weights / weights.sum()))
        for _ in range(3 * _compiled.WINDOW + 100)
    ]
    BM25Index.build(corpus, variant=variant, epsilon=epsilon).save(tmp_path)
    index = BM25Index.load(tmp_path)
    assert index.positive is positive
    # Up to MERGE_MAX_TERMS terms the lists are merged; longer queries use a buffer kernel.
    queries = [list(rng.choice(words, size=int(rng.integers(1, 20)))) for _ in range(300)]
    assert {len(q) <= bm25.MERGE_MAX_TERMS for q in queries} == {True, False}
    scales = [
        [float(x) for x in rng.choice([0.0, 0.5, 1.0, 2.0], size=len(q))] if weighted else None
        for q in queries
    ]
    used: Counter[str] = Counter()
    loaded = kernel.load()
    assert loaded is not None

    def counted(name: str, function: kernel.TopK) -> kernel.TopK:
        def run(*args: object) -> tuple[np.ndarray, np.ndarray]:
            used[name] += 1
            return function(*args)

        return run

    wrapped = kernel.Kernels(*(counted(n, f) for n, f in loaded._asdict().items()))
    monkeypatch.setattr(kernel, "load", lambda: wrapped)
    fast = [index.top_k(q, 10, w) for q, w in zip(queries, scales, strict=True)]
    # MaxScore answered, or (weights zero or below) both the merge and the buffer did.
    kinds = {"top_k_maxscore"} if positive else {"top_k_merged", "top_k"}
    assert kinds <= set(used), used
    monkeypatch.setattr(bm25, "KERNEL_MIN_DOCUMENTS", 10**12)
    slow = [index.top_k(q, 10, w) for q, w in zip(queries, scales, strict=True)]
    for (docs_a, scores_a), (docs_b, scores_b) in zip(fast, slow, strict=True):
        np.testing.assert_array_equal(scores_a, scores_b)
        np.testing.assert_array_equal(docs_a, docs_b)


def test_floor_weights_are_each_terms_kth_largest_weight() -> None:
    """floor_weights holds each term's 10th and 20th largest weight, 0 for a shorter list."""
    rng = np.random.default_rng(5)
    corpus = [list(rng.choice(["a", "b", "c"], size=int(rng.integers(1, 8)))) for _ in range(60)]
    index = BM25Index.build([*corpus, ["d"], ["d", "d"]])
    for term in "abcd":
        t = index.term_ids[term]
        weights = np.sort(index.weights[index.indptr[t] : index.indptr[t + 1]])[::-1]
        expected = [float(weights[r - 1]) if len(weights) >= r else 0.0 for r in bm25.FLOOR_RANKS]
        assert index.floor_weights[:, t].tolist() == expected


def test_maxscore_skips_common_words_and_ranks_exactly(
    compiled: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once a common word cannot lift a document into the best k, MaxScore stops scoring the
    documents only it holds, and the ranking and scores stay exactly those of the numpy path."""
    from footnote.retrieval.embedded import _compiled

    rng = np.random.default_rng(11)
    rare = [f"r{i}" for i in range(40)]
    corpus = [
        ["common", "often"] * int(rng.integers(1, 4)) + list(rng.choice(rare, size=3))
        for _ in range(2 * _compiled.WINDOW + 500)
    ]
    index = BM25Index.build(corpus)
    assert index.positive
    scored: list[int] = []
    keep = _compiled._keep.py_func

    def counted(*args: object) -> int:
        scored.append(1)
        return int(keep(*args))

    # The kernel's Python source, run as Python, to count the documents it scores in full.
    monkeypatch.setattr(_compiled, "_keep", counted)
    monkeypatch.setattr(_compiled, "_first_at_least", _compiled._first_at_least.py_func)
    query = ["common", "r1", "often", "r2"]
    terms = np.array([index.term_ids[t] for t in query], np.int64)
    scale = np.array([1.0, 1.0, 0.5, 2.0])
    monkeypatch.setattr(bm25, "KERNEL_MIN_DOCUMENTS", 10**12)
    expected = index.top_k(query, 5, list(scale))
    floors = index._floors(5)
    floor = float((floors[terms] * scale).max())
    assert 0 < floor <= expected[1][-1]  # a score the 5th best reaches
    # From nothing (the k-th score climbs as documents come) and from the terms' floor.
    for known in (floors[:0], floors):
        scored.clear()
        with np.errstate(over="ignore"):  # the lowest-bit product wraps, as in compiled code
            docs, scores = _compiled.top_k_maxscore.py_func(
                index.indptr, index.docs, index.weights, terms, scale, index.max_weights, known, 5
            )
        np.testing.assert_array_equal(docs, expected[0])
        np.testing.assert_array_equal(scores, expected[1])
        # Every document holds "common"; a walk of its list would score them all.
        assert 0 < len(scored) < len(corpus) / 20


def test_an_index_loaded_without_compiled_never_loads_the_kernels(
    compiled: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Loaded with compiled=False, a large index answers through numpy, with the same
    results, and neither a query nor warm_up loads the kernels."""
    from footnote.retrieval.embedded import kernel

    rng = np.random.default_rng(3)
    corpus = [list(rng.choice(list("abcdefgh"), size=int(rng.integers(1, 9)))) for _ in range(500)]
    BM25Index.build(corpus).save(tmp_path)
    queries = [list(rng.choice(list("abcdefghz"), size=int(rng.integers(1, 5)))) for _ in range(50)]
    fast = [BM25Index.load(tmp_path).top_k(q, 5) for q in queries]
    monkeypatch.setattr(kernel, "load", lambda: pytest.fail("the kernels were loaded"))
    index = BM25Index.load(tmp_path, compiled=False)
    index.warm_up()
    for query, (docs, scores) in zip(queries, fast, strict=True):
        found, found_scores = index.top_k(query, 5)
        np.testing.assert_array_equal(found, docs)
        np.testing.assert_array_equal(found_scores, scores)


def test_warm_up_leaves_the_results_unchanged(compiled: str) -> None:
    """Warming up runs a query ahead of time and leaves no score behind in the buffers."""
    corpus = [["a", "b"], ["b", "c"], ["c"], ["a", "a", "d"]]
    index = BM25Index.build(corpus)
    before = index.top_k(["a", "c"], 3)
    index.warm_up()
    after = index.top_k(["a", "c"], 3)
    np.testing.assert_array_equal(before[0], after[0])
    np.testing.assert_array_equal(before[1], after[1])
