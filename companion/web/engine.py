"""The server's chat, built lazily and again after a failure, so a server started before the
store exists (or while it is broken) reports that, and recovers once it is fixed."""

from __future__ import annotations

import logging
import threading

from companion.archive.embedding import SentenceTransformerEmbedder
from companion.chat import ChatService, ChatUnavailable
from companion.errors import StoreError
from companion.settings import Settings
from companion.web.deps import UNAVAILABLE
from companion.web.schemas import Health

log = logging.getLogger(__name__)


class Engine:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._chat: ChatService | None = None
        self._embedder: SentenceTransformerEmbedder | None = None
        self._posts: tuple[int, int] = (-1, 0)  # (chunks, posts) when last counted
        self._lock = threading.Lock()
        self.last_error = ""
        from companion.factory import open_query_log

        self.query_log = open_query_log(settings)

    def _store_gone(self) -> bool:
        """The embedded store's files were deleted under us (a server keeps none locally)."""
        if self.settings.chroma_url:
            return False
        return not (self.settings.chroma_dir / "chroma.sqlite3").exists()

    def chat(self) -> ChatService:
        with self._lock:
            if self._chat is not None and self._store_gone():
                self._reset("the store's files are gone")
            if self._chat is None:
                self._chat = self._build()
            return self._chat

    def _build(self) -> ChatService:
        from companion.factory import build_chat, build_components

        try:
            if self._store_gone():
                raise StoreError(f"no store in {self.settings.chroma_dir}")
            components = build_components(self.settings, create=False)
            chat = build_chat(components, query_log=self.query_log)
        except Exception as exc:
            self.last_error = str(exc)
            log.warning("chat unavailable: %s", exc)
            raise ChatUnavailable(UNAVAILABLE) from exc
        self._embedder = components.embedder
        self.last_error = ""
        return chat

    def _reset(self, why: str) -> None:
        """Forget the chat and Chroma's per-path client cache, so the next use starts clean."""
        log.warning("resetting the chat: %s", why)
        self._chat = None
        self.last_error = why
        try:
            from chromadb.api.shared_system_client import SharedSystemClient

            SharedSystemClient.clear_system_cache()
        except Exception:  # an older chromadb without the cache: nothing to clear
            log.debug("no chromadb client cache to clear", exc_info=True)

    def health(self) -> Health:
        try:
            chat = self.chat()
            store = chat.store
            chunks = store.count() if store else 0
            if store and self._posts[0] != chunks:  # a full metadata read: only on change
                self._posts = (chunks, len(store.posts()))
            status = getattr(chat.answerer, "status", None)
            return Health(
                status="ok",
                store=True,
                model_loaded=bool(self._embedder and self._embedder.loaded),
                posts=self._posts[1],
                chunks=chunks,
                llm=status() if status else {"backend": "extractive", "error": ""},
            )
        except Exception as exc:
            detail = self.last_error or str(exc)
            with self._lock:
                self._reset(detail)  # try again from scratch next time
            return Health(
                status="error",
                store=False,
                model_loaded=False,
                error=f"The store in {self.settings.data_dir} cannot be used ({detail}). "
                "Rebuild it with `companion ingest <your sources>`.",
            )
