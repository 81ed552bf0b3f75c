"""The one place that reads settings and picks backends; everything else receives its parts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from companion import lexical
from companion.answering import Answerer
from companion.answering.extractive import ExtractiveAnswerer, Thresholds
from companion.chat import ChatService
from companion.embedding import SentenceTransformerEmbedder
from companion.lexical import LexicalIndex
from companion.retrieval import HybridRetriever
from companion.settings import Settings
from companion.store import ChromaStore, StoreError, model_dimension, open_client


@dataclass
class Components:
    settings: Settings
    embedder: SentenceTransformerEmbedder
    store: ChromaStore


def build_components(settings: Settings, *, create: bool = True) -> Components:
    """Embedder and store; ``create=False`` refuses to serve from a store never ingested."""
    embedder = SentenceTransformerEmbedder(settings.model_name, settings.model_path)
    store = ChromaStore(
        open_client(settings.chroma_dir, settings.chroma_url),
        settings.collection,
        embedder,
        model_dimension(embedder.path),
        create=create,
    )
    return Components(settings, embedder, store)


def ensure_lexical(components: Components) -> None:
    """(Re)build the BM25 index when it is missing or behind the store: the first start of a
    server against a shared Chroma server, or a store changed by another host's ingest."""
    s, store = components.settings, components.store
    if lexical.chunk_count(s.bm25_dir) != store.count():
        ids, texts = store.all_chunks()
        lexical.build(ids, texts, s.bm25_dir)


def build_answerer(components: Components, strict: bool = False) -> Answerer:
    """The one place that picks who writes answers (``COMPANION_LLM``)."""
    s = components.settings
    extractive = ExtractiveAnswerer(
        components.embedder,
        Thresholds(min_relevance=s.min_relevance, strong_relevance=s.strong_relevance),
        covered_films=components.store.films(),
    )
    model: Any
    match s.llm:
        case "extractive":
            return extractive
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
            name = f"openai:{s.llm_model}"
        case "llamacpp":
            from companion.answering.local import LocalModel

            if s.llm_model_path is None:
                raise StoreError("COMPANION_LLM=llamacpp needs COMPANION_LLM_MODEL_PATH")
            model = LocalModel(s.llm_model_path, s.llm_prompt_format)
            name = f"llamacpp:{s.llm_model_path.name}"
    from companion.answering.check import CitationChecker
    from companion.answering.llm import LLMAnswerer

    return LLMAnswerer(
        model,
        CitationChecker(components.embedder),
        extractive,
        name=name,
        deadline=s.llm_timeout,
        strict=strict,
    )


def build_chat(components: Components, strict: bool = False) -> ChatService:
    s = components.settings
    ensure_lexical(components)
    answerer = build_answerer(components, strict)
    retriever = HybridRetriever(
        components.store, components.embedder, LexicalIndex(s.bm25_dir), per_post=3
    )
    return ChatService(
        retriever, answerer, top_k=s.top_k, max_chars=s.max_question_chars, store=components.store
    )
