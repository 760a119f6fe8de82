"""A comparison as a Markdown report (for reviews and CI logs) and a self-contained HTML page
(both runs side by side, differences highlighted, nothing fetched from the network)."""

from __future__ import annotations

import difflib
import html
import json
from pathlib import Path
from typing import Any

from twilio_compat.migration.compare import Comparison, ExchangePair, FieldDifference

MAX_FIELD_ROWS = 40


def _lines(view: dict[str, Any] | None) -> list[str]:
    if view is None:
        return ["(no such call on this side)"]
    return json.dumps(view, indent=2, sort_keys=False, ensure_ascii=False).splitlines()


def _status(view: dict[str, Any] | None) -> str:
    return "-" if view is None else str(view["status"])


def _verdict(pair: ExchangePair) -> str:
    if pair.a is None:
        return "only in B"
    if pair.b is None:
        return "only in A"
    return "same" if pair.same else f"{len(pair.differences)} field(s) differ"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- Markdown -------------------------------------------------------------------------------------


def markdown(comparison: Comparison) -> str:
    a, b = comparison.a, comparison.b
    lines = [
        f"# Compare report: {a.scenario or b.scenario}",
        "",
        "| | A | B |",
        "|---|---|---|",
        f"| backend | {_cell(a.backend)} | {_cell(b.backend)} |",
        f"| recorded | {a.recorded_at} | {b.recorded_at} |",
        f"| exchanges | {len(a.exchanges)} | {len(b.exchanges)} |",
        f"| outcome | {_cell(comparison.outcome_a)} | {_cell(comparison.outcome_b)} |",
        "",
        f"**Result: {comparison.summary()}**",
        "",
        "SIDs are numbered by first appearance per prefix (`CH#1`), timestamps, page tokens and "
        "hosts are normalised; only what remains is compared.",
        "",
        "## Exchanges",
        "",
        "| # | request | A | B | verdict |",
        "|---:|---|---:|---:|---|",
    ]
    for pair in comparison.pairs:
        lines.append(
            f"| {pair.number} | `{_cell(pair.title)}` | {_status(pair.a)} | {_status(pair.b)} "
            f"| {_verdict(pair)} |"
        )
    if comparison.differing:
        lines += ["", "## Differences"]
    for pair in comparison.differing:
        lines += ["", f"### {pair.number}. `{pair.title}` ({_verdict(pair)})", ""]
        lines += _markdown_fields(pair.differences)
        diff = difflib.unified_diff(
            _lines(pair.a), _lines(pair.b), "A " + a.backend, "B " + b.backend, lineterm=""
        )
        lines += ["", "```diff", *diff, "```"]
    return "\n".join(lines) + "\n"


def _markdown_fields(differences: tuple[FieldDifference, ...]) -> list[str]:
    rows = ["| field | A | B |", "|---|---|---|"]
    for item in differences[:MAX_FIELD_ROWS]:
        rows.append(
            f"| `{_cell(item.path)}` | `{_cell(_short(FieldDifference.show(item.a)))}` "
            f"| `{_cell(_short(FieldDifference.show(item.b)))}` |"
        )
    if len(differences) > MAX_FIELD_ROWS:
        rows.append(f"| ... {len(differences) - MAX_FIELD_ROWS} more | | |")
    return rows


# -- HTML -----------------------------------------------------------------------------------------

_STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px;
       color: #1f2328; background: #fff; }
h1 { font-size: 22px; margin: 0 0 12px; }
h2 { font-size: 17px; margin: 28px 0 8px; }
code, td.code, table.diff td { font-family: ui-monospace, "SFMono-Regular", Menlo, monospace;
       font-size: 12px; }
