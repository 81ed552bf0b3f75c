"""The Gradio chat: receives a ready ``ChatService``; gradio is imported only here."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from companion.chat import ChatService, ChatUnavailable, QuestionError
from companion.render import answer_markdown, escape_md
from companion.settings import Settings

if TYPE_CHECKING:
    import gradio as gr

log = logging.getLogger(__name__)

EXAMPLES = [
    "What did the blog think of Her?",
    "Who voices Samantha in Her?",
    "Any films like Blade Runner reviewed here?",
]
DESCRIPTION = (
    "Ask about the films this blog has reviewed. Answers quote the blog's own reviews, with "
    "numbered sources that link to the posts."
)


def turns(history: list[Any] | None) -> list[tuple[str, str]]:
    """Gradio's message list ({"role", "content"} dicts) as (question, answer) pairs."""
    pairs: list[tuple[str, str]] = []
    pending: str | None = None
    for msg in history or []:
        role = msg.get("role") if isinstance(msg, dict) else None
        content = msg.get("content") if isinstance(msg, dict) else None
        if isinstance(content, list):  # Gradio 6 may hand content as a list of parts
            content = " ".join(
                str(c.get("text", "")) if isinstance(c, dict) else str(c) for c in content
            )
        text = content if isinstance(content, str) else ""
        if role == "user":
            pending = text
        elif role == "assistant" and pending is not None:
            pairs.append((pending, text))
            pending = None
    return pairs[-6:]


def respond(chat: ChatService, message: str, history: list[Any] | None = None) -> Iterator[str]:
    """Stream a reply word by word, then the full reply with its sources; never raises."""
    try:
        answer = chat.ask(message, turns(history))
    except (QuestionError, ChatUnavailable) as exc:
        yield str(exc)
        return
    except Exception:  # a fan must never see a traceback
        log.exception("unexpected error while answering")
        yield "Sorry — something went wrong while answering. Please try again."
        return
    words = escape_md(answer.text).split(" ")
    for i in range(4, len(words), 4):
        yield " ".join(words[:i])
    yield answer_markdown(answer)


def build_ui(chat: ChatService, settings: Settings) -> gr.Blocks:
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import gradio as gr

    def fn(message: str, history: list[Any]) -> Iterator[str]:
        yield from respond(chat, message, history)

    demo = gr.ChatInterface(
        fn,
        title="Ask the Astromech",
        description=DESCRIPTION,
        examples=EXAMPLES,
        cache_examples=False,
        flagging_mode="never",
        analytics_enabled=False,
        textbox=gr.Textbox(
            placeholder="Ask about a film the blog reviewed…",
            max_length=settings.max_question_chars,
            submit_btn=True,
        ),
        chatbot=gr.Chatbot(
            height=520,
            sanitize_html=True,
            render_markdown=True,
            show_label=False,
            buttons=["copy"],
        ),
        concurrency_limit=settings.concurrency_limit,
        api_name="chat",
    )
    demo.queue(max_size=settings.max_queue)
    return demo


def launch(settings: Settings) -> None:
    from companion.factory import build_chat, build_components

    chat = build_chat(build_components(settings, create=False))
    chat.retriever.retrieve("warm up", 1)  # load the model before the first fan waits for it
    demo = build_ui(chat, settings)
    log.info("serving on http://%s:%d", settings.host, settings.port)
    demo.launch(
        server_name=settings.host,
        server_port=settings.port,
        show_error=False,
        footer_links=["api"],
    )
