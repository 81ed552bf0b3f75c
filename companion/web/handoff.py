"""``companion ingest`` handing its job to the server that runs on the same data folder, so
that one process does all access to Chroma's embedded store, which is not process-safe (an
ingest from another process made 14 of 182 fans' questions fail with "Error finding id").

The server writes ``server.json`` (mode 0600: its loopback address, a random token, its pid)
and removes it when it stops; the CLI posts the job to the loopback-only ``/admin/ingest``
and reads newline-delimited JSON events back: progress, then the report or an error. This
module is the two sides' shared language and the CLI's client; it imports no web framework.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from ingest.pipeline import IngestReport

log = logging.getLogger(__name__)

ROUTE = "/admin/ingest"


class Stale(RuntimeError):
    """No server answers for ``server.json``: the CLI ingests directly."""


class Lost(RuntimeError):
    """The server stopped in the middle of the job."""


@dataclass(frozen=True)
class ServerFile:
    url: str
    token: str
    pid: int


def new_token() -> str:
    return secrets.token_urlsafe(32)


def write_server_file(path: Path, url: str, token: str) -> ServerFile:
    """Readable by this user only (created 0600, then renamed into place, so a reader never
    sees half of it)."""
    info = ServerFile(url, token, os.getpid())
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(asdict(info), f)
    os.replace(tmp, path)
    return info


def read_server_file(path: Path) -> ServerFile | None:
    try:
        data = json.loads(path.read_text())
        return ServerFile(str(data["url"]), str(data["token"]), int(data["pid"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def remove_server_file(path: Path, mine: ServerFile) -> None:
    """Remove the file if it is still this server's (another may have started since)."""
    if read_server_file(path) == mine:
        path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive, and not ours to talk to
        return True
    return True


def find_server(path: Path) -> ServerFile | None:
    """The server running on this data folder, if any; a file left by a dead one is removed."""
    info = read_server_file(path)
    if info is None:
        return None
    if not _alive(info.pid):
        log.info("removing %s: server pid %d is gone", path, info.pid)
        path.unlink(missing_ok=True)
        return None
    return info


@dataclass(frozen=True)
class IngestJob:
    """What ``companion ingest`` asks for; paths are absolute (the server has its own cwd)."""

    paths: list[str]
    prune: bool = False
    dry_run: bool = False
    base_url: str = ""

    @classmethod
    def parse(cls, body: bytes) -> IngestJob:
        data = json.loads(body)
        paths = data.get("paths") if isinstance(data, dict) else None
        if not isinstance(paths, list) or not paths or not all(isinstance(p, str) for p in paths):
            raise ValueError("paths must be a non-empty list of strings")
        if not all(p.startswith(("/", "http://", "https://")) for p in paths):
            raise ValueError("paths must be absolute paths or URLs")
        return cls(
            paths,
            bool(data.get("prune")),
            bool(data.get("dry_run")),
            str(data.get("base_url") or ""),
        )


def absolute(paths: list[str]) -> list[str]:
    """Paths as the CLI's own directory means them; URLs unchanged."""
    from ingest.fetch import is_url

    return [p if is_url(p) else str(Path(p).expanduser().resolve()) for p in paths]


@dataclass
class Event:
    kind: Literal["progress", "report", "error"]
    done: int = 0
    total: int = 0
    report: IngestReport | None = None
    message: str = ""
    exit: int = 0

    def line(self) -> bytes:
        data: dict[str, Any] = {"event": self.kind}
        if self.kind == "progress":
            data |= {"done": self.done, "total": self.total}
        elif self.report is not None:
            data |= {"report": asdict(self.report), "exit": self.exit}
        else:
            data |= {"message": self.message, "exit": self.exit}
        return (json.dumps(data, ensure_ascii=False) + "\n").encode()

    @classmethod
    def parse(cls, line: str) -> Event:
        data = json.loads(line)
        kind = data["event"]
        if kind == "progress":
            return cls("progress", done=int(data["done"]), total=int(data["total"]))
        if kind == "report":
            return cls("report", report=IngestReport(**data["report"]), exit=int(data["exit"]))
        return cls("error", message=str(data["message"]), exit=int(data["exit"]))


def hand_off(server: ServerFile, job: IngestJob, on_progress: Callable[[int, int], None]) -> Event:
    """Run ``job`` in ``server``: its final event (the report, or an error with the exit
    status). ``Stale`` when nothing answers for the file, ``Lost`` when it stops mid-job."""
    import httpx

    timeout = httpx.Timeout(10.0, read=None)  # embedding a large archive takes its time
    headers = {"Authorization": f"Bearer {server.token}"}
    try:
        with httpx.stream(
            "POST", server.url + ROUTE, json=asdict(job), headers=headers, timeout=timeout
        ) as response:
            if response.status_code != 200:
                raise Stale(f"{server.url} answered {response.status_code}")
            for line in response.iter_lines():
                if not line.strip():
                    continue
                event = Event.parse(line)
                if event.kind != "progress":
                    return event
                on_progress(event.done, event.total)
    except httpx.ConnectError as exc:
        raise Stale(f"{server.url}: {exc}") from exc
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
        raise Lost(str(exc)) from exc
    raise Lost("the answer ended before the report")


class Failed(RuntimeError):
    """The server took the job and it failed: the message for the editor, and the exit status."""

    def __init__(self, message: str, exit: int) -> None:
        super().__init__(message)
        self.exit = exit


def ingest_by_server(server_file: Path, job: IngestJob, show_progress: bool) -> IngestReport | None:
    """The report of the server running on the data folder, which did ``job``; None when
    none runs (or its file is stale) and the caller should ingest itself. ``Failed`` when the
    server stopped mid-job or reported an error."""
    server = find_server(server_file)
    if server is None:
        return None
    update, close = progress_bar(show_progress)
    try:
        event = hand_off(server, job, update)
    except Stale as exc:
        log.info("ignoring %s: %s", server_file, exc)
        return None
    except Lost as exc:
        raise Failed(
            f"the server doing this ingest (pid {server.pid}, {server.url}) stopped before it "
            f"finished ({exc}); nothing is lost: run the ingest again",
            2,
        ) from exc
    finally:
        close()
    if event.report is None:
        raise Failed(event.message, event.exit)
    return event.report


def progress_bar(enabled: bool) -> tuple[Callable[[int, int], None], Callable[[], None]]:
    """The embedding bar a direct ingest shows, fed by the server's events; and its closer."""
    from tqdm import tqdm

    bars: list[Any] = []

    def update(done: int, total: int) -> None:
        if not enabled:
            return
        if not bars:
            bars.append(tqdm(total=total, unit="post", desc="Embedding", file=sys.stderr))
        bars[0].update(done - bars[0].n)

    def close() -> None:
        for bar in bars:
            bar.close()

    return update, close
