"""The drawing of a gradient check's report: a rich view and a plain-text view.

:class:`~graphnet.tools.verdicts.GradientReport` shows itself through
:mod:`graphnet.common.display`; this module registers the two drawers when it is imported
(``import graphnet`` imports it):

* :func:`render_report`, the rich view (``report.__rich__()``, ``report.render()``): the
  summary line, the worst rows as a table with the verdicts in colour, the per-layer table;
* :func:`report_text`, the plain text for logs (``report.to_text()``): the same, in fixed
  columns, with the numbers to ten digits.

Both show the rows worst first (by verdict severity, then by how far past the "ok" bound).
"""

from __future__ import annotations

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from graphnet.common import display
from graphnet.math.validation import check_count
from graphnet.tools.verdicts import DEFAULT_MAX_ROWS, VERDICT_STYLES, VERDICTS, GradientReport


@display.rich.register(GradientReport)
def render_report(report: GradientReport, *, max_rows: int = DEFAULT_MAX_ROWS) -> RenderableType:
    """A rich view: the summary line, the worst ``max_rows`` rows, the per-layer table."""
    max_rows = check_count(max_rows, name="max_rows", minimum=0)
    headline = Text(report.summary, style="bold green" if report.passed else "bold red")
    what = "direction" if report.mode == "directional" else "parameter"
    rows = Table(
        title=f"∂E/∂w: numeric vs graph vs fast, worst first: by verdict, then by error ÷ bound "
        f"({report.loss_name}, E={report.loss:.6g})",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        padding=(0, 1, 0, 0),
        pad_edge=False,
    )
    rows.add_column(what, no_wrap=True)
    for name in ("numeric", "graph", "fast", "rel.err", "÷ bound"):  # abs.err: in to_text(); 80 columns hold 7
        rows.add_column(name, justify="right", no_wrap=True)
    rows.add_column("verdict", no_wrap=True)
    ratios = report.bound_ratios
    shown = report.worst_order[:max_rows]
    for index in shown:
        row = report.row(int(index))
        rows.add_row(
            Text(row.label),
            Text(f"{row.numeric:.5g}"),
            Text(f"{row.graph:.5g}"),
            Text(f"{row.fast:.5g}"),
            Text(f"{row.relative_error:.1e}"),
            Text(f"{ratios[index]:.1e}"),
            Text(row.verdict, style=VERDICT_STYLES[row.verdict]),
        )
    hidden = len(report) - len(shown)
    if hidden > 0:
        rows.add_row(Text(f"… {hidden} more rows", style="dim"), *([""] * 6))
    rows.caption = (
        "÷ bound: the error |analytic − numeric| ÷ (atol + the numeric's round-off + rtol·max(|analytic|, "
        "|numeric|)); above 1 is not ok"
    )
    rows.caption_justify = "left"
    layers = Table(title="per layer", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for name in ("layer", "activation", "checked", "verdicts", "max rel. error"):
        layers.add_column(name, justify="right" if name in ("layer", "checked") else "left")
    for summary in report.layers:
        verdicts = Text(", ").join(
            Text(f"{summary.counts[v]} {v}", style=VERDICT_STYLES[v]) for v in reversed(VERDICTS) if summary.counts[v]
        )
        if summary.near_kink:
            verdicts.append(f" ({summary.near_kink} near a kink)", style="dim")
        layers.add_row(
            Text(str(summary.layer), style="bold red" if summary.failed else ""),
            Text(summary.activation),
            Text(f"{summary.n_checked}/{summary.n_parameters}"),
            verdicts,
            Text(f"{summary.max_relative_error:.1e}"),
        )
    return Group(headline, rows, layers)


@display.text.register(GradientReport)
def report_text(report: GradientReport, *, max_rows: int = DEFAULT_MAX_ROWS) -> str:
    """The report as plain text for logs: summary, worst ``max_rows`` rows, per-layer lines."""
    max_rows = check_count(max_rows, name="max_rows", minimum=0)
    what = "direction" if report.mode == "directional" else "parameter"
    shown = report.worst_order[:max_rows]
    labels = [report.row(int(i)) for i in shown]
    width = max([len(what), *(len(row.label) for row in labels)])
    lines = [
        report.summary,
        f"loss {report.loss_name} E={report.loss:.10g}  samples {report.n_samples} ({report.reduction})  "
        f"evaluations {report.evaluations}  {report.seconds:.3f} s",
        "worst first: by verdict, then by error ÷ bound = |analytic − numeric| ÷ (atol + round-off of the "
        "numeric + rtol·max(|analytic|, |numeric|))",
        f"{what:<{width}}  {'numeric':>16}  {'graph':>16}  {'fast':>16}  "
        f"{'rel. error':>10}  {'abs. error':>10}  {'÷ bound':>8}  verdict",
    ]
    for index, row in zip(shown, labels, strict=True):
        lines.append(
            f"{row.label:<{width}}  {row.numeric:>16.9e}  {row.graph:>16.9e}  {row.fast:>16.9e}  "
            f"{row.relative_error:>10.1e}  {row.absolute_error:>10.1e}  {report.bound_ratios[index]:>8.2g}  "
            f"{row.verdict}"
        )
    hidden = len(report) - len(labels)
    if hidden > 0:
        lines.append(f"… {hidden} more rows")
    lines.append("per layer:")
    for summary in report.layers:
        counts = ", ".join(f"{summary.counts[v]} {v}" for v in VERDICTS if summary.counts[v])
        lines.append(
            f"  layer {summary.layer} ({summary.activation}): {summary.n_checked}/"
            f"{summary.n_parameters} checked: {counts or 'none'}"
            + (f" ({summary.near_kink} near a kink)" if summary.near_kink else "")
            + "; "
            f"max relative error {summary.max_relative_error:.1e}"
        )
    return "\n".join(lines)
