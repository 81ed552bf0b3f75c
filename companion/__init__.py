"""companion: a chat companion for a film-review blog.

The package root stays import-light on purpose: ``companion --help`` must answer in well
under a second, so torch, chromadb and gradio are imported only where they are used.
"""

__version__ = "0.1.0"
