"""Corpora: several corpora's engines in one process, by name, opened on demand (once),
closed when idle (never the default, never one in use), sharing one analyzer."""

from __future__ import annotations

import threading
from pathlib import Path
from unittest import mock

import pytest
from conftest import write_articles

from footnote.config import EngineConfig, OpenSearchSettings
from footnote.corpora import DEFAULT, Corpora, mapping_from
from footnote.engine import Engine
from footnote.errors import ConfigError, CorpusError


@pytest.fixture
def corpora(tmp_path: Path) -> Corpora:
    """A default corpus, a server's own (111) and a shared one (news) mapped to server 222."""
    write_articles(tmp_path / "corpus", {"pumps": "The pump must be primed with water."})
    root = tmp_path / "corpora"
    root.mkdir()
    write_articles(root / "111", {"herons": "The grey heron nests in tall reeds."})
    write_articles(root / "news", {"swifts": "Swifts sleep on the wing."})
    config = EngineConfig(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")
    return Corpora(config, root=root, shared={222: "news"}, idle_seconds=60)


def test_each_server_finds_its_corpus(corpora: Corpora) -> None:
    """Its own folder first, then its mapping, then the default; DMs the default."""
    assert corpora.name_for(111) == "111"
    assert corpora.name_for(222) == "news"
    assert corpora.name_for(333) == DEFAULT and corpora.name_for(None) == DEFAULT
    assert corpora.root is not None
    (corpora.root / "222").mkdir()
    assert corpora.name_for(222) == "222"


def test_each_corpus_answers_from_its_own_folder_and_index(corpora: Corpora) -> None:
    """Questions to each corpus get its own passages; indexes sit under the root."""
    answers = {n: corpora.engine(n).ask("where does the heron nest?") for n in ("111", "news")}
    assert answers["111"].answered and "heron" in answers["111"].passages[0].text
    assert not any("heron" in m.text for m in answers["news"].passages)
    assert corpora.root is not None
    assert corpora.config_for("111").index_path == corpora.root / ".footnote-index" / "111"
    assert corpora.engine("111").analyzer is corpora.engine(DEFAULT).analyzer


def test_concurrent_first_questions_open_a_corpus_once(corpora: Corpora) -> None:
    """Eight threads asking at once open the engine once and all get it."""
    real_open = Engine.open
    with mock.patch.object(Engine, "open", side_effect=real_open) as opened:
        got: list[Engine] = []
        threads = [threading.Thread(target=lambda: got.append(corpora.engine("news")))
                   for _ in range(8)]  # fmt: skip
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert opened.call_count == 1 and len({id(e) for e in got}) == 1


def test_idle_corpora_close_but_never_the_default_nor_one_in_use(corpora: Corpora) -> None:
    """Past the idle time the unused corpus closes; the default and one in use stay open;
    a closed one opens again on the next question."""
    corpora.engine(DEFAULT)
    corpora.engine("news")
    with corpora.using("111"):
        later = corpora._corpora["111"].last_used + 3600  # an hour on, by the monotonic clock
        assert corpora.close_idle(now=later) == ["news"]
    assert set(corpora.opened()) == {DEFAULT, "111"}
    assert corpora.engine("news").ask("do swifts sleep on the wing?").answered


def test_a_corpus_being_written_is_not_closed(corpora: Corpora) -> None:
    """A corpus whose lock is held (an add, a rebuild) stays open however idle."""
    corpora.engine("news")
    with corpora.writing("news"):
        assert corpora.close_idle(now=corpora._corpora["news"].last_used + 3600) == []


def test_a_servers_own_corpus_is_created_empty_and_removed_if_left_empty(
    corpora: Corpora,
) -> None:
    """create_own makes the folder (the server then answers from it); with no article it
    says so in one sentence, and discard_own_if_empty puts the server back on its mapping."""
    assert corpora.create_own(222) == "222" and corpora.name_for(222) == "222"
    with pytest.raises(CorpusError, match="The corpus 222 has no article yet"):
        corpora.engine("222")
    assert corpora.discard_own_if_empty(222) and corpora.name_for(222) == "news"


def test_with_opensearch_each_corpus_has_its_own_index_name(tmp_path: Path) -> None:
    """The cluster's index name, then the corpus's: never two corpora in one index."""
    cluster = OpenSearchSettings(url="http://127.0.0.1:9200", index="footnote")
    config = EngineConfig(corpus_dir=tmp_path / "c", backend="opensearch", opensearch=cluster)
    corpora = Corpora(config, root=tmp_path / "corpora")
    names = {n: corpora.config_for(n).opensearch.index for n in ("111", "news")}  # type: ignore[union-attr]
    assert names == {"111": "footnote-111", "news": "footnote-news"}
    assert corpora.config_for(DEFAULT).opensearch.index == "footnote"  # type: ignore[union-attr]


def test_a_mapping_is_read_and_a_bad_one_is_one_sentence() -> None:
    """ "<guild id>=<name>,..." becomes a dict; a bad item or name is one ConfigError."""
    assert mapping_from(" 1=news, 2=docs-2 ,") == {1: "news", 2: "docs-2"}
    for bad in ("news", "x=news", "1=News", "1=default", "1=" + "a" * 20):
        with pytest.raises(ConfigError):
            mapping_from(bad)
    with pytest.raises(ConfigError, match="FOOTNOTE_CORPORA_DIR"):
        Corpora(EngineConfig(), shared={1: "news"})
