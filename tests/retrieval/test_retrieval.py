"""Hybrid retrieval, film routing, grouping, follow-ups, and the BM25 index staying in step."""

from __future__ import annotations

import json
from pathlib import Path

from companion.archive.lexical import LexicalIndex
from companion.archive.store import ChromaStore
from companion.chat import ChatService
from companion.retrieval.hybrid import HybridRetriever
from companion.settings import Settings
from ingest.pipeline import run_ingest
from tests.conftest import ROOT, run_cli


def post(folder: Path, doc_id: str, body: str) -> Path:
    path = folder / f"{doc_id}.md"
    path.write_text(f"---\nid: {doc_id}\ntitle: {doc_id}\n---\n\n{body}\n")
    return path


def test_a_named_film_beats_a_review_that_only_mentions_it(chat: ChatService) -> None:
    passages = chat.retriever.retrieve("Where is Under the Skin set?", 5)
    assert passages[0].doc_id == "under-the-skin-2013"
    assert all(p.doc_id == "under-the-skin-2013" for p in passages[:3])


def test_film_titles_are_matched_whole_and_longest_first(chat: ChatService) -> None:
    films = chat.retriever.films
    assert films.named_in("Was Blade Runner 2049 better?") == ["Blade Runner 2049"]
    assert films.named_in("is blade runner worth it") == ["Blade Runner"]
    assert films.named_in("what did she say to her sister") == [], "'her' the pronoun is no film"
    assert films.named_in("Who voices Samantha in Her?") == ["Her"]
    assert films.named_in("Is Moonlight good?") == [], "no partial-word matches"


def test_a_one_word_title_that_ends_a_noun_phrase_is_that_noun(chat: ChatService) -> None:
    films = chat.retriever.films
    assert films.named_in("the film where a man on the moon discovers he is a clone") == []
    assert films.named_in("a story about the arrival of strange visitors") == []
    assert films.named_in("what did you think of moon?") == ["Moon"]
    assert films.named_in("who directed arrival") == ["Arrival"]
    assert films.named_in("did the blog like dune") == ["Dune"]
    assert films.named_in("Who voices GERTY in Moon?") == ["Moon"]


def test_several_films_share_the_slots(chat: ChatService) -> None:
    passages = chat.retriever.retrieve("Which films star Scarlett Johansson?", 6)
    assert len({p.doc_id for p in passages}) >= 3
    assert max(sum(p.doc_id == d for p in passages) for d in {p.doc_id for p in passages}) <= 3


def test_bm25_lifts_an_exact_rare_term_dense_search_misses(
    tmp_path: Path, settings: Settings, store: ChromaStore, embedder
) -> None:
    folder = tmp_path / "posts"
    folder.mkdir()
    post(folder, "target", "A lighthouse keeper catalogues every xylophage that washes ashore.")
    for i in range(6):
        post(
            folder, f"other-{i}", f"A dinner party {i} where friends argue about a comet and wood."
        )
    run_ingest([str(folder)], settings, store)
    dense_only = HybridRetriever(store, embedder, lexical=None)
    hybrid = HybridRetriever(store, embedder, LexicalIndex(settings.bm25_dir))
    assert hybrid.retrieve("xylophage", 3)[0].doc_id == "target"
    # The fused passage keeps its real cosine similarity as its score.
    dense_scores = {p.id: p.score for p in dense_only.retrieve("xylophage", 7)}
    top = hybrid.retrieve("xylophage", 3)[0]
    assert abs(dense_scores[top.id] - top.score) < 1e-4


def test_bm25_index_stays_in_step_with_the_store(
    tmp_path: Path, settings: Settings, store: ChromaStore
) -> None:
    folder = tmp_path / "posts"
    folder.mkdir()
    post(folder, "a", "The quokka sequence is the best thing in this film.")
    post(folder, "b", "A slow film about a lighthouse and grief.")
    lexical = LexicalIndex(settings.bm25_dir)

    def indexed_ids() -> set[str]:
        return set(json.loads((settings.bm25_dir / "ids.json").read_text()))

    run_ingest([str(folder)], settings, store)
    assert indexed_ids() == set(store.all_chunks()[0])
    assert [store.ids_for_post("a")[0]] == [cid for cid, _ in lexical.search("quokka", 5)]

    post(folder, "a", "The wombat sequence is the best thing in this film.")  # edited
    run_ingest([str(folder)], settings, store)
    assert indexed_ids() == set(store.all_chunks()[0])
    assert lexical.search("quokka", 5) == []
    assert lexical.search("wombat", 5)

    (folder / "a.md").unlink()  # deleted
    run_ingest([str(folder)], settings, store, prune=True)
    assert indexed_ids() == set(store.all_chunks()[0])
    assert lexical.search("wombat", 5) == []


