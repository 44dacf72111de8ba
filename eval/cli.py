"""`newsqa eval` and `python -m eval`: run the gold sets, write the report, gate the result.
Exit 0: pass; 1: a floor or ceiling crossed, or a regression against the baseline; 2: the harness
could not run (bad gold file, unreadable baseline, store or configuration error)."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from eval import ARTICLES, BASELINE, THRESHOLDS

if TYPE_CHECKING:  # the harness imports the store and models: only when the command runs
    from eval.harness import Outcome

err = Console(stderr=True, soft_wrap=True)
PHASES = {"ingest": "ingested {} files", "answer": "answered {} items", "judge": "judged {} items"}


def _print(outcome: "Outcome") -> None:
    from eval.gate import METRICS

    changes = {m.metric: m for m in outcome.comparison.metrics} if outcome.comparison else {}
    for metric in ("n_items", *METRICS):
        line = f"{metric:<22} {outcome.summary.get(metric)}"
        change = changes.get(metric)
        if change is not None and change.delta is not None:
            line += f"  (baseline {change.baseline}, {change.delta:+g}, {change.status})"
        typer.echo(line)
    judge = outcome.summary.get("judge")
    if judge:
        typer.echo(
            f"judge (not gating)      faithfulness {judge['faithfulness']}, "
            f"answer_relevancy {judge['answer_relevancy']}, {judge['n_errors']} judge errors"
        )
    for line in outcome.failures:
        typer.echo(f"FAIL: {line}")
    if not outcome.failures:
        typer.echo("PASS")
    if outcome.baseline_written:
        typer.echo(f"baseline written to {outcome.baseline_written}")
    typer.echo("wrote " + ", ".join(str(path) for path in outcome.files))


def eval_command(
    gold: Annotated[
        list[Path], typer.Option(help="Gold set, JSONL (repeatable; ids unique across files)")
    ],
    baseline: Annotated[
        Path | None,
        typer.Option(help="A previous summary.json (from --out) or eval/baseline.json"),
    ] = None,
    out: Annotated[
        Path, typer.Option(help="Folder for summary.json, items.jsonl, report.md, report.html")
    ] = Path("eval-output"),
    update_baseline: Annotated[
        bool,
        typer.Option(
            "--update-baseline",
            help=f"Write this run's summary to --baseline (default {BASELINE.name}) when the "
            "floors hold; changes against the old baseline are reported, not gated",
        ),
    ] = False,
    floors: Annotated[
        bool, typer.Option(help="Check the floors and ceilings of --thresholds")
    ] = True,
    thresholds: Annotated[
        Path, typer.Option(help="Floors, ceilings and baseline tolerance (TOML)")
    ] = THRESHOLDS,
    store: Annotated[
        str,
        typer.Option(
            help="temp: ingest --articles into a fresh temporary store (default); "
            "current: the configured store, read only"
        ),
    ] = "temp",
    articles: Annotated[Path, typer.Option(help="Articles for --store temp")] = ARTICLES,
    judge: Annotated[
        bool | None,
        typer.Option(help="LLM-judge metrics (never gating); default: on when NEWSQA_LLM=openai"),
    ] = None,
) -> None:
    """Evaluate answers against gold sets and gate on thresholds and a baseline."""
    from eval.harness import Options, run
    from service.errors import NewsqaError

    if store not in ("temp", "current"):
        raise typer.BadParameter("--store is temp or current")
    kind: Literal["temp", "current"] = "temp" if store == "temp" else "current"
    options = Options(
        gold, baseline, out, update_baseline, floors, thresholds, kind, articles, judge
    )  # fmt: skip
    try:
        with Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), console=err, transient=True, disable=not err.is_terminal,
        ) as progress:  # fmt: skip
            tasks: dict[str, TaskID] = {}

            def on_progress(phase: str, done: int, total: int) -> None:
                if phase not in tasks:
                    tasks[phase] = progress.add_task(phase, total=total)
                progress.update(tasks[phase], completed=done, total=total)
                if not err.is_terminal and total and done == total:
                    err.print(PHASES.get(phase, phase + " {}").format(f"{done}/{total}"))

            outcome = run(options, on_progress)
    except NewsqaError as exc:
        err.print(f"newsqa eval: error: {exc.message}", markup=False, highlight=False)
        raise typer.Exit(2) from None
    except Exception as exc:  # a harness bug is a harness error too, on one line
        err.print(f"newsqa eval: error: {type(exc).__name__}: {exc}", markup=False)
        raise typer.Exit(2) from None
    _print(outcome)
    raise typer.Exit(outcome.exit_code)


app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
app.command(help="Evaluate answers against gold sets and gate the result.")(eval_command)
