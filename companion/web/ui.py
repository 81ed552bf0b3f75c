"""The Gradio chat, full page at ``/`` and compact at ``/embed`` (the widget's iframe).

``ChatUI`` receives the app's context (the chat engine, settings, rate limiter); its handlers
are methods. Gradio is imported only here, and this module only where the app is built
(``server.create_app``). Fans' questions and post text are untrusted: both are escaped before
they reach the Markdown renderer.
"""

# No `from __future__ import annotations` here: Gradio reads `gr.Request` and `gr.LikeData`
# from the handlers' annotations at run time to know what it must pass in.

import logging
import os
from collections.abc import Iterator
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported

import gradio as gr
from fastapi import FastAPI

from companion.chat import ChatService, ChatUnavailable, QuestionError
from companion.types import Answer
from companion.web.deps import Context
from companion.web.render import answer_markdown, escape_md

log = logging.getLogger(__name__)

# The compact chat's page script. Gradio's Markdown opens every link in a new tab; in the
# widget a citation should open the post in the blog's own window instead. In the widget (its
# page's origin arrives as ?parent_origin=, checked against the real parent where the browser
# tells it) the chat and the widget talk by postMessage, sending only to that origin and
# accepting only from it: the widget's header holds the spoiler switch (the chat's own is
# hidden), and Escape in the chat closes the panel. ?placeholder= (the blog's own words) is set
# as an attribute, never parsed.
TOP_LINKS = """<script>
(function () {
  "use strict";
  if (window.__companionEmbed) return;
  window.__companionEmbed = true;
  var q = new URLSearchParams(window.location.search);
  var hint = (q.get("placeholder") || "").replace(/\\s+/g, " ").trim().slice(0, 120);
  var parent = q.get("parent_origin") || "";
  var linked = false;
  try {
    var u = new URL(parent);
    linked = window.parent !== window && u.origin === parent &&
      (u.protocol === "https:" || u.protocol === "http:");
  } catch (e) {}
  var ancestors = window.location.ancestorOrigins;
  if (linked && ancestors && ancestors.length && ancestors[0] !== parent) linked = false;
  var told = false;
  function box() { return document.querySelector("#companion-question textarea"); }
  function tell(type) { if (linked) window.parent.postMessage({companion: type}, parent); }
  new MutationObserver(function () {
    document.querySelectorAll('#companion-chat a[href^="http"]').forEach(function (a) {
      if (a.target !== "_top") { a.target = "_top"; }
    });
    var b = box();
    if (b && hint && b.placeholder !== hint) { b.placeholder = hint; }
    if (b && !told) { told = true; tell("ready"); }
  }).observe(document.documentElement, {subtree: true, childList: true});
  if (!linked) return;
  document.documentElement.classList.add("companion-in-widget");
  window.addEventListener("message", function (e) {
    var d = e.data;
    if (e.origin !== parent || e.source !== window.parent || !d || typeof d !== "object") return;
    if (d.companion === "spoilers") {
      var c = document.querySelector("#companion-spoilers input[type=checkbox]");
      if (c && c.checked !== (d.value === true)) { c.click(); }
    } else if (d.companion === "focus" && box()) {
      box().focus();
    }
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape") { tell("escape"); }
  });
})();
</script>"""

# The widget's panel is small: its own header sits above, so no page padding, no footer, no
# box around the chat; the chat takes the height left over and the question box stays in view
# at the bottom at any panel size. In the widget the header holds the spoiler switch and the
# "new conversation" action, so the chat's own checkbox and clear button are hidden there.
COMPACT_CSS = """
html, body { height: 100%; margin: 0; }
.gradio-container { padding: 0 !important; min-height: 0 !important; height: 100vh !important; }
.gradio-container > .main { padding: 8px !important; gap: 8px !important; }
.gradio-container > .main, .gradio-container .wrap:has(> .contain), .gradio-container .contain,
.gradio-container .contain > .column {
  display: flex !important; flex-direction: column !important; flex: 1 1 auto; min-height: 0 !important;
}
#companion-chat { flex: 1 1 0 !important; height: auto !important; min-height: 160px; }
#companion-chat .bubble-wrap { padding-top: 4px !important; }
#companion-chat .message-row { margin: 12px 6px 6px !important; }
#companion-chat .message-buttons .icon-button-wrapper { margin: 0 6px !important; }
footer { display: none !important; }
.companion-in-widget #companion-spoilers { display: none !important; }
.companion-in-widget #companion-chat { border: 0 !important; box-shadow: none !important; }
.companion-in-widget #companion-chat .icon-button-wrapper.top-panel { display: none !important; }
"""

