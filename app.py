"""Gradio entry point: ``python app.py`` serves the chat (same as ``companion serve``)."""

from companion.cli import app

if __name__ == "__main__":
    app(["serve"])
