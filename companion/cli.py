"""``companion`` command line: parses arguments, calls the library, prints text or JSON.

Heavy modules (torch, chromadb, gradio) are imported inside the commands so ``--help`` is quick.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from companion.settings import Settings

if TYPE_CHECKING:
    from companion.chat import ChatService
    from companion.editor.querylog import QueryLog
    from ingest.pipeline import IngestReport

app = typer.Typer(
    help="A chat companion for a film-review blog: ingest the blog's reviews, then answer "
    "fans' questions from them with citations. Settings come from COMPANION_* environment "
    "variables or a .env file (see docs/configuration.md).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def _settings() -> Settings:
    return Settings()


def _fail(message: str, code: int = 1) -> NoReturn:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def _emit(data: object) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


@app.callback()
def _main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log what happens.")] = False,
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


@app.command()
def ingest(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="Files, folders or URLs: Blogger or WordPress exports, RSS/Atom feeds, "
            "sitemaps, HTML pages, Markdown or text files. The kind is read from the content."
        ),
    ],
    prune: Annotated[
        bool, typer.Option("--prune", help="Delete stored posts that are gone from these paths.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would change; change nothing.")
    ] = False,
    base_url: Annotated[
        str,
        typer.Option(
            "--base-url",
            help="The blog's address, for Blogger exports that carry only each post's path.",
        ),
    ] = "",
    as_json: JsonOpt = False,
) -> None:
    """Chunk, embed and store reviews. Unchanged posts are skipped, edited ones replaced.

    With a server running on the data folder, the server does the ingest (Chroma's
    embedded store takes one process) and this prints its progress and summary.
    Exit status is 1 when any source or file could not be ingested (the rest still is).
    """
    from companion.errors import StoreError
    from companion.factory import build_components
    from ingest.pipeline import IngestBusy, run_ingest

    settings = _settings()
    show_progress = not as_json and sys.stderr.isatty()
    report = _handed_off(settings, paths, prune, dry_run, base_url, show_progress)
    if report is None:
        try:
            report = run_ingest(
                paths,
                settings,
                lambda: build_components(settings).store,
                prune=prune,
                dry_run=dry_run,
                show_progress=show_progress,
                base_url=base_url,
            )
        except (IngestBusy, StoreError) as exc:
            _fail(str(exc), 2)
            return
    _print_ingest(report, settings, as_json)


def _handed_off(
    settings: Settings,
    paths: list[str],
    prune: bool,
    dry_run: bool,
    base_url: str,
    show_progress: bool,
) -> IngestReport | None:
    """The report of the server that did the job, or None when this process should do it:
    no server runs on the data folder, the store is a Chroma server (which mediates itself),
    or a dry run (it never opens the store)."""
    from companion.web import handoff

    if dry_run or settings.chroma_url:
        return None
    job = handoff.IngestJob(handoff.absolute(paths), prune, dry_run, base_url)
    try:
        return handoff.ingest_by_server(settings.server_file, job, show_progress)
    except handoff.Failed as exc:
        _fail(str(exc), exc.exit)


def _print_ingest(report: IngestReport, settings: Settings, as_json: bool) -> None:
    """The summary (or ``--json``) and exit status, whichever process did the ingest."""
    if as_json:
        _emit(report.public())
    else:
        verb = "would be " if report.dry_run else ""
        typer.echo(
            f"Posts {verb}added: {report.added}, updated: {report.updated}, "
            f"skipped (unchanged): {report.skipped}, deleted: {report.deleted}, "
            f"errors: {len(report.errors)}"
        )
        if report.pages_fetched:
            typer.echo(
                f"Pages fetched: {report.pages_fetched} "
                f"({report.pages_unchanged} unchanged since the last ingest)"
            )
        if report.store_chunks is not None:
            typer.echo(
                f"Chunks embedded: {report.chunks_added}, removed: {report.chunks_deleted}; "
                f"store: {report.store_chunks} chunks in {settings.chroma_dir}"
            )
            typer.echo(
                f"Sentence vectors for answers: {report.sentences_embedded} embedded, "
                f"{report.sentences_dropped} dropped"
            )
        for warning in report.warnings:
            typer.secho(f"  note: {warning}", fg=typer.colors.YELLOW, err=True)
        for err in report.errors:
            typer.secho(f"  {err['source']}: {err['error']}", fg=typer.colors.YELLOW, err=True)
    if report.errors:
        raise typer.Exit(1)


def _chat(settings: Settings, strict: bool = False) -> ChatService:
    from companion.errors import StoreError
    from companion.factory import build_chat, build_components

    try:
        return build_chat(build_components(settings, create=False), strict)
    except StoreError as exc:
        _fail(str(exc), 2)


@app.command()
def search(
    question: Annotated[str, typer.Argument(help="What to look for.")],
    k: Annotated[int, typer.Option("-k", min=1, max=50, help="How many passages.")] = 5,
    as_json: JsonOpt = False,
) -> None:
    """Show the passages retrieval finds for a question, best first."""
    from companion.chat import QuestionError, check_question

    settings = _settings()
    try:
        q = check_question(question, settings.max_question_chars)
    except QuestionError as exc:
        _fail(str(exc))
        return
    chat = _chat(settings)
    passages = chat.retriever.retrieve(q, k)
    if as_json:
        _emit({"results": [p.as_result() for p in passages]})
        return
    for i, p in enumerate(passages, start=1):
        typer.echo(f"{i}. [{p.score:.3f}] {p.title} ({p.doc_id})")
        typer.echo(f"   {p.text[:300]}{'…' if len(p.text) > 300 else ''}")


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="A fan's question.")],
    strict: Annotated[
        bool,
        typer.Option("--strict", help="Fail (exit 1) instead of falling back when the LLM fails."),
    ] = False,
    spoilers: Annotated[
        bool, typer.Option("--spoilers", help="Include passages that reveal endings and twists.")
    ] = False,
    page_url: Annotated[
        str | None, typer.Option("--page-url", help="The blog post the fan is reading.")
    ] = None,
    context: Annotated[
        str | None,
        typer.Option(
            "--context", help="The `context` JSON of a previous answer, to ask a follow-up."
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Answer a question from the reviews, with numbered citations.

    "What did the blog think of X?" gives one verdict card per review of X; "films like X?"
    gives reviewed films close to X that the blog rated well; "X or Y?" compares them;
    "best-rated films from 2014", "what did Mara review?" list the archive's own records;
    "hi" and "thanks" get a short reply. `--json` adds the plan (what the question was
    understood as) and the context to send back with `--context` for a follow-up.
    """
    from companion.chat import ChatUnavailable, QuestionError

    state: dict[str, object] | None = None
    if context:
        try:
            state = json.loads(context)
        except ValueError as exc:
            _fail(f"--context is not JSON: {exc}", 2)
    settings = _settings()
    chat = _chat(settings, strict)
    try:
        if as_json:
            answer = chat.ask(question, None, page_url, spoilers, state)
        else:  # text: print the answer as it is written (a model's tokens, checked)
            shown = ""
            for item in chat.stream(question, None, page_url, spoilers, state):
                if isinstance(item, str):
                    typer.echo(item, nl=False)
                    shown += item
                else:
                    answer = item
    except (QuestionError, ChatUnavailable) as exc:
        _fail(str(exc))
        return
    if as_json:
        _emit(answer.public())
        return
    # The final answer is authoritative: a model that failed mid-answer is replaced by quotes.
    typer.echo("" if answer.text == shown else f"\n{answer.text}")
    for c in answer.citations:
        typer.echo(f"  [{c.n}] {c.title} — {c.date_text or 'undated'} — {c.url or c.source}")