TITLE = "Ask the Astromech"
EXAMPLES = [
    "What did the blog think of Her?",
    "Who voices Samantha in Her?",
    "Any films like Blade Runner reviewed here?",
]
DESCRIPTION = (
    "Ask about the films this blog has reviewed. Answers quote the blog's own reviews, with "
    "numbered sources that link to the posts."
)
GREETING = "Hi! Ask me about any film this blog has reviewed."
READ_PAGE = (
    "() => { const q = new URLSearchParams(window.location.search);"
    " return [q.get('page_url') || '', q.get('greeting') || '']; }"
)


def greeting_messages(custom: str) -> list[dict[str, str]]:
    """The widget's greeting; it arrives in the iframe's URL, so anyone can set it: escaped."""
    text = " ".join((custom or "").split())[:200] or GREETING
    return [{"role": "assistant", "content": escape_md(text)}]


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


def respond(
    chat: ChatService,
    message: str,
    history: list[tuple[str, str]] | None = None,
    page_url: str | None = None,
    link_target: str = "_blank",
    spoilers: bool = False,
    context: dict[str, Any] | None = None,
) -> Iterator[tuple[str, Answer | None]]:
    """Stream a reply a few words at a time, then the full reply with its sources and the
    ``Answer`` itself (its log id, its conversation state); never raises: a fan must never
    see a traceback."""
    shown = ""
    try:
        for item in chat.stream(message, history, page_url or None, spoilers, context):
            if isinstance(item, Answer):
                yield answer_markdown(item, link_target), item
                return
            shown += item
            yield escape_md(shown), None
    except (QuestionError, ChatUnavailable) as exc:
        yield str(exc), None
    except Exception:
        log.exception("unexpected error while answering")
        yield "Sorry — something went wrong while answering. Please try again.", None


