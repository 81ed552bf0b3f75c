"""Everything that holds the archive: packaged models, embedding, the Chroma store, BM25,
sentence vectors and the film catalog. Read by retrieval and answering, written by ingest."""