.verdict { padding: 10px 14px; border-radius: 6px; font-weight: 600; margin: 12px 0; }
.verdict.ok { background: #dafbe1; color: #116329; border: 1px solid #4ac26b; }
.verdict.bad { background: #ffebe9; color: #82071e; border: 1px solid #ff8182; }
table.meta, table.list, table.fields { border-collapse: collapse; margin: 8px 0; }
table.meta td, table.meta th, table.list td, table.list th, table.fields td, table.fields th {
       border: 1px solid #d0d7de; padding: 4px 8px; text-align: left; vertical-align: top; }
table.list tr.same td { color: #57606a; }
table.list tr.differ td { background: #fff8c5; }
table.list tr.missing td { background: #ffebe9; }
.pill { display: inline-block; padding: 0 6px; border-radius: 10px; font-size: 12px; }
.pill.same { background: #dafbe1; } .pill.differ { background: #fff8c5; }
.pill.missing { background: #ffebe9; }
section.pair { border: 1px solid #d0d7de; border-radius: 6px; padding: 4px 14px 14px;
       margin: 16px 0; }
table.diff { border-collapse: collapse; width: 100%; }
table.diff td { padding: 0 4px; white-space: pre-wrap; word-break: break-all;
       vertical-align: top; }
table.diff th { background: #f6f8fa; border-bottom: 1px solid #d0d7de; padding: 4px; }
table.diff td.diff_header { color: #8c959f; text-align: right; width: 1%;
       white-space: nowrap; }
table.diff td:not(.diff_header):not(.diff_next) { width: 50%; }
table.diff .diff_next { width: 0; padding: 0; font-size: 0; }
table.diff .diff_next a { display: none; }
.diff_add { background: #ccffd8; } .diff_chg { background: #fff2a8; }
.diff_sub { background: #ffd7d5; }
details { margin: 4px 0; } summary { cursor: pointer; }
"""


def _html_fields(differences: tuple[FieldDifference, ...]) -> str:
    rows = "".join(
        f"<tr><td class='code'>{html.escape(d.path)}</td>"
        f"<td class='code diff_sub'>{html.escape(_short(FieldDifference.show(d.a), 300))}</td>"
        f"<td class='code diff_add'>{html.escape(_short(FieldDifference.show(d.b), 300))}</td>"
        "</tr>"
        for d in differences[:MAX_FIELD_ROWS]
    )
    more = (
        f"<tr><td colspan='3'>… {len(differences) - MAX_FIELD_ROWS} more</td></tr>"
        if len(differences) > MAX_FIELD_ROWS
        else ""
    )
    return f"<table class='fields'><tr><th>field</th><th>A</th><th>B</th></tr>{rows}{more}</table>"


def page(comparison: Comparison) -> str:
    """The whole report as one HTML document with its own styles."""
    a, b = comparison.a, comparison.b
    side_by_side = difflib.HtmlDiff(tabsize=2, wrapcolumn=None)
    diverged = comparison.diverged
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Compare report: {html.escape(a.scenario or b.scenario)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>Compare report: <code>{html.escape(a.scenario or b.scenario)}</code></h1>",
        f"<div class='verdict {'bad' if diverged else 'ok'}'>"
        f"{html.escape(comparison.summary())}</div>",
        "<table class='meta'><tr><th></th><th>A</th><th>B</th></tr>",
        f"<tr><th>backend</th><td>{html.escape(a.backend)}</td>"
        f"<td>{html.escape(b.backend)}</td></tr>",
        f"<tr><th>recorded</th><td>{html.escape(a.recorded_at)}</td>"
        f"<td>{html.escape(b.recorded_at)}</td></tr>",
        f"<tr><th>exchanges</th><td>{len(a.exchanges)}</td><td>{len(b.exchanges)}</td></tr>",
        f"<tr><th>outcome</th><td>{html.escape(comparison.outcome_a)}</td>"
        f"<td>{html.escape(comparison.outcome_b)}</td></tr></table>",
        "<p>SIDs are numbered by first appearance per prefix (<code>CH#1</code>); timestamps, "
        "page tokens and hosts are normalised. Only what remains is compared.</p>",
        "<h2>Exchanges</h2><table class='list'>",
        "<tr><th>#</th><th>request</th><th>A</th><th>B</th><th>verdict</th></tr>",
    ]
    for pair in comparison.pairs:
        kind = "same" if pair.same else "missing" if pair.a is None or pair.b is None else "differ"
        link = (
            html.escape(pair.title)
            if pair.same
            else f"<a href='#pair-{pair.number}'>{html.escape(pair.title)}</a>"
        )
        parts.append(
            f"<tr class='{kind}'><td>{pair.number}</td><td class='code'>{link}</td>"
            f"<td>{_status(pair.a)}</td><td>{_status(pair.b)}</td>"
            f"<td><span class='pill {kind}'>{html.escape(_verdict(pair))}</span></td></tr>"
        )
    parts.append("</table>")
    if comparison.differing:
        parts.append("<h2>Differences, side by side</h2>")
    for pair in comparison.differing:
        title = f"{pair.number}. {html.escape(pair.title)}"
        table = side_by_side.make_table(
            _lines(pair.a),
            _lines(pair.b),
            html.escape("A: " + a.backend),
            html.escape("B: " + b.backend),
            context=True,
            numlines=4,
        )
        parts.append(
            f"<section class='pair' id='pair-{pair.number}'><h3><code>{title}</code> "
            f"({html.escape(_verdict(pair))})</h3>{_html_fields(pair.differences)}{table}"
            "</section>"
        )
    identical = [p for p in comparison.pairs if p.same]
    if identical:
        parts.append("<h2>Identical exchanges</h2>")
        for pair in identical:
            body = html.escape("\n".join(_lines(pair.a)))
            parts.append(
                f"<details><summary><code>{pair.number}. {html.escape(pair.title)}</code> "
                f"({_status(pair.a)})</summary><pre>{body}</pre></details>"
            )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write(comparison: Comparison, folder: Path) -> tuple[Path, Path]:
    """Write ``report.md`` and ``report.html`` into ``folder``; their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    md, page_file = folder / "report.md", folder / "report.html"
    md.write_text(markdown(comparison), encoding="utf-8")
    page_file.write_text(page(comparison), encoding="utf-8")
    return md, page_file


__all__ = ["markdown", "page", "write"]
