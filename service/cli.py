"""The `newsqa` command line. Domain errors become a one-line message and a non-zero exit."""

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from eval.cli import eval_command
from service.answer.models import Citation
from service.config import Settings, load_settings
from service.errors import ConfigError, InputError, NewsqaError
from service.ingest.report import IngestReport, ItemResult, Outcome
from service.retrieval.hybrid import Filters
from service.signals import StopSignals, Terminated
from service.summary.service import DEFAULT_WORDS, MAX_WORDS, MIN_WORDS

if TYPE_CHECKING:
    from service.services import Services

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Ask questions about news articles.",
)
err = Console(stderr=True, soft_wrap=True)


def _settings() -> Settings:
    return load_settings()


@app.command()
def ingest(
    paths: Annotated[
        list[Path], typer.Argument(help="Files or folders (.txt .md .html .json .jsonl)")
    ],
) -> None:
    """Ingest articles; unchanged ones are skipped without embedding anything. SIGTERM or
    Ctrl+C stops it between groups of documents."""
    note = "; every document stored is whole, and the same ingest again finishes the job"
    with StopSignals(note) as stop:
        report = _ingest(paths, stop)
    typer.echo(report.summary())
    if report.failed:
        raise typer.Exit(1)


def _ingest(paths: list[Path], stop: StopSignals) -> IngestReport:
    from service.services import build_services

    services = build_services(_settings(), writer=True)
    _say_if_repaired(services)
    try:
        with Progress(
            TextColumn("ingesting"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=err, transient=True, disable=not err.is_terminal,
        ) as progress:  # fmt: skip
            task = progress.add_task("ingest", total=None)

            def on_result(result: ItemResult) -> None:
                if result.outcome is Outcome.FAILED:
                    progress.console.print(
                        f"[red]error[/red]: {escape(result.source)}: {escape(result.error or '')}"
                    )
                stop.check()  # a callback runs between writes, never inside one

            def on_progress(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)
                # A log shows when files start going in, then every hundred.
                if not err.is_terminal and done and (done in (1, total) or done % 100 == 0):
                    err.print(f"ingested {done}/{total} files")
                stop.check()

            with stop.deferred():
                return services.ingestor.ingest_paths(
                    paths, on_result=on_result, on_progress=on_progress
                )
    finally:
        services.close()


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, in plain words")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the POST /v1/ask object")] = False,
    top_k: Annotated[int, typer.Option(min=1, max=50, help="Passages to retrieve")] = 6,
    doc: Annotated[list[str] | None, typer.Option(help="Only this document (repeatable)")] = None,
) -> None:
    """Answer a question from the ingested articles, with citations."""
    from service.services import build_services

    if not question.strip():
        raise NewsqaError("the question is empty")
    services = build_services(_settings(), writer=False)
    try:
        filters = Filters(doc_ids=frozenset(doc)) if doc else None
        result = services.answerer.answer(question.strip(), top_k=top_k, filters=filters)
    finally:
        services.close()
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
        return
    _print_cited(result.answer, result.citations)


@app.command()
def summarize(
    doc: Annotated[str | None, typer.Option(help="Summarize this article (its id)")] = None,
    topic: Annotated[str | None, typer.Option(help="Summarize this topic across articles")] = None,
    max_words: Annotated[
        int, typer.Option(min=MIN_WORDS, max=MAX_WORDS, help="Longest summary, in words")
    ] = DEFAULT_WORDS,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the POST /v1/summarize object")
    ] = False,
) -> None:
    """Summarize one article (--doc) or a topic across articles (--topic), with citations."""
    from service.services import build_services

    if (doc is None) == (topic is None):
        raise typer.BadParameter("give exactly one of --doc ID or --topic TEXT")
    if topic is not None and not topic.strip():
        raise InputError("the topic is empty")
    services = build_services(_settings(), writer=False)
    try:
        if doc is not None:
            result = services.summarizer.summarize_document(doc, max_words)
        else:
            result = services.summarizer.summarize_topic(topic or "", max_words)
    finally:
        services.close()
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
        return
    _print_cited(result.summary, result.citations)