def test_killed_run_leaves_bm25_marked_stale_and_the_next_run_repairs_it(
    tmp_path: Path, settings: Settings, store: ChromaStore
) -> None:
    folder = tmp_path / "posts"
    folder.mkdir()
    post(folder, "a", "The quokka sequence is the best thing in this film.")
    run_ingest([str(folder)], settings, store)
    # Simulate a run killed after writing the store but before rebuilding BM25.
    (settings.bm25_dir / "ids.json").write_text("[]")
    settings.bm25_dir.with_name(settings.bm25_dir.name + ".dirty").touch()
    report = run_ingest([str(folder)], settings, store)
    assert report.skipped == 1
    assert LexicalIndex(settings.bm25_dir).search("quokka", 5)


def test_follow_up_carries_the_film_in_focus(chat: ChatService) -> None:
    first = chat.ask("What did the blog think of Arrival?")
    assert first.citations[0].doc_id == "arrival-2016"
    follow = chat.ask("Who directed it?", [("What did the blog think of Arrival?", first.text)])
    assert not follow.declined
    assert {c.doc_id for c in follow.citations} == {"arrival-2016"}
    assert "Villeneuve" in follow.text


def test_follow_up_the_other_review(chat: ChatService) -> None:
    first = chat.ask("What did the first Blade Runner review say about Roy Batty?")
    cited = first.citations[0]
    assert cited.doc_id.startswith("blade-runner-1982")
    shown = f'{first.text} <a href="{cited.url}">x</a>'
    other = chat.ask("And the other review?", [("Blade Runner and Roy Batty?", shown)])
    assert other.citations and all(c.doc_id != cited.doc_id for c in other.citations)
    assert all(c.doc_id.startswith("blade-runner-1982") for c in other.citations)


def test_a_new_film_name_ends_the_focus(chat: ChatService) -> None:
    first = chat.ask("Who directed Arrival?")
    second = chat.ask("Who directed Gattaca?", [("Who directed Arrival?", first.text)])
    assert {c.doc_id for c in second.citations} == {"gattaca-1997"}


def test_eval_cli_json_shape(cli_env: dict[str, str], tmp_path: Path) -> None:
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        '{"q": "Who voices Samantha?", "doc_ids": ["her-2013"], "extra": 1}\n'
        '{"q": "What did the blog think of Titanic?", "doc_ids": []}\n'
    )
    out = run_cli("eval", str(questions), "-k", "3", "--json", env=cli_env)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert {"k", "recall_at_k", "mrr", "decline_accuracy", "questions"} <= set(data)
    assert (data["k"], data["recall_at_k"], data["mrr"], data["decline_accuracy"]) == (
        3,
        1.0,
        1.0,
        1.0,
    )
    first, second = data["questions"]
    assert set(first) == {"q", "doc_ids", "retrieved_doc_ids", "rank", "declined"}
    assert first["retrieved_doc_ids"][0] == "her-2013" and first["rank"] == 1
    assert len(first["retrieved_doc_ids"]) == len(set(first["retrieved_doc_ids"])) <= 3
    assert second["declined"] is True and second["rank"] is None


def test_eval_cli_text_table_and_bad_file(cli_env: dict[str, str], tmp_path: Path) -> None:
    out = run_cli("eval", str(ROOT / "eval" / "sample.jsonl"), env=cli_env)
    assert out.returncode == 0 and "recall@5" in out.stdout and "MRR" in out.stdout
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"q": "ok", "doc_ids": []}\nnot json\n')
    out = run_cli("eval", str(bad), env=cli_env)
    assert out.returncode == 1 and f"{bad}:2" in out.stderr and "Traceback" not in out.stderr
