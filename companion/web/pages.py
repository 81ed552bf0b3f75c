"""Plain pages beside the chat: the widget's script at ``/widget.js`` and the reviewed films
at ``/films``."""

from __future__ import annotations

import html
from functools import cache
from importlib import resources
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from companion.chat import ChatUnavailable
from companion.web.deps import UNAVAILABLE, Ctx, JSONErrorRoute
from companion.web.render import safe_url

router = APIRouter(include_in_schema=False, route_class=JSONErrorRoute)


@cache
def widget_js() -> str:
    return resources.files("companion.web").joinpath("static/widget.js").read_text("utf-8")


@router.get("/widget.js")
async def widget() -> Response:
    return Response(
        widget_js(),
        media_type="application/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=300"},
    )


@router.get("/films")
async def films_page(ctx: Ctx) -> Response:
    from companion.archive.catalog import film_catalog

    try:
        store = ctx.chat().store
        if store is None:
            raise ChatUnavailable(UNAVAILABLE)
    except ChatUnavailable as exc:
        return Response(html.escape(str(exc)), status_code=503, media_type="text/plain")
    catalog = await run_in_threadpool(film_catalog, store)
    return Response(films_html(catalog), media_type="text/html; charset=utf-8")


def films_html(catalog: list[dict[str, Any]]) -> str:
    """The reviewed films as a plain page; every value comes from posts, so all is escaped."""
    rows = []
    for entry in catalog:
        film = html.escape(entry["film"]) + (f" ({entry['year']})" if entry["year"] else "")
        for r in entry["reviews"]:
            url = safe_url(r["url"])
            title = html.escape(r["title"] or entry["film"])
            link = f'<a href="{url}">{title}</a>' if url else title
            rows.append(
                f"<tr><td>{film}</td><td>{link}</td><td>{html.escape(r['author'])}</td>"
                f"<td>{html.escape(r['date'])}</td></tr>"
            )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Reviewed films</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:2rem}td,th{padding:.3rem .8rem;"
        "text-align:left;border-bottom:1px solid #ddd}</style></head><body>"
        f"<h1>Reviewed films</h1><p>{len(catalog)} films. <a href='/'>Ask about them</a></p>"
        "<table><tr><th>Film</th><th>Review</th><th>Reviewer</th><th>Date</th></tr>"
        + "".join(rows)
        + "</table></body></html>"
    )
