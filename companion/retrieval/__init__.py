"""Finding passages: dense and BM25 search fused, routed to the films a question names."""
