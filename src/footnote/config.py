"""EngineConfig: every setting of the engine in one plain object, built by each front end."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from footnote.analysis.analyzer import AnalyzerSettings
from footnote.errors import ConfigError
from footnote.ingest.corpus import DEFAULT_MAX_FILE_BYTES
from footnote.ingest.links import is_absolute
from footnote.ingest.passages import DEFAULT_TOKEN_BUDGET
from footnote.retrieval.base import Fields
from footnote.retrieval.embedded.bm25 import BM25Params

DEFAULT_CORPUS_DIR = Path("corpus")
INDEX_FOLDER = ".footnote-index"
# What OpenSearch accepts as an index name, less the names it reserves.
INDEX_NAME = re.compile(r"[a-z][a-z0-9_-]{0,200}")


ON_WORDS = ("1", "true", "yes", "on")
OFF_WORDS = ("", "0", "false", "no", "off")


def switch(name: str, text: str) -> bool:
    """An on/off setting from its text: 1, true, yes or on; 0, false, no, off or blank."""
    word = text.strip().casefold()
    if word in ON_WORDS or word in OFF_WORDS:
        return word in ON_WORDS
    raise ConfigError(f"{name} must be on or off (1 or 0), not {text!r}.")


def number_between(text: str, low: float, high: float) -> float | None:
    """The number a setting's text holds when it lies from low to high, else None."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if low <= value <= high else None


def confidence(name: str, text: str) -> float | None:
    """A confidence threshold from its text: a number from 0 to 1, or None when blank."""
    if not text.strip():
        return None
    value = number_between(text, 0, 1)
    if value is None:
        raise ConfigError(
            f"{name} must be a confidence from 0 to 1 (higher answers less often), "
            f"not {text!r}; e.g. 0.5."
        )
    return value


def default_index_dir(corpus_dir: Path) -> Path:
    """The index folder beside the corpus: <parent>/.footnote-index/<corpus name>."""
    absolute = corpus_dir.absolute()
    return corpus_dir.parent / INDEX_FOLDER / (absolute.name or "corpus")


BACKENDS = ("embedded", "opensearch")
# The variables naming the backend and the cluster; the command line's options (the same
# names, lower-case, as --backend and --opensearch-*) take their place when given.
SEARCH_VARIABLES = (
    "FOOTNOTE_BACKEND",
    "FOOTNOTE_OPENSEARCH_URL",
    "FOOTNOTE_OPENSEARCH_INDEX",
    "FOOTNOTE_OPENSEARCH_USER",
    "FOOTNOTE_OPENSEARCH_PASSWORD",
    "FOOTNOTE_OPENSEARCH_CA_CERTS",
    "FOOTNOTE_OPENSEARCH_VERIFY_CERTS",
    "FOOTNOTE_OPENSEARCH_SHARDS",
    "FOOTNOTE_OPENSEARCH_REPLICAS",
)


def search_backend(values: Mapping[str, str]) -> tuple[str, OpenSearchSettings | None]:
    """The backend and the cluster's settings from SEARCH_VARIABLES' values (blank: unset).

    With a cluster address and no backend named, the backend is OpenSearch.
    """

    def get(name: str) -> str:
        return (values.get(name) or "").strip()

    url = get("FOOTNOTE_OPENSEARCH_URL")
    backend = get("FOOTNOTE_BACKEND").casefold() or ("opensearch" if url else "embedded")
    if backend not in BACKENDS:
        raise ConfigError(
            f"FOOTNOTE_BACKEND (--backend) must be one of {', '.join(BACKENDS)}, not {backend!r}."
        )
    if backend != "opensearch":
        return backend, None
    if not url:
        raise ConfigError(
            "The opensearch backend needs the cluster's address; set FOOTNOTE_OPENSEARCH_URL "
            "(--opensearch-url), e.g. https://search.example.org:9200"
        )
    counts = {}
    for name, low in (("SHARDS", 1), ("REPLICAS", 0)):
        text = get(f"FOOTNOTE_OPENSEARCH_{name}")
        if text and not (text.isdigit() and int(text) >= low):
            raise ConfigError(
                f"FOOTNOTE_OPENSEARCH_{name} must be a whole number of at least {low}, "
                f"not {text!r}."
            )
        counts[name] = int(text) if text else 1
    verify = get("FOOTNOTE_OPENSEARCH_VERIFY_CERTS")
    return backend, OpenSearchSettings(
        url=url,
        index=get("FOOTNOTE_OPENSEARCH_INDEX") or "footnote",
        username=get("FOOTNOTE_OPENSEARCH_USER") or None,
        password=get("FOOTNOTE_OPENSEARCH_PASSWORD") or None,
        ca_certs=Path(ca_certs) if (ca_certs := get("FOOTNOTE_OPENSEARCH_CA_CERTS")) else None,
        verify_certs=switch("FOOTNOTE_OPENSEARCH_VERIFY_CERTS", verify) if verify else True,
        shards=counts["SHARDS"],
        replicas=counts["REPLICAS"],
    )