def _print_cited(text: str, citations: list[Citation]) -> None:
    typer.echo(text)
    for citation in citations:
        where = f"{citation.doc_id} {citation.start}-{citation.end}"
        typer.echo(f"  [{citation.n}] {citation.label} ({where})")
        typer.echo(f"      “{citation.quote}”")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port")] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Worker processes; more than 1 needs a Chroma server")
    ] = 1,
) -> None:
    """Serve the REST API on HOST:PORT."""
    import uvicorn

    from service.logs import configure_logging
    from service.main import create_app
    from service.services import build_services

    settings = load_settings(bind_host=host)  # the rate limit's default depends on it
    # The app writes one access line a request, so uvicorn's own is off.
    logs = configure_logging(settings.log_format)
    graceful = settings.shutdown_timeout_seconds
    if workers > 1:
        if not settings.chroma_url:
            raise ConfigError(
                "several workers need a Chroma server (set NEWSQA_CHROMA_URL): "
                "the embedded store allows one writing process"
            )
        # Each worker process builds its own clients, and reads its settings, in the lifespan.
        os.environ["NEWSQA_BIND_HOST"] = host
        uvicorn.run("service.main:create_app", factory=True, host=host, port=port, workers=workers,
                    log_config=logs, access_log=False,
                    timeout_graceful_shutdown=graceful)  # fmt: skip
        return
    with StopSignals():
        services = build_services(settings, writer=True)
        _say_if_repaired(services)
        try:
            uvicorn.run(create_app(services=services), host=host, port=port, log_level="info",
                        log_config=logs, access_log=False,
                        timeout_graceful_shutdown=graceful)  # fmt: skip
        except Terminated:
            pass  # uvicorn raises the signal it stopped for again, once it stopped gracefully
        finally:
            services.close()


@app.command()
def repair() -> None:
    """Check the embedded store in a child process; rebuild it from its document records if it
    is damaged (the damaged files are kept). Runs by itself after a writer was killed."""
    from service.services import build_services

    settings = _settings()
    if settings.chroma_url:
        raise ConfigError(
            "repair works on the embedded store; a Chroma server (NEWSQA_CHROMA_URL) keeps "
            "its own files"
        )
    services = build_services(settings, writer=True, check_store=True)
    try:
        counts = services.store.count_documents(), services.store.count_chunks()
    finally:
        services.close()
    if services.repaired is None:
        typer.echo(
            f"the store at {settings.data_dir} reads cleanly: "
            f"{counts[0]} documents, {counts[1]} chunks"
        )
    else:
        typer.echo(services.repaired.summary())


def _say_if_repaired(services: "Services") -> None:
    if services.repaired is not None:
        err.print(f"newsqa: {services.repaired.summary()}", highlight=False, markup=False)


@app.command("llm-server")
def llm_server(
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port")] = 8080,
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    context: Annotated[
        int, typer.Option(min=512, max=32768, help="Context window in tokens (n_ctx)")
    ] = 2048,
    threads: Annotated[
        int | None, typer.Option(min=1, help="CPU threads; default: every core available")
    ] = None,
) -> None:
    """Serve the bundled local LLM (Gemma 3 270M, llama.cpp), OpenAI-compatible, on HOST:PORT."""
    from service.local_llm import MODEL_ALIAS, become, default_threads, server_command

    argv = server_command(host, port, context, threads or default_threads())
    base_url = f"http://{host}:{port}/v1"
    err.print(
        f"serving {MODEL_ALIAS} at {base_url}; point newsqa at it with\n"
        f"  NEWSQA_LLM=openai OPENAI_BASE_URL={base_url} NEWSQA_LLM_MODEL={MODEL_ALIAS}",
        highlight=False,
    )
    become(argv)


app.command(
    "eval",
    help="Evaluate answers against gold sets (JSONL) and gate the result: exit 0 pass, "
    "1 below a floor or a regression against --baseline, 2 harness error.",
)(eval_command)


def main() -> None:
    try:
        app()
    except ConfigError as exc:
        typer.echo(f"newsqa: configuration error: {exc.message}", err=True)
        sys.exit(2)
    except NewsqaError as exc:
        typer.echo(f"newsqa: error: {exc.message}", err=True)
        sys.exit(1)
    except Terminated as stopped:
        typer.echo(f"newsqa: {stopped}", err=True)
        sys.exit(stopped.exit_code)


if __name__ == "__main__":
    main()