class ChatUI:
    """One Gradio chat over the app's context; ``compact`` is the widget's version."""

    def __init__(self, ctx: Context, *, compact: bool = False) -> None:
        self.ctx = ctx
        self.settings = ctx.settings
        self.compact = compact
        self.target = "_top" if compact else "_blank"

    def submit(
        self,
        message: str,
        history: list[Any],
        page_url: str,
        spoilers: bool,
        ids: dict[int, str],
        context: dict[str, Any],
        request: gr.Request,
    ) -> Iterator[tuple[list[Any], str, dict[int, str], dict[str, Any]]]:
        """The ``/chat`` API: the chat so far and an empty question box, as it streams. The
        conversation's state (``context``) is kept in the session, as the API's clients
        echo it back: never read back out of the rendered answers."""
        past = turns(history)
        history = [
            *(history or []),
            {"role": "user", "content": escape_md(message or "")},
            {"role": "assistant", "content": "…"},
        ]
        ids = dict(ids or {})
        context = dict(context or {})
        yield history, "", ids, context
        seconds = self.ctx.admit(request)  # counted once: at the queue's door, or here
        if seconds:
            history[-1]["content"] = (
                f"You're asking faster than I can read — please wait {seconds} s."
            )
            yield history, "", ids, context
            return
        try:
            chat = self.ctx.chat()
        except ChatUnavailable as exc:
            history[-1]["content"] = str(exc)
            yield history, "", ids, context
            return
        with self.ctx.compute_slot() as refusal:  # the process's one budget (and the API's)
            if refusal:
                history[-1]["content"] = refusal
                yield history, "", ids, context
                return
            for text, answer in respond(
                chat, message, past, page_url, self.target, bool(spoilers), context
            ):
                history[-1]["content"] = text
                if answer is not None:
                    if answer.id:
                        ids[len(history) - 1] = answer.id
                    context = dict(answer.context)
                yield history, "", ids, context

    def submit_in_chat(
        self,
        message: str,
        history: list[Any],
        page_url: str,
        spoilers: bool,
        ids: dict[int, str],
        context: dict[str, Any],
        request: gr.Request,
    ) -> Iterator[tuple[list[Any], Any, dict[int, str], dict[str, Any]]]:
        """The chat's own box: emptied once, then left alone, so a next question typed while
        this answer streams is not wiped by it."""
        streamed = self.submit(message, history, page_url, spoilers, ids, context, request)
        for n, (turn, box, kept, state) in enumerate(streamed):
            yield turn, box if n == 0 else gr.skip(), kept, state

    def rate(self, ids: dict[int, str], like: gr.LikeData) -> None:
        """A thumbs up/down on an answer goes to the query log (ignored when it is off)."""
        index = like.index[0] if isinstance(like.index, (list, tuple)) else like.index
        answer_id = (ids or {}).get(int(index))
        if not answer_id or like.liked not in (True, False):
            return
        try:
            chat = self.ctx.chat()
        except ChatUnavailable:
            return
        if chat.query_log is not None:
            chat.query_log.feedback(answer_id, bool(like.liked))

    def build(self) -> gr.Blocks:
        demo = gr.Blocks(title=TITLE, analytics_enabled=False, fill_height=True)
        with demo:
            if not self.compact:
                gr.Markdown(f"# {TITLE}\n{DESCRIPTION}")
            chatbot = gr.Chatbot(
                value=[{"role": "assistant", "content": GREETING}] if self.compact else [],
                height="calc(100vh - 150px)" if self.compact else 520,
                sanitize_html=True,
                render_markdown=True,
                show_label=False,
                buttons=["copy"],
                elem_id="companion-chat",
            )
            self._wire(demo, chatbot)
        s = self.settings
        # No limit of Gradio's own: every question waits in the process's one compute budget,
        # in turn with the API's and the other chat's, and hears "busy" beyond it; max_size
        # only caps what Gradio holds.
        demo.queue(max_size=s.concurrency_limit + s.max_queue, default_concurrency_limit=None)
        return demo

    def _wire(self, demo: gr.Blocks, chatbot: gr.Chatbot) -> None:
        """The question box and spoiler switch under the chat, and the events between them."""
        page = gr.Textbox(visible=False)
        greeting = gr.Textbox(visible=False)
        ids = gr.State({})
        context = gr.State({})  # what the conversation is about (film, person, list)
        box = gr.Textbox(
            placeholder="Ask about a film the blog reviewed…",
            max_length=self.settings.max_question_chars,
            show_label=False,
            submit_btn=True,
            elem_id="companion-question",
        )
        spoilers = gr.Checkbox(
            label="Show spoilers",
            value=False,
            info=None if self.compact else "Include passages that reveal endings and twists.",
            elem_id="companion-spoilers",
            container=False,
        )
        if not self.compact:
            gr.Examples(EXAMPLES, inputs=box)
        chatbot.like(self.rate, [ids], None, api_visibility="private")
        # A cleared chat forgets the old answers' ids and what the conversation was about.
        chatbot.clear(lambda: ({}, {}), None, [ids, context], api_visibility="private")
        box.submit(
            self.submit_in_chat,
            [box, chatbot, page, spoilers, ids, context],
            [chatbot, box, ids, context],
            api_visibility="private",
            # Gradio's default ("once") drops a question sent while the last answer is still
            # finishing; a fan's next question waits its turn instead.
            trigger_mode="always_last",
        )
        # The same turn for API clients (gradio_client's "/chat"), with a plain "" for the box.
        gr.Button(visible=False).click(
            self.submit,
            [box, chatbot, page, spoilers, ids, context],
            [chatbot, box, ids, context],
            api_name="chat",
        )
        loaded = demo.load(None, None, [page, greeting], js=READ_PAGE)
        if self.compact:
            loaded.then(greeting_messages, [greeting], [chatbot], api_visibility="private")


def mount_chat(app: FastAPI, ctx: Context) -> None:
    """The compact chat at /embed and the full chat at /, with no file serving."""
    gr.mount_gradio_app(
        app,
        ChatUI(ctx, compact=True).build(),
        path="/embed",
        allowed_paths=[],
        show_error=False,
        footer_links=[],
        head=TOP_LINKS,
        css=COMPACT_CSS,
    )
    gr.mount_gradio_app(
        app,
        ChatUI(ctx).build(),
        path="/",
        allowed_paths=[],
        show_error=False,
        footer_links=["api"],
    )