@dataclass(frozen=True)
class OpenSearchSettings:
    """How to reach an OpenSearch cluster and which index (an alias) to serve from it."""

    url: str
    index: str = "footnote"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_certs: Path | None = None  # a CA bundle to check the cluster's certificate with
    verify_certs: bool = True
    timeout: float = 10.0  # seconds for one request, before trying another node
    shards: int = 1
    replicas: int = 1

    def __post_init__(self) -> None:
        urls = [u.strip() for u in self.url.split(",") if u.strip()]
        if not urls or not all(is_absolute(u) for u in urls):
            raise ConfigError(
                f"The OpenSearch address must start with http:// or https:// and name a host, "
                f"not {self.url!r}; e.g. --opensearch-url https://search.example.org:9200"
            )
        if not INDEX_NAME.fullmatch(self.index):
            raise ConfigError(
                f"The OpenSearch index name {self.index!r} is not usable; use lowercase "
                "letters, digits, - and _, starting with a letter, e.g. footnote-docs."
            )
        if self.shards < 1 or self.replicas < 0:
            raise ConfigError("OpenSearch needs at least one shard and zero or more replicas.")
        if not self.timeout > 0:
            raise ConfigError(f"The OpenSearch timeout must be positive, not {self.timeout}.")

    @property
    def urls(self) -> list[str]:
        """The nodes' addresses, in the order to try them."""
        return [u.strip().rstrip("/") for u in self.url.split(",") if u.strip()]


@dataclass(frozen=True)
class EngineConfig:
    """Where the corpus and index live and how passages are made, analysed and scored."""

    corpus_dir: Path = DEFAULT_CORPUS_DIR
    index_dir: Path | None = None
    token_budget: int = DEFAULT_TOKEN_BUDGET
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    analyzer: AnalyzerSettings = field(default_factory=AnalyzerSettings)
    # k1 and b chosen on Cranfield and the seed question sets together (docs/quality.md).
    bm25: BM25Params = field(default_factory=lambda: BM25Params.make("lucene", k1=1.5, b=0.4))
    heading_weight: float = 1.5
    heading_decay: float = 1.0
    title_weight: float = 0.6
    # Pseudo-relevance feedback (RM3) from the best passages of the best three documents:
    # off, as it costs right first answers on every question set where it acts, though it
    # raises Cranfield's document ranking (docs/quality.md, "Each rule, measured").
    feedback: bool = False
    # Question words no passage holds also search their WordNet relatives (docs/quality.md).
    related: bool = True
    results: int = 3
    # The confidence an answer needs to be shown as one (0 to 1); None: the decision
    # model's own threshold, chosen on the tuning halves of the question sets.
    answer_threshold: float | None = None
    # Index every paragraph, site furniture and paragraphs repeated across documents too.
    keep_boilerplate: bool = False
    # The docs site the corpus is published on: citations link each file's page (links.py).
    base_url: str | None = None
    # Copy the opened index into RAM: a long-running server keeps answering when the index
    # folder is deleted or overwritten under it (a truncated memory map would crash it).
    in_memory: bool = False
    # Search indexes of 20,000 passages and more with the numba-compiled kernels: loading
    # them takes about a second, then a question at 1M passages takes half as long. A
    # one-shot `footnote ask` answers sooner without them.
    compiled_queries: bool = True
    # Where passages are indexed and ranked: "embedded" (files beside the corpus) or
    # "opensearch" (a cluster, for archives past one machine: OpenSearchSettings).
    backend: str = "embedded"
    opensearch: OpenSearchSettings | None = None

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ConfigError(
                f"Unknown backend {self.backend!r}; use one of {', '.join(BACKENDS)}."
            )
        if self.backend == "opensearch" and self.opensearch is None:
            raise ConfigError(
                "The opensearch backend needs the cluster's address; pass --opensearch-url "
                "(FOOTNOTE_OPENSEARCH_URL), e.g. https://search.example.org:9200"
            )
        if self.token_budget < 16:
            raise ConfigError(
                f"The passage token budget must be at least 16, not {self.token_budget}."
            )
        if self.max_file_bytes <= 0:
            raise ConfigError("The maximum file size must be a positive number of bytes.")
        if self.base_url is not None and not is_absolute(self.base_url):
            raise ConfigError(
                f"The base URL must start with http:// or https:// and name a host, not "
                f"{self.base_url!r}; e.g. --base-url https://docs.example.org/"
            )
        if self.answer_threshold is not None and not 0 <= self.answer_threshold <= 1:
            raise ConfigError(
                f"The answer threshold must be a confidence between 0 and 1, not "
                f"{self.answer_threshold}; e.g. 0.5."
            )
        if not 1 <= self.results <= 50:
            raise ConfigError(
                f"The number of results must be between 1 and 50, not {self.results}."
            )

    @property
    def fields(self) -> Fields:
        """How a passage's fields weigh: section title and article title."""
        return Fields(self.heading_weight, self.heading_decay, self.title_weight)

    @property
    def index_path(self) -> Path:
        """The index folder, defaulting to one beside the corpus."""
        return self.index_dir if self.index_dir is not None else default_index_dir(self.corpus_dir)

    def reading_settings(self) -> dict[str, object]:
        """The settings that change which passages a corpus yields."""
        return {
            "token_budget": self.token_budget,
            "max_file_bytes": self.max_file_bytes,
            "analyzer": self.analyzer.fingerprint(),
            "bm25": [
                self.bm25.variant,
                self.bm25.k1,
                self.bm25.b,
                self.bm25.epsilon,
                self.bm25.delta,
            ],
            "heading": [self.heading_weight, self.heading_decay, self.title_weight],
            "keep_boilerplate": self.keep_boilerplate,
            "base_url": self.base_url,
        }
