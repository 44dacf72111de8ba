"""The readable report of a run, as Markdown and as a self-contained HTML page (every piece of
item text escaped, no external assets). Both are rendered from the same blocks."""

import html
from dataclasses import dataclass
from typing import Any

from eval.gate import CEILINGS, METRICS, Comparison


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list[str]]


Block = str | list[str] | Table


def _num(value: Any) -> str:
    if value is None:
        return "–"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _passed(thresholds: dict[str, float], comparison: Comparison | None) -> str:
    checks = ["every floor and ceiling holds"] if thresholds else ["floors not checked"]
    if comparison:
        checks.append("no regression against the baseline")
    return "PASS: " + ", ".join(checks) + "."


def _signed(value: float | None) -> str:
    return "–" if value is None else "0" if value == 0 else f"{value:+g}"


def _short(text: str, limit: int = 240) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _item_rows(records: list[dict[str, Any]], ids: list[str]) -> list[list[str]]:
    by_id = {r["id"]: r for r in records}
    rows = []
    for item_id in ids:
        r = by_id.get(item_id)
        if r is None:
            rows.append([item_id, "", "", "(not in this run)", "", "", ""])
            continue
        cited = ", ".join(sorted({c["doc_id"] for c in r["citations"]})) or "–"
        answer = "(declined)" if r["abstained"] else _short(r["answer"])
        critical = "yes" if r["critical"] else ""
        expected = _short(r["expected"], 120)
        rows.append([item_id, r["type"], critical, r["question"], expected, answer, cited])
    return rows


ITEM_HEADERS = ["id", "type", "critical", "question", "expected", "answer", "cited"]
TYPE_COLUMNS = {
    "answer_accuracy": "answer accuracy",
    "abstention_accuracy": "unanswerable declined",
    "false_abstention_rate": "answerable declined",
    "citation_precision": "citation precision",
    "citation_recall": "citation recall",
    "retrieval_hit_at_k": "retrieval hit",
}


def build(
    summary: dict[str, Any],
    records: list[dict[str, Any]],
    failures: list[str],
    thresholds: dict[str, float],
    comparison: Comparison | None,
) -> list[tuple[str, list[Block]]]:
    run = summary.get("run", {})
    gold = ", ".join(f"{g['path']} ({g['items']})" for g in run.get("gold", []))
    head: list[Block] = [
        f"Gold: {gold}. {summary['n_items']} items, mode {run.get('mode')}, store "
        f"{run.get('store')} ({run.get('documents')} documents, {run.get('chunks')} chunks), "
        f"answered in {run.get('seconds')} s, {run.get('finished_at')}.",
        [f"FAIL: {line}" for line in failures] or [_passed(thresholds, comparison)],
    ]
    changes = {m.metric: m for m in comparison.metrics} if comparison else {}
    metric_rows = []
    for metric in METRICS:
        limit = thresholds.get(metric)
        bound = "" if limit is None else f"{'≤' if metric in CEILINGS else '≥'} {limit:g}"
        change = changes.get(metric)
        metric_rows.append(
            [metric, _num(summary.get(metric)), bound]
            + ([_num(change.baseline), _signed(change.delta), change.status] if change else [])
        )
    headers = ["metric", "value", "threshold"]
    headers += ["baseline", "Δ", "vs baseline"] if comparison else []
    sections: list[tuple[str, list[Block]]] = [
        ("newsqa eval: " + ("FAIL" if failures else "PASS"), head),
        ("Metrics", [Table(headers, metric_rows)]),
    ]
    type_rows = [
        [name, str(m["n_items"])] + [_num(m.get(key)) for key in TYPE_COLUMNS]
        for name, m in summary["by_type"].items()
    ]
    sections.append(
        ("By question type", [Table(["type", "items", *TYPE_COLUMNS.values()], type_rows)])
    )
    judge = summary.get("judge")
    if judge:
        sections.append((
            "LLM judge (reported, never gating)",
            [f"Judge model {judge['model']}: {judge['n_judged']} answers graded, "
             f"{judge['n_errors']} with a failed judge call.",
             Table(["metric", "mean score"], [["faithfulness", _num(judge["faithfulness"])],
                   ["answer_relevancy", _num(judge["answer_relevancy"])]])],
        ))  # fmt: skip
    if comparison:
        groups: dict[str, list[str]] = {}
        for moved in comparison.items:
            groups.setdefault(moved.status, []).append(moved.id)
        counts = ", ".join(
            f"{len(groups.get(s, []))} {s}"
            for s in ("regressed", "improved", "unchanged", "new", "removed")
        )
        blocks: list[Block] = [f"Items against the baseline: {counts}."]
        for status, title in (("regressed", "Regressions (pass → fail)"),
                              ("improved", "Improvements (fail → pass)"),
                              ("new", "New items"), ("removed", "Removed items")):  # fmt: skip
            if groups.get(status):
                blocks += [f"{title}:", Table(ITEM_HEADERS, _item_rows(records, groups[status]))]
        sections.append(("Against the baseline", blocks))
    failing = [r["id"] for r in records if not r["pass"]["item"]]
    sections.append((
        f"Failing items ({len(failing)})",
        [Table(ITEM_HEADERS, _item_rows(records, failing))] if failing else ["None."],
    ))  # fmt: skip
    return sections


def _md_cell(text: str) -> str:
    return " ".join(text.split()).replace("\\", "\\\\").replace("|", "\\|")


def to_markdown(sections: list[tuple[str, list[Block]]]) -> str:
    out = []
    for level, (title, blocks) in enumerate(sections):
        out.append(("# " if level == 0 else "## ") + title + "\n")
        for block in blocks:
            if isinstance(block, Table):
                out.append("| " + " | ".join(map(_md_cell, block.headers)) + " |")
                out.append("|" + "---|" * len(block.headers))
                out += ["| " + " | ".join(map(_md_cell, row)) + " |" for row in block.rows]
                out.append("")
            elif isinstance(block, list):
                out += [f"- {line}" for line in block] + [""]
            else:
                out.append(block + "\n")
    return "\n".join(out).rstrip() + "\n"


STYLE = (
    "body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:72em;padding:0 1em}"
    "table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{border:1px solid #ccc;"
    "padding:.25em .5em;text-align:left;vertical-align:top}th{background:#f3f3f3}"
    ".fail{color:#a00}.pass{color:#070}"
)


def to_html(sections: list[tuple[str, list[Block]]]) -> str:
    e = html.escape
    out = [f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>"
           f"{e(sections[0][0])}</title><style>{STYLE}</style></head><body>"]  # fmt: skip
    for level, (title, blocks) in enumerate(sections):
        tag = "h1" if level == 0 else "h2"
        out.append(f"<{tag}>{e(title)}</{tag}>")
        for block in blocks:
            if isinstance(block, Table):
                out.append("<table><tr>" + "".join(f"<th>{e(h)}</th>" for h in block.headers))
                for row in block.rows:
                    out.append("<tr>" + "".join(f"<td>{e(cell)}</td>" for cell in row) + "</tr>")
                out.append("</table>")
            elif isinstance(block, list):
                lines = "".join(
                    f'<li class="{"fail" if line.startswith("FAIL") else "pass"}">{e(line)}</li>'
                    for line in block
                )
                out.append(f"<ul>{lines}</ul>")
            else:
                out.append(f"<p>{e(block)}</p>")
    return "\n".join(out) + "\n</body></html>\n"
