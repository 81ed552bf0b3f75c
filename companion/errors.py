"""Every error a user can cause or fix, under one root, so each surface can catch
``CompanionError`` and show its message instead of a traceback.

A leaf module: it imports nothing of the project, so any layer may raise these.
"""

from __future__ import annotations


class CompanionError(Exception):
    """Something the user can act on; the message says what went wrong and what to do."""


class ConfigError(CompanionError, ValueError):
    """A setting is missing or wrong (a GGUF path, an optional extra not installed)."""


class StoreError(CompanionError, RuntimeError):
    """The store cannot be used as asked (wrong model, never ingested, unreachable server)."""


class ModelError(StoreError):
    """A packaged model is missing or damaged. A store error too: without its model the store
    cannot be searched or written."""


class LLMError(CompanionError, RuntimeError):
    """A language model did not give a usable answer (raised only in strict mode)."""
