"""The one place that reads settings and picks backends; everything else receives its parts."""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from typing import Any

from companion import lexical
from companion.answering import Answerer
from companion.answering.extractive import ExtractiveAnswerer, Thresholds
from companion.answering.identify import FilmIdentifier, OpenAIYesNo, YesNoModel
from companion.answering.rewrite import QueryRewriter
from companion.cards import CardMaker
from companion.chat import ChatService
from companion.embedding import Embedder, SentenceTransformerEmbedder
from companion.judgement import Judge
from companion.lexical import LexicalIndex
from companion.models import SENTENCE_MODEL
from companion.querylog import QueryLog
from companion.retrieval import HybridRetriever
from companion.sentence_vectors import cached
from companion.settings import Settings
from companion.store import ChromaStore, StoreError, model_dimension, open_client

log = logging.getLogger(__name__)
REWRITE_SECONDS = 5.0  # a follow-up rewrite may use this much of the fan's wait


@dataclass
class Components:
    settings: Settings
    embedder: SentenceTransformerEmbedder  # the search model: chunks and questions
    store: ChromaStore
    sentences: Embedder  # scores sentences while answering, behind the on-disk cache


def sentence_embedder(settings: Settings) -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(
        SENTENCE_MODEL, settings.sentence_model_path, settings.cache_dir
    )


def build_components(settings: Settings, *, create: bool = True) -> Components:
    """Both embedders and the store; ``create=False`` refuses to serve from a store never
    ingested."""
    embedder = SentenceTransformerEmbedder(
        settings.model_name, settings.model_path, settings.cache_dir
    )
    store = ChromaStore(
        open_client(settings.chroma_dir, settings.chroma_url),
        settings.collection,
        embedder,
        model_dimension(embedder.path),
        create=create,
    )
    sentences = cached(sentence_embedder(settings), settings.sentence_vectors_db)
    return Components(settings, embedder, store, sentences)


def ensure_lexical(components: Components) -> None:
    """(Re)build the BM25 index when it is missing or behind the store: the first start of a
    server against a shared Chroma server, or a store changed by another host's ingest."""
    s, store = components.settings, components.store
    if lexical.chunk_count(s.bm25_dir) != store.count():
        ids, texts = store.all_chunks()
        lexical.build(ids, texts, s.bm25_dir)


def build_model(settings: Settings) -> tuple[Any, str] | None:
    """The chat model ``COMPANION_LLM`` names and its label, or None for extractive answers."""
    s = settings
    match s.llm:
        case "extractive":
            return None
        case "openai":
            from langchain_openai import ChatOpenAI

            model = ChatOpenAI(
                model=s.llm_model,
                base_url=s.llm_base_url,
                api_key=s.llm_api_key.get_secret_value() or "not-needed",
                timeout=s.llm_timeout,
                max_retries=0,
                temperature=0,
            )
            return model, f"openai:{s.llm_model}"
        case "llamacpp":
            from companion.answering.local import LocalModel

            if s.llm_model_path is None:
                raise StoreError("COMPANION_LLM=llamacpp needs COMPANION_LLM_MODEL_PATH")
            return LocalModel(s.llm_model_path, s.llm_prompt_format), (
                f"llamacpp:{s.llm_model_path.name}"
            )


def build_identifier(
    components: Components, model: tuple[Any, str] | None
) -> FilmIdentifier | None:
    """The description check, when a chat model is configured and the check is on."""
    s = components.settings
    if model is None or s.identify_candidates == 0:
        return None
    judge = model[0] if isinstance(model[0], YesNoModel) else OpenAIYesNo(model[0])
    return FilmIdentifier(
        judge,
        components.store.post_chunks,
        threshold=s.identify_threshold,
        candidates=s.identify_candidates,
        deadline=s.identify_timeout,
    )


def build_answerer(
    components: Components, model: tuple[Any, str] | None, strict: bool = False
) -> Answerer:
    """The one place that picks who writes answers."""
    s = components.settings
    extractive = ExtractiveAnswerer(
        components.sentences,
        Thresholds(min_relevance=s.min_relevance, strong_relevance=s.strong_relevance),
        covered_films=components.store.films(),
    )
    if model is None:
        return extractive
    from companion.answering.check import CitationChecker
    from companion.answering.llm import LLMAnswerer

    return LLMAnswerer(
        model[0],
        CitationChecker(components.sentences),
        extractive,
        name=model[1],
        deadline=s.llm_timeout,
        strict=strict,
    )


def open_query_log(settings: Settings) -> QueryLog | None:
    """The editor's query log, or None when ``COMPANION_QUERY_LOG`` turns it off."""
    if not settings.query_log:
        return None
    try:
        return QueryLog(settings.query_log_db, settings.log_retention_days)
    except (OSError, sqlite3.Error) as exc:
        log.warning("query log off: cannot open %s (%s)", settings.query_log_db, exc)
        return None


def build_chat(
    components: Components, strict: bool = False, query_log: QueryLog | None = None
) -> ChatService:
    """The chat; only servers pass a ``query_log``: an editor's own CLI questions are not
    fans' questions."""
    s = components.settings
    ensure_lexical(components)
    model = build_model(s)
    answerer = build_answerer(components, model, strict)
    rewriter = (
        QueryRewriter(model[0], min(s.llm_timeout, REWRITE_SECONDS), s.max_question_chars)
        if model
        else None
    )
    retriever = HybridRetriever(
        components.store, components.embedder, LexicalIndex(s.bm25_dir), per_post=3
    )
    return ChatService(
        retriever,
        answerer,
        top_k=s.top_k,
        max_chars=s.max_question_chars,
        store=components.store,
        cards=CardMaker(components.store, Judge(components.sentences)),
        query_log=query_log,
        backend=model[1] if model else "extractive",
        rewriter=rewriter,
        identifier=build_identifier(components, model),
    )
