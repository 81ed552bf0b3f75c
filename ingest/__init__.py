"""Ingestion: load posts from sources, clean them, chunk them and index them into the store.

This package may import ``companion`` (types, store, embedding); ``companion``'s core never
imports this package.
"""
