"""The one place that reads settings and picks backends; everything else receives its parts."""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass, replace

from pydantic import SecretStr

from companion.answering import Answerer, ChatBackend
from companion.answering.cards import CardMaker
from companion.answering.compare import Comparer
from companion.answering.extractive import ExtractiveAnswerer, Thresholds
from companion.answering.identify import FilmIdentifier, OpenAIYesNo, YesNoModel
from companion.answering.judgement import Judge
from companion.answering.listing import ArchiveLister
from companion.archive import lexical
from companion.archive.base import Embedder, Snapshot, Store
from companion.archive.embedding import SentenceTransformerEmbedder
from companion.archive.entities import Entities, entities_of
from companion.archive.lexical import LexicalIndex
from companion.archive.models import SENTENCE_MODEL, model_dimension
from companion.archive.sentence_vectors import QueryMemo, cached
from companion.archive.store import ChromaStore, open_client
from companion.chat import ChatService
from companion.conversation.classify import ExampleClassifier
from companion.conversation.planner import Planner, RulePlanner
from companion.conversation.rewrite import QueryRewriter
from companion.editor.querylog import QueryLog
from companion.errors import ConfigError
from companion.retrieval.hybrid import HybridRetriever
from companion.settings import Settings

log = logging.getLogger(__name__)
NO_KEY = SecretStr("not-needed")  # local OpenAI-compatible servers want some key
REWRITE_SECONDS = 5.0  # a follow-up rewrite may use this much of the fan's wait


@dataclass
class Components:
    settings: Settings
    embedder: SentenceTransformerEmbedder  # the search model: chunks and questions
    store: Store
    sentences: Embedder  # scores sentences while answering, behind the on-disk cache
    sentence_model: Embedder | None = None  # the model behind ``sentences``, for ingest


def sentence_embedder(settings: Settings) -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(
        SENTENCE_MODEL, settings.sentence_model_path, settings.cache_dir
    )


def open_store(settings: Settings, embedder: SentenceTransformerEmbedder, create: bool) -> Store:
    return ChromaStore(
        open_client(settings.chroma_dir, settings.chroma_url),
        settings.collection,
        embedder,
        model_dimension(embedder.path),
        create=create,
    )


def build_components(settings: Settings, *, create: bool = True) -> Components:
    """Both embedders and the store; ``create=False`` refuses to serve from a store never
    ingested."""
    embedder = SentenceTransformerEmbedder(
        settings.model_name, settings.model_path, settings.cache_dir
    )
    store = open_store(settings, embedder, create)
    model = sentence_embedder(settings)
    sentences = QueryMemo(cached(model, settings.sentence_vectors_db))
    return Components(settings, embedder, store, sentences, model)


def reopened(components: Components, create: bool = False) -> Components:
    """The same embedders (no model is loaded again) on a fresh client of the store: an
    in-process Chroma client never sees another process's writes (chroma-core/chroma#3792),
    so a server reopens it when an ingest elsewhere changed the store. Chroma caches one
    client per folder; the cache is cleared first, so this one is new (the old one keeps
    serving whoever still holds it)."""
    s = components.settings
    if not s.chroma_url:
        clear_client_cache()
    return replace(components, store=open_store(s, components.embedder, create))


def clear_client_cache() -> None:
    try:
        from chromadb.api.shared_system_client import SharedSystemClient

        SharedSystemClient.clear_system_cache()
    except Exception:  # an older chromadb without the cache: nothing to clear
        log.debug("no chromadb client cache to clear", exc_info=True)


def ensure_lexical(components: Components) -> None:
    """(Re)build the BM25 index when it is missing or behind the store: the first start of a
    server against a shared Chroma server, or a store changed by another host's ingest."""
    s, store = components.settings, components.store
    if lexical.chunk_count(s.bm25_dir) != store.count():
        ids, texts = store.all_chunks()
        lexical.build(ids, texts, s.bm25_dir)


def build_model(settings: Settings) -> ChatBackend | None:
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
                api_key=s.llm_api_key if s.llm_api_key.get_secret_value() else NO_KEY,
                timeout=s.llm_timeout,
                max_retries=0,
                temperature=0,
                max_completion_tokens=s.llm_max_tokens,
                # Ollama and LM Studio read only the older max_tokens; OpenAI gets the new name.
                extra_body=None
                if "api.openai.com" in s.llm_base_url
                else {"max_tokens": s.llm_max_tokens},
            )
            return ChatBackend(model, f"openai:{s.llm_model}")
        case "llamacpp":
            from companion.answering.local import LocalModel

            if s.llm_model_path is None:
                raise ConfigError("COMPANION_LLM=llamacpp needs COMPANION_LLM_MODEL_PATH")
            local = LocalModel(s.llm_model_path, s.llm_prompt_format, s.llm_max_tokens)
            return ChatBackend(local, f"llamacpp:{s.llm_model_path.name}")


def build_identifier(components: Components, model: ChatBackend | None) -> FilmIdentifier | None:
    """The description check, when a chat model is configured and the check is on."""
    s = components.settings
    if model is None or s.identify_candidates == 0:
        return None
    judge = model.model if isinstance(model.model, YesNoModel) else OpenAIYesNo(model.model)
    return FilmIdentifier(
        judge,
        components.store.post_chunks,
        threshold=s.identify_threshold,
        candidates=s.identify_candidates,
        deadline=s.identify_timeout,
    )


def build_answerer(
    components: Components, model: ChatBackend | None, strict: bool = False
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
        model.model,
        CitationChecker(components.sentences),
        extractive,
        name=model.label,
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
        QueryRewriter(model.model, min(s.llm_timeout, REWRITE_SECONDS), s.max_question_chars)
        if model
        else None
    )
    retriever = HybridRetriever(
        components.store, components.embedder, LexicalIndex(s.bm25_dir), per_post=3
    )
    store = components.store
    entities = Snapshot(store, lambda: entities_of(store), Entities({}, {})).get
    cards = CardMaker(store, Judge(components.sentences), embedder=components.embedder)
    planner: Planner = RulePlanner(entities, ExampleClassifier(components.sentences))
    if model is not None and s.llm_planner and hasattr(model.model, "with_structured_output"):
        from companion.conversation.llm_planner import LLMPlanner

        deadline = min(s.llm_timeout, REWRITE_SECONDS)
        planner = LLMPlanner(model.model, planner, entities, deadline)
    phraser = None
    if model is not None and s.llm_phrasing and hasattr(model.model, "ainvoke"):
        from companion.answering.phrasing import RecordPhraser

        phraser = RecordPhraser(model.model, entities, min(s.llm_timeout, REWRITE_SECONDS))
    return ChatService(
        retriever,
        answerer,
        top_k=s.top_k,
        max_chars=s.max_question_chars,
        store=components.store,
        cards=cards,
        query_log=query_log,
        backend=model.label if model else "extractive",
        rewriter=rewriter,
        identifier=build_identifier(components, model),
        planner=planner,
        entities=entities,
        lister=ArchiveLister(entities),
        comparer=Comparer(store, cards, entities),
        phraser=phraser,
    )
