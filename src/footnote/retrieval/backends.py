"""The backend a configuration names: opened, built, and watched for a newer build."""

from __future__ import annotations

from collections.abc import Sequence

from footnote.config import EngineConfig
from footnote.retrieval.base import Retriever
from footnote.retrieval.embedded import build as embedded_build
from footnote.retrieval.embedded import updates as embedded_updates
from footnote.retrieval.embedded.build import BuildReport
from footnote.retrieval.embedded.index import current_generation_safe, state_name
from footnote.retrieval.embedded.index_guard import check_corpus
from footnote.retrieval.embedded.retriever import EmbeddedRetriever


def _opensearch():
    from footnote.retrieval.opensearch import backend

    return backend


def open_or_build(
    config: EngineConfig, rebuild: bool = False
) -> tuple[Retriever, BuildReport | None]:
    """The index for this config, built first when missing, stale or damaged, or when asked."""
    if config.backend == "opensearch":
        return _opensearch().open_or_build(config, rebuild)
    index, report = embedded_build.open_or_build(config, rebuild)
    return EmbeddedRetriever(index), report


def build(config: EngineConfig, built_by: str = "", rebuild: bool = False) -> BuildReport:
    """Build the index from the corpus and make it the one served, when complete."""
    if config.backend == "opensearch":
        return _opensearch().build_index(config, built_by=built_by, rebuild=rebuild)
    return embedded_build.build(config, built_by=built_by, rebuild=rebuild)


def update(
    config: EngineConfig,
    changed: Sequence[str],
    built_by: str = "",
    serving: Retriever | None = None,
) -> BuildReport:
    """Bring the index in line with the corpus files named in `changed` (relative paths; a
    missing file was removed), leaving every other file's passages as they are.

    The embedded index writes a delta beside its base (answerable in a second, scores as a
    full build's); ``serving``, the retriever open in this process, lends it its base.
    """
    if config.backend == "opensearch":
        return _opensearch().build_index(config, built_by=built_by)
    index = serving.index if isinstance(serving, EmbeddedRetriever) else None
    return embedded_updates.update(config, list(changed), built_by=built_by, serving=index)


def merge(config: EngineConfig, built_by: str = "") -> BuildReport:
    """Fold the updates since the last full build into a new base (embedded; OpenSearch
    merges its own segments, so a full build there)."""
    if config.backend == "opensearch":
        return _opensearch().build_index(config, built_by=built_by)
    return embedded_updates.merge(config, built_by=built_by)


def merge_due(config: EngineConfig) -> bool:
    """Whether the updates since the last full build have grown enough to merge them."""
    return config.backend != "opensearch" and embedded_updates.merge_due(config.index_path)


def reopen_live(config: EngineConfig, serving: Retriever) -> Retriever:
    """The index served now, opened taking what it can from ``serving`` (the embedded base
    generation, when it is still the live one)."""
    if config.backend == "opensearch" or not isinstance(serving, EmbeddedRetriever):
        return open_live(config)
    retriever = EmbeddedRetriever(embedded_build.open_index(config, reuse=serving.index))
    retriever.warm_up()
    return retriever


def open_live(config: EngineConfig) -> Retriever:
    """The index served now, opened as configured and warmed up."""
    if config.backend == "opensearch":
        return _opensearch().open_live(config)
    retriever = EmbeddedRetriever(embedded_build.open_index(config))
    retriever.warm_up()
    return retriever


def published_other(config: EngineConfig, serving: Retriever) -> bool:
    """Whether another build than the one `serving` was made live (by another process).

    An embedded index of another corpus folder published there is refused (ForeignIndex).
    """
    if config.backend == "opensearch":
        return _opensearch().published_other(config, serving)
    root = config.index_path
    live = current_generation_safe(root)
    if live is None or not isinstance(serving, EmbeddedRetriever):
        return False
    names = state_name(root).split()  # the live base, and its delta if any
    if names and names[-1] == serving.index.directory.name:
        return False
    check_corpus(root, live, config.corpus_dir)
    return True
