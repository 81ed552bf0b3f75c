"""The editor's page: the query-log report behind a password (HTTP Basic, user "editor"),
and the scheduled sync's latest runs (``companion.web.sync``).

Off unless ``COMPANION_EDITOR_PASSWORD`` is set. Every value on the page comes from fans'
questions or from the blog's sources, so all of it is escaped.
"""

from __future__ import annotations

import base64
import binascii
import html
import secrets
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from companion.editor.querylog import QueryLog, parse_date
from companion.editor.report import build_report
from companion.settings import Settings
from companion.web.deps import Context, Ctx, JSONErrorRoute
from companion.web.guard import RateLimiter
from companion.web.sync import Scheduler, SyncRun, iso

USER = "editor"
CHALLENGE = {"WWW-Authenticate": 'Basic realm="companion editor", charset="UTF-8"'}


def authorized(header: str, password: str) -> bool:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not password:
        return False
    try:
        user, _, given = base64.b64decode(encoded, validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    # Compare both, always, in constant time: no hint which one was wrong.
    ok_user = secrets.compare_digest(user.encode(), USER.encode())
    ok_password = secrets.compare_digest(given.encode(), password.encode())
    return ok_user and ok_password


OFF = "The editor page is off: set COMPANION_EDITOR_PASSWORD (and keep COMPANION_QUERY_LOG on)."

router = APIRouter(prefix="/editor", include_in_schema=False, route_class=JSONErrorRoute)


async def editor_log(request: Request, ctx: Ctx) -> QueryLog:
    """The query log, for the editor only: 404 while the page is off, then the rate limit
    (it also slows down password guessing), then 401 without the password."""
    password = ctx.settings.editor_password.get_secret_value()
    if not password or ctx.query_log is None:
        raise HTTPException(404, OFF)
    ctx.throttle(request, "Too many requests.")
    if not authorized(request.headers.get("authorization", ""), password):
        raise HTTPException(401, "The editor page needs its password.", CHALLENGE)
    return ctx.query_log


async def editor_report(
    log: Annotated[QueryLog, Depends(editor_log)], since: str | None = None
) -> dict[str, Any]:
    """The report on the questions since ``since`` (a date), or on all of them."""
    try:
        start = parse_date(since)
    except ValueError as exc:
        raise HTTPException(400, "since must be a date like 2026-11-01") from exc
    rows = await run_in_threadpool(log.rows, start)
    return build_report(rows, start)


Report = Annotated[dict[str, Any], Depends(editor_report)]


async def editor_sync(log: Annotated[QueryLog, Depends(editor_log)], ctx: Ctx) -> Scheduler | None:
    """The scheduled sync, for the editor only (its sources and errors name the blog's
    addresses); None when it is off."""
    scheduler = getattr(ctx.engine, "sync", None)
    return scheduler if isinstance(scheduler, Scheduler) else None


Sync = Annotated[Scheduler | None, Depends(editor_sync)]


@router.get("")
@router.get("/")
async def page(report: Report, sync: Sync) -> Response:
    html_page = editor_html(report, sync_html(sync))
    return HTMLResponse(html_page, headers={"Cache-Control": "no-store"})


@router.get("/report.json")
async def report_json(report: Report) -> Response:
    return JSONResponse(report, headers={"Cache-Control": "no-store"})


@router.get("/sync.json")
async def sync_json(sync: Sync) -> Response:
    """The scheduled sync: its sources, period, next run and latest runs (newest first);
    ``null`` when it is off."""
    body: dict[str, Any] | None = None
    if sync is not None:
        body = {
            "sources": sync.sources,
            "every_seconds": sync.every,
            "next_run": iso(sync.next_at) if sync.next_at else None,
            "runs_since_start": sync.count,
            "runs": [run.public() for run in sync.runs()],
        }
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


def build_editor(
    settings: Settings,
    query_log: QueryLog | None,
    limiter: RateLimiter,
    client_of: Callable[[Request], str],
) -> APIRouter:
    """The editor's routes with their own context, for an app that ``create_app`` did not
    build (``create_app`` includes ``router`` and keeps the context in ``app.state``)."""
    bound = Context(settings, limiter, client_of, query_log=query_log)

    async def bind(request: Request) -> None:
        request.state.companion = bound

    wrapper = APIRouter(dependencies=[Depends(bind)])
    wrapper.include_router(router)
    return wrapper


def _table(headers: list[str], rows: list[list[str]]) -> str:
    if not rows:
        return "<p>None.</p>"
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def sync_html(sync: Scheduler | None) -> str:
    """The scheduled sync's section: where from, how often, and each recent run's result."""
    if sync is None:
        return (
            "<h2>Scheduled sync</h2><p>Off: set COMPANION_SYNC_SOURCES and COMPANION_SYNC_EVERY "
            "to have the server ingest your feed by itself.</p>"
        )
    nxt = f" Next run: {iso(sync.next_at)}." if sync.next_at else " A run is under way."
    intro = f"Every {_period(sync.every)} from {', '.join(sync.sources)} (with prune).{nxt}"
    rows = [_run_row(run) for run in sync.runs()]
    headers = ["Started", "Result", "Added", "Updated", "Deleted", "Unchanged", "Pages (304)",
               "Errors", "Not pruned"]  # fmt: skip
    return (
        f"<h2>Scheduled sync</h2><p>{html.escape(intro)}</p>"
        f"{_table(headers, rows) if rows else '<p>No run yet.</p>'}"
    )


def _period(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g} {unit}"
    return f"{seconds:g} s"


def _run_row(run: SyncRun) -> list[str]:
    result = "ok" if run.ok else "failed" if not run.refused else f"not run: {run.refused}"
    return [
        f"{iso(run.started)} ({run.seconds:.1f} s)",
        result,
        str(run.added),
        str(run.updated),
        str(run.deleted),
        str(run.skipped),
        f"{run.pages_fetched} ({run.pages_unchanged})",
        " · ".join(f"{e['source']}: {e['error']}" for e in run.errors),
        " · ".join(p["why"] for p in run.prune_skipped),
    ]


def editor_html(report: dict[str, Any], sync: str = "") -> str:
    lat = report["latency_ms"]
    since = f" since {html.escape(report['since'])}" if report["since"] else ""
    summary = (
        f"{report['questions']} questions{since}: {report['answered']} answered, "
        f"{report['declined']} declined; {report['thumbs_up']} 👍, {report['thumbs_down']} 👎"
        + (f"; median answer {lat['p50']} ms, p95 {lat['p95']} ms" if lat["p50"] else "")
    )
    sections = [
        ("Most asked films", _table(
            ["Film", "Questions"],
            [[f["film"], str(f["questions"])] for f in report["most_asked_films"]],
        )),
        ("Questions the archive could not answer (reviews readers want next)", _table(
            ["Film or topic", "Questions", "Latest examples"],
            [[g["topic"], str(g["questions"]), " · ".join(g["examples"])]
             for g in report["unanswered"]],
        )),
        ("Answers with a thumbs-down", _table(
            ["When", "Question", "Cited posts"],
            [[r["at"], r["question"], ", ".join(r["cited"])]
             for r in report["thumbs_down_answers"]],
        )),
        ("Sentences dropped by the citation check", _table(
            ["When", "Question", "Dropped"],
            [[r["at"], r["question"], " · ".join(r["unsupported"])]
             for r in report["citation_failures"]],
        )),
    ]  # fmt: skip
    body = "".join(f"<h2>{html.escape(t)}</h2>{table}" for t, table in sections)
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='robots' content='noindex'><title>What readers ask</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}"
        "td,th{padding:.3rem .8rem;text-align:left;vertical-align:top;"
        "border-bottom:1px solid #ddd}</style></head><body>"
        f"<h1>What readers ask</h1><p>{html.escape(summary)}</p>{body}"
        "<p><a href='/editor/report.json'>This report as JSON</a></p>"
        f"{sync}<p><a href='/editor/sync.json'>The sync as JSON</a></p></body></html>"
    )
