"""One settings object, read from ``COMPANION_*`` environment variables or a ``.env`` file.

Built once at the edge (CLI, app) and passed down, so nothing below reads the environment.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from companion.archive.models import SEARCH_MODEL, SENTENCE_MODEL


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "companion"


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "companion"


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def duration_seconds(text: str) -> float | None:
    """``90s``, ``30m``, ``6h``, ``1d`` in seconds; None for empty (off). A bare number is
    refused: minutes or hours, it would be a guess."""
    if not text.strip():
        return None
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd])\s*", text.lower())
    if not found or float(found[1]) <= 0:
        raise ValueError(f"{text!r} is not a duration: a number and a unit, as in 90s, 30m, 6h")
    return float(found[1]) * _UNITS[found[2]]


class Settings(BaseSettings):
    """Every knob the product has; each field is documented in docs/configuration.md."""

    model_config = SettingsConfigDict(
        env_prefix="COMPANION_",
        env_file=os.environ.get("COMPANION_ENV_FILE", ".env"),
        env_file_encoding="utf-8",
        extra="ignore",
    )

    data_dir: Path = Field(
        default_factory=_default_data_dir,
        description="Where the Chroma store, the ingest records and the lock live.",
    )
    collection: str = Field(default="reviews", description="Chroma collection name.")
    chroma_url: str = Field(
        default="",
        description="A `chroma run` server (http://host:port) instead of the store in data_dir.",
    )
    cache_dir: Path = Field(
        default_factory=_default_cache_dir,
        description="Where a packaged model that ships in pieces is unpacked, once.",
    )
    model_name: str = Field(
        default=SEARCH_MODEL,
        description="The search model: embeds chunks and questions. Recorded in the store; a "
        f"store built with another model is refused. Packaged: {SEARCH_MODEL} (default), "
        f"{SENTENCE_MODEL} (faster ingest, fewer paraphrases found).",
    )
    model_path: Path | None = Field(
        default=None,
        description="Folder of a sentence-transformers model to search with instead of the "
        "packaged model_name.",
    )
    sentence_model_path: Path | None = Field(
        default=None,
        description="Folder of the model that scores sentences while answering (quotes, "
        f"citation checks, verdicts); default: the packaged {SENTENCE_MODEL}.",
    )
    chunk_tokens: int = Field(default=200, ge=32, le=240, description="Chunk size in tokens.")
    chunk_overlap_tokens: int = Field(default=30, ge=0, le=100)
    top_k: int = Field(default=6, ge=1, le=50, description="Passages given to the answerer.")
    llm: Literal["extractive", "openai", "llamacpp"] = Field(
        default="extractive",
        description="Who writes answers: quotes from the reviews (extractive), or a chat model "
        "behind an OpenAI-compatible API (OpenAI, Ollama, vLLM, LM Studio, llama.cpp server), "
        "or a local GGUF file (llamacpp, needs the local-llm extra).",
    )
    llm_model_path: Path | None = Field(default=None, description="GGUF file for llamacpp.")
    llm_prompt_format: str = Field(
        default="auto", description="llamacpp prompt shape: auto, plain, chatml or gemma-it."
    )
    llm_base_url: str = Field(default="https://api.openai.com/v1", description="API base URL.")
    llm_model: str = Field(default="gpt-4o-mini", description="Model name at that endpoint.")
    llm_api_key: SecretStr = Field(default=SecretStr(""), description="API key, if needed.")
    llm_timeout: float = Field(
        default=15.0, gt=0, description="Seconds to wait for the model before answering without it."
    )
    llm_max_tokens: int = Field(
        default=512,
        ge=16,
        le=32768,
        description="Most tokens the chat model may write in one reply (an answer, a rewrite).",
    )
    identify_candidates: int = Field(
        default=5,
        ge=0,
        le=20,
        description="With a chat model: for a question that describes a film without naming "
        "it, how many of the nearest reviews the model checks against the description "
        "(0: never; see docs/retrieval.md).",
    )
    identify_threshold: float = Field(
        default=0.2,
        description="A review fits a description when the model's log P(yes) - log P(no) "
        "reaches this (read off eval/polarity-dev.jsonl with Qwen2.5-Coder-1.5B-Instruct; a "
        "plain yes or no counts as ±10).",
    )
    identify_timeout: float = Field(
        default=20.0,
        gt=0,
        description="Seconds after which no further check starts and the rules decide (the "
        "check running then finishes first; at an endpoint, within COMPANION_LLM_TIMEOUT).",
    )
    llm_planner: bool = Field(
        default=True,
        description="With a chat model (COMPANION_LLM): the model reads each message into the "
        "plan (structured output, checked against the archive's names; the rules decide when "
        "it fails or is late). false: the rules always plan.",
    )
    llm_phrasing: bool = Field(
        default=True,
        description="With a chat model (COMPANION_LLM): the model words the opening sentence "
        "of lists and comparisons from the exact records shown under it (kept only when every "
        "film, number and score it states is theirs). false: the rules' sentence always.",
    )
    min_relevance: float = Field(
        default=0.15,
        description="Below this best-passage cosine similarity the answerer declines "
        "(calibrated for all-mpnet-base-v2; 0.30 suits all-MiniLM-L6-v2).",
    )
    strong_relevance: float = Field(
        default=0.45,
        description="At or above this similarity a passage counts as relevant on its own.",
    )
    max_question_chars: int = Field(default=2000, ge=10)
    max_file_bytes: int = Field(
        default=50_000_000, description="Larger source files and fetched URLs are skipped."
    )
    fetch_timeout: float = Field(default=20.0, gt=0, description="Seconds per URL fetched.")
    feed_max_pages: int = Field(
        default=500,
        ge=1,
        description="Pages of one feed read at most; a feed cut short by it is not pruned.",
    )
    feed_max_posts: int = Field(
        default=50_000,
        ge=1,
        description="Posts of one feed read at most; a feed cut short by it is not pruned.",
    )
    host: str = Field(default="127.0.0.1", description="Address the chat binds to.")
    port: int = Field(default=7860)
    concurrency_limit: int = Field(default=2, ge=1, description="Answers computed at once.")
    max_queue: int = Field(default=32, ge=1, description="Waiting requests before 'busy'.")
    allowed_origins: str = Field(
        default="",
        description="Comma-separated sites (https://blog.example) that may embed the chat and "
        "call the API. Empty: this server's own origin only.",
    )
    trusted_proxies: str = Field(
        default="",
        description="Comma-separated proxy addresses/networks whose X-Forwarded-For is believed.",
    )
    rate_limit_per_minute: int = Field(default=20, ge=1, description="Questions per client IP.")
    request_timeout: float = Field(default=30.0, gt=0, description="Seconds per answer.")
    max_body_bytes: int = Field(default=65_536, ge=1024, description="Largest API request body.")

    query_log: bool = Field(
        default=True,
        description="Keep a log of questions for the editor's report (never IP addresses).",
    )
    log_retention_days: int = Field(
        default=90, ge=1, description="Questions older than this are deleted from the log."
    )
    editor_password: SecretStr = Field(
        default=SecretStr(""),
        description="Password for the editor's page at /editor (user name: editor). "
        "Empty: the page is off.",
    )

    sync_sources: str = Field(
        default="",
        description="Feed URLs, sitemap URLs or paths (comma or whitespace separated) that "
        "`companion serve` re-ingests, with prune, every sync_every (docs/editors.md).",
    )
    sync_every: str = Field(
        default="",
        description="Time from the end of one scheduled sync to the start of the next: 90s, "
        "30m, 6h, 1d. Empty: no scheduled sync.",
    )

    @field_validator("sync_every")
    @classmethod
    def _sync_every_is_a_duration(cls, value: str) -> str:
        duration_seconds(value)
        return value.strip()

    @property
    def sync_seconds(self) -> float | None:
        """Seconds between scheduled syncs; None when off (no sources, or no period)."""
        return duration_seconds(self.sync_every) if self.sync_source_list else None

    @property
    def sync_source_list(self) -> list[str]:
        return self.sync_sources.replace(",", " ").split()

    @property
    def origins(self) -> list[str]:
        return [o.strip().rstrip("/") for o in self.allowed_origins.split(",") if o.strip()]

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def bm25_dir(self) -> Path:
        return self.data_dir / "bm25" / self.collection

    @property
    def sentence_vectors_db(self) -> Path:
        """The answer model's sentence vectors, filled at ingest (companion.archive.sentence_vectors)."""
        return self.data_dir / "sentences" / f"{self.collection}.sqlite"

    @property
    def records_db(self) -> Path:
        return self.data_dir / "records.sqlite"

    @property
    def http_cache_db(self) -> Path:
        """ETag / Last-Modified and body of each fetched feed page or sitemap (ingest.fetch)."""
        return self.data_dir / "http-cache.sqlite"

    @property
    def query_log_db(self) -> Path:
        return self.data_dir / "queries.sqlite"

    @property
    def lock_file(self) -> Path:
        return self.data_dir / "ingest.lock"

    @property
    def generation_file(self) -> Path:
        """Bumped by every ingest that changes the archive (companion.archive.generation)."""
        return self.data_dir / "generation"

    @property
    def server_file(self) -> Path:
        """Where a running server says how ``companion ingest`` reaches it (0600)."""
        return self.data_dir / "server.json"