@app.command()
def films(as_json: JsonOpt = False) -> None:
    """List the films the archive reviews, with each review's reviewer, date and link."""
    from companion.archive.catalog import film_catalog
    from companion.factory import build_components

    catalog = film_catalog(build_components(_settings(), create=False).store)
    if as_json:
        _emit({"films": catalog})
        return
    for entry in catalog:
        year = f" ({entry['year']})" if entry["year"] else ""
        typer.echo(f"{entry['film']}{year}")
        for r in entry["reviews"]:
            typer.echo(f"  {r['date'] or '?'}  {r['author'] or '?'}  {r['url'] or r['doc_id']}")


@app.command(name="eval")
def eval_(
    questions: Annotated[
        Path,
        typer.Argument(
            help='JSON lines {"q": str, "doc_ids": [str]} (empty doc_ids = unanswerable) and/or '
            'conversations {"id": str, "turns": [...]} (see eval/README.md).'
        ),
    ],
    k: Annotated[int, typer.Option("-k", min=1, max=50, help="Posts counted per question.")] = 5,
    url: Annotated[str | None, typer.Option(help="Ask a running server's /api/ask.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Measure retrieval (recall@k, MRR) and declining, and conversation turns answered right."""
    from companion.evaluation import format_result, read_cases, run_cases
    from companion.evaluation_conversations import EvalError

    settings = _settings()
    try:
        result = run_cases(read_cases(questions), k, lambda: _chat(settings), url)
    except EvalError as exc:
        _fail(str(exc))
        return
    if as_json:
        _emit(result)
    else:
        typer.echo(format_result(result))


def _since(value: str | None) -> dt.datetime | None:
    from companion.editor.querylog import parse_date

    try:
        return parse_date(value)
    except ValueError:
        _fail(f"{value!r} is not a date like 2026-11-01")
        raise


def _query_log(settings: Settings) -> QueryLog:
    from companion.editor.querylog import QueryLog

    if not settings.query_log_db.exists():
        _fail(f"no query log in {settings.data_dir} yet: it fills as fans use the chat", 2)
    return QueryLog(settings.query_log_db, settings.log_retention_days)


@app.command()
def report(
    since: Annotated[
        str | None, typer.Option(help="Only questions from this date on (2026-11-01).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """What fans asked: most asked films, questions the archive could not answer (grouped by
    film or topic), answers with a thumbs-down and sentences the citation check dropped."""
    from companion.editor.report import build_report, report_text

    settings = _settings()
    start = _since(since)
    result = build_report(_query_log(settings).rows(start), start)
    if as_json:
        _emit(result)
    else:
        typer.echo(report_text(result))


log_app = typer.Typer(help="Export or delete the query log (what fans asked).")
app.add_typer(log_app, name="log")


@log_app.command("export")
def log_export(
    since: Annotated[str | None, typer.Option(help="Only entries from this date on.")] = None,
) -> None:
    """Print the log as JSON lines, oldest first."""
    for row in _query_log(_settings()).rows(_since(since)):
        typer.echo(json.dumps(row, ensure_ascii=False))


@log_app.command("delete")
def log_delete(
    before: Annotated[str | None, typer.Option(help="Delete entries older than this date.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Delete every entry.")] = False,
) -> None:
    """Delete entries from the log (older than --before, or --all)."""
    if bool(before) == all_:
        _fail("say what to delete: --before DATE or --all")
    removed = _query_log(_settings()).delete(_since(before))
    typer.echo(f"deleted {removed} entries")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 7860).")] = None,
) -> None:
    """Serve the chat in the browser (same as `python app.py`)."""
    overrides = {k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    settings = Settings(**overrides)  # type: ignore[arg-type]
    from companion.errors import StoreError
    from companion.web.server import launch

    try:
        launch(settings)
    except StoreError as exc:
        _fail(str(exc), 2)


def main() -> None:
    """Run the CLI; an error the user can fix is one line on stderr, never a traceback."""
    from companion.errors import CompanionError

    try:
        app()
    except CompanionError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
