"""``POST /admin/ingest``: the ingest ``companion ingest`` hands to the server running on its
data folder (``companion.web.handoff``). Only for this machine and this run's token: any
other request gets the same 404 as an address that does not exist, so nothing is advertised,
and it is left out of the API schema."""

from __future__ import annotations

import hmac
import ipaddress
import logging
import queue
import threading
from collections.abc import Iterator

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from companion.errors import StoreError
from companion.web.deps import Ctx, error
from companion.web.engine import Engine
from companion.web.handoff import ROUTE, Event, IngestJob

log = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)


def missing() -> JSONResponse:
    """What the chat mounted at / answers for an address it does not have."""
    return JSONResponse({"detail": "Not Found"}, status_code=404)


FORWARDED = ("x-forwarded-for", "forwarded", "x-real-ip", "origin")


def _local(request: Request) -> bool:
    """From this machine, not relayed by a proxy or sent by a web page: a loopback peer, or
    the server's own address (a server bound to one interface is reached on it)."""
    peer = request.client.host if request.client else ""
    server = request.scope.get("server") or ("", 0)
    if any(h in request.headers for h in FORWARDED):
        return False
    try:
        return ipaddress.ip_address(peer).is_loopback or peer == server[0]
    except ValueError:
        return False


def _authorized(request: Request, token: str) -> bool:
    given = request.headers.get("authorization", "")
    return bool(token) and hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


@router.post(ROUTE)
async def ingest(request: Request, ctx: Ctx) -> Response:
    token: str = getattr(request.app.state, "admin_token", "") or ""
    engine = ctx.engine
    if not (_local(request) and _authorized(request, token) and isinstance(engine, Engine)):
        return missing()
    try:
        job = IngestJob.parse(await request.body())
    except (ValueError, AttributeError) as exc:
        return error(400, f"Malformed ingest job: {exc}")
    return StreamingResponse(events(engine, job), media_type="application/x-ndjson")


def events(engine: Engine, job: IngestJob) -> Iterator[bytes]:
    """The job's progress, then its report or error, one JSON line each. The ingest runs in
    its own thread and finishes even if the CLI goes away (a half-done job is safe, but
    there is no reason to leave one)."""
    from ingest.pipeline import IngestBusy

    out: queue.Queue[Event] = queue.Queue()

    def run() -> None:
        try:
            report = engine.ingest(
                job, lambda done, total: out.put(Event("progress", done=done, total=total))
            )
            out.put(Event("report", report=report, exit=1 if report.errors else 0))
        except (IngestBusy, StoreError) as exc:
            log.warning("ingest from CLI refused: %s", exc)
            out.put(Event("error", message=str(exc), exit=2))
        except Exception as exc:
            log.exception("ingest from CLI failed")
            out.put(Event("error", message=f"the ingest failed in the server: {exc}", exit=1))

    threading.Thread(target=run, name="ingest", daemon=True).start()
    while True:
        event = out.get()
        yield event.line()
        if event.kind != "progress":
            return
