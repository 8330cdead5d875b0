"""An accuracy report as one self-contained HTML file: figures inlined as SVG, a sortable table, no external reference.

The page draws the dict of :func:`classifier.evaluation.report.build_report` and carries it
whole in ``<script type="application/json" id="report-data">``, so a reader (or a test) can
check every number shown against ``classifier evaluate --format json``. matplotlib is imported
here only, when a report is written: tagging never pays for it.
"""

from __future__ import annotations

import html
import io
import json
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from classifier.errors import ClassifierError

#: Chinese and English names of the headline metrics.
METRIC_NAMES = {
    "micro_f1": "微平均 F1 · micro F1",
    "macro_f1": "宏平均 F1 · macro F1",
    "samples_f1": "逐篇 F1 · samples F1",
    "top1_accuracy": "首选正确率 · top-1 accuracy",
    "subset_accuracy": "完全一致率 · subset accuracy",
    "empty_precision": "无主题精确率 · empty precision",
    "empty_recall": "无主题召回率 · empty recall",
}
VERDICTS = {"better": "更好 better", "worse": "更差 worse", "within noise": "在误差内 within noise"}
CHANGES = {"fixed": "改对 fixed", "broken": "改错 broken", "changed": "改变 changed"}
COLUMNS_PER_ROW = 4

STYLE = """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei","WenQuanYi Micro Hei",
"Helvetica Neue",Arial,sans-serif;margin:0;color:#1d2330;background:#f6f7f9;line-height:1.5}
main{max-width:1180px;margin:0 auto;padding:16px 24px 48px}
h1{font-size:22px;margin:8px 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:2px solid #d9dee7;padding-bottom:4px}
h3{font-size:15px;margin:16px 0 6px}
.sub{color:#5b6475;font-size:13px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:8px 16px;margin:8px 0}
.card{background:#fff;border:1px solid #e1e5ec;border-radius:6px;padding:8px 12px;font-size:13px}
.card b{display:block;font-size:12px;color:#5b6475;font-weight:normal}
table{border-collapse:collapse;background:#fff;font-size:13px;margin:6px 0}
th,td{border:1px solid #e1e5ec;padding:4px 8px;text-align:right;white-space:nowrap}
th{background:#eef1f6;font-weight:600}td.l,th.l{text-align:left;white-space:normal}
table.sortable th{cursor:pointer;user-select:none}
table.sortable th[aria-sort=ascending]::after{content:" ▲"}table.sortable th[aria-sort=descending]::after{content:" ▼"}
.ci{color:#5b6475;font-size:12px}.weak{background:#fff1f0}.good{color:#1a7f37}.bad{color:#c62828}
figure{margin:8px 0;background:#fff;border:1px solid #e1e5ec;border-radius:6px;padding:6px}
figure svg{width:100%;height:auto}#figure-matrix svg{max-width:640px;display:block}figcaption{font-size:13px;color:#5b6475;padding:4px 8px}
details{background:#fff;border:1px solid #e1e5ec;border-radius:6px;margin:6px 0;padding:4px 10px}
summary{cursor:pointer;font-weight:600}
.err{border-top:1px solid #eef1f6;padding:6px 0;font-size:13px}.err .t{font-weight:600}
.terms{color:#5b6475}.snip{color:#3a4253}
"""

SCRIPT = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  var heads = table.querySelectorAll("thead th");
  heads.forEach(function (th, col) {
    th.addEventListener("click", function () {
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      rows.sort(function (a, b) {
        var x = a.cells[col].getAttribute("data-value"), y = b.cells[col].getAttribute("data-value");
        var nx = parseFloat(x), ny = parseFloat(y);
        var c = (isNaN(nx) || isNaN(ny)) ? String(x).localeCompare(String(y), "zh") : nx - ny;
        return ascending ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _num(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _interval(interval: Sequence[float]) -> str:
    return f"{interval[0]:.3f}–{interval[1]:.3f}"


def _td(value: Any, text: str | None = None, cls: str = "") -> str:
    sort_value = "" if value is None else value
    attr = f' class="{cls}"' if cls else ""
    return f'<td{attr} data-value="{_e(sort_value)}">{_e(text if text is not None else value)}</td>'


# --- figures -------------------------------------------------------------------------------


def _svg(figure: Any) -> str:
    """A matplotlib figure as inline SVG: text kept as text, no XML prelude, no metadata."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    return re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)


def _grid(n: int, height: float = 2.4) -> tuple[Any, list[Any]]:
    from matplotlib.figure import Figure

    rows = max(1, math.ceil(n / COLUMNS_PER_ROW))
    # Fixed margins: a constrained or tight layout draws every figure twice, which is most of its cost.
    figure = Figure(figsize=(11, height * rows))
    figure.subplots_adjust(
        left=0.05, right=0.99, bottom=0.5 / (height * rows), top=1 - 0.3 / (height * rows), wspace=0.25, hspace=0.55
    )
    axes = figure.subplots(rows, COLUMNS_PER_ROW, squeeze=False).ravel().tolist()
    for ax in axes[n:]:
        ax.set_visible(False)
    for ax in axes[:n]:
        # Few ticks: drawing tick labels is most of what a small-multiples figure costs.
        ax.set_xticks([0, 0.5, 1])
        ax.set_yticks([0, 0.5, 1])
        ax.tick_params(labelsize=7)
    return figure, axes[:n]


def _topic_panels(report: dict[str, Any], height: float, xlim: float = 1.0) -> tuple[Any, list[tuple[Any, str]]]:
    """One panel per topic with the shared frame (limits, grid); the figure and ``(axes, topic)`` pairs."""
    topics = list(report["per_topic"])
    figure, axes = _grid(len(topics), height=height)
    for ax in axes[: len(topics)]:
        ax.set_xlim(0, xlim)
        ax.set_ylim(0, 1.05)
        ax.grid(alpha=0.3)
    return figure, list(zip(axes, topics, strict=False))


def pr_figure(report: dict[str, Any]) -> str:
    """Per topic: the precision-recall curve, the operating point (the model's threshold) and the best-F1 point."""
    figure, panels = _topic_panels(report, height=2.4, xlim=1.02)
    for ax, topic in panels:
        row, curve = report["per_topic"][topic], report["curves"][topic]["pr"]
        ax.set_title(f"{topic}  AP {_num(row['average_precision'])}", fontsize=9)
        if curve is None:
            ax.text(0.5, 0.5, "no support", ha="center", fontsize=8)
            continue
        ax.step(curve["recall"], curve["precision"], where="post", color="#3465a4", lw=1.2)
        ax.plot([row["recall"]], [row["precision"]], "o", color="#c62828", ms=6, label="threshold")
        best = curve["thresholds"].index(curve["best_threshold"])
        ax.plot(
            [curve["recall"][best]], [curve["precision"][best]], "s", mfc="none", mec="#1a7f37", ms=7, label="best F1"
        )
        ax.set_xlabel("recall", fontsize=7)
        ax.set_ylabel("precision", fontsize=7)
    panels[0][0].legend(fontsize=7, loc="lower left")
    return _svg(figure)


def f1_figure(report: dict[str, Any]) -> str:
    """Per topic: F1 at every threshold, the model's threshold as a red line, the best cut as a green square."""
    figure, panels = _topic_panels(report, height=2.0)
    for ax, topic in panels:
        row, curve = report["per_topic"][topic], report["curves"][topic]["pr"]
        ax.set_title(f"{topic}  F1 {_num(row['f1'])} (best {_num(row['best_f1'])})", fontsize=9)
        ax.axvline(row["threshold"], color="#c62828", lw=1)
        if curve is None:
            continue
        ax.plot(curve["thresholds"], curve["f1_by_threshold"], color="#3465a4", lw=1.2)
        ax.plot([curve["best_threshold"]], [curve["best_f1"]], "s", mfc="none", mec="#1a7f37", ms=7)
        ax.set_xlabel("threshold", fontsize=7)
    return _svg(figure)


def calibration_figure(report: dict[str, Any]) -> str:
    """Per topic: reliability diagram (quantile bins), the diagonal is perfect calibration."""
    figure, panels = _topic_panels(report, height=2.2)
    for ax, topic in panels:
        cal = report["curves"][topic]["calibration"]
        ax.plot([0, 1], [0, 1], ls="--", color="#888", lw=0.8)
        ax.plot(cal["prob_pred"], cal["prob_true"], "o-", color="#3465a4", ms=3, lw=1)
        ax.set_title(f"{topic}  ECE {_num(cal['ece'])}", fontsize=9)
        ax.set_xlabel("mean score in bin", fontsize=7)
        ax.set_ylabel("share right", fontsize=7)
    return _svg(figure)


def matrix_figure(report: dict[str, Any]) -> str:
    """The gold x predicted topic matrix as a heat map, counts written in the cells."""
    from matplotlib.figure import Figure

    matrix = report["matrix"]
    counts = matrix["counts"]
    figure = Figure(figsize=(7.5, 6))
    figure.subplots_adjust(left=0.2, right=0.98, bottom=0.2, top=0.97)
    ax = figure.subplots()
    image = ax.imshow(counts, cmap="Blues")
    ax.set_xticks(range(len(matrix["predicted"])), matrix["predicted"], rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(len(matrix["gold"])), matrix["gold"], fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    top = max((max(r) for r in counts), default=0) or 1
    for i, row in enumerate(counts):
        for j, value in enumerate(row):
            if value:
                ax.text(
                    j,
                    i,
                    str(value),
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if value > top / 2 else "black",
                )
    figure.colorbar(image, ax=ax, shrink=0.8)
    return _svg(figure)


# --- sections ------------------------------------------------------------------------------


def _name(topic: str, names: dict[str, str]) -> str:
    zh = names.get(topic)
    return f"{zh} {topic}" if zh else topic


def _header(report: dict[str, Any]) -> str:
    h = report["header"]
    counts = ", ".join(f"{t} {n}" for t, n in (h.get("training_counts") or {}).items())
    test_counts = ", ".join(f"{t} {n}" for t, n in h["test_counts"].items())
    thresholds = ", ".join(f"{t} {v:.2f}" for t, v in h["thresholds"].items())
    fingerprint = (h.get("data_fingerprint") or "")[:12]
    cards = [
        ("模型 model", h["model"]),
        ("训练时间 trained", h.get("created") or "–"),
        ("训练数据 training data", f"{h.get('training_articles') or '–'} 篇 articles · 指纹 fingerprint {fingerprint}"),
        ("训练各主题篇数 per topic", counts or "–"),
        ("测试数据 test data", f"{h['test']} · {h['test_articles']} 篇 articles · {h['method']}"),
        ("测试各主题篇数 per topic", test_counts),
        ("报告日期 date", h["date"]),
        ("阈值 thresholds", thresholds),
    ]
    body = "".join(f'<div class="card"><b>{_e(k)}</b>{_e(v)}</div>' for k, v in cards)
    return f'<section id="header"><div class="cards">{body}</div></section>'


def _summary(report: dict[str, Any]) -> str:
    b = report["header"]["bootstrap"]
    rows = "".join(
        f'<tr><td class="l">{_e(METRIC_NAMES[key])}</td>'
        f'<td data-key="{key}" data-value="{report[key]!r}">{_num(report[key])}</td>'
        f'<td class="ci">{_interval(report["intervals"][key])}</td></tr>'
        for key in METRIC_NAMES
    )
    return (
        '<section id="summary"><h2>总体指标 · Overall</h2>'
        f'<table id="summary-table"><thead><tr><th class="l">指标 metric</th><th>值 value</th>'
        f"<th>95% 区间 interval</th></tr></thead><tbody>{rows}</tbody></table>"
        f'<p class="sub">区间：按文章自助法重抽样 {b["resamples"]} 次（种子 {b["seed"]}）。两个数的差小于区间宽度时，'
        "视为在误差之内。 Intervals: bootstrap over articles; a difference smaller than the interval is within noise.</p>"
        "</section>"
    )


def _topic_table(report: dict[str, Any], names: dict[str, str]) -> str:
    head = [
        "主题 topic",
        "精确率 precision",
        "召回率 recall",
        "F1",
        "F1 95% 区间",
        "支持 support",
        "预测 predicted",
        "平均精度 AP",
        "阈值 threshold",
        "最佳阈值 best cut",
        "最佳 F1 best F1",
        "校准误差 ECE",
    ]
    rows = []
    for topic, m in report["per_topic"].items():
        weak = m["support"] and m["f1"] < 0.6
        cells = [
            f'<td class="l" data-value="{_e(topic)}" data-topic="{_e(topic)}">{_e(_name(topic, names))}</td>',
            _td(m["precision"], _num(m["precision"])),
            _td(m["recall"], _num(m["recall"])),
            _td(m["f1"], _num(m["f1"]), "weak" if weak else ""),
            _td(m["f1_interval"][0], _interval(m["f1_interval"]), "ci"),
            _td(m["support"]),
            _td(m["predicted"]),
            _td(m["average_precision"], _num(m["average_precision"])),
            _td(m["threshold"], _num(m["threshold"], 2)),
            _td(m["best_threshold"], _num(m["best_threshold"], 2)),
            _td(m["best_f1"], _num(m["best_f1"])),
            _td(m["ece"], _num(m["ece"])),
        ]
        rows.append(f"<tr>{''.join(cells)}</tr>")
    keys = "precision recall f1 f1_interval support predicted average_precision threshold best_threshold best_f1 ece"
    ths = "".join(
        f'<th{" class=l" if i == 0 else ""} data-key="{k}">{_e(h)}</th>'
        for i, (h, k) in enumerate(zip(head, ["topic", *keys.split()], strict=True))
    )
    return (
        '<section id="topics"><h2>各主题 · Per topic</h2><p class="sub">点击表头排序 · click a column to sort. '
        "红底：F1 低于 0.6。 Red: F1 below 0.6.</p>"
        f'<table id="per-topic" class="sortable"><thead><tr>{ths}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
        "</section>"
    )


def _errors(report: dict[str, Any], names: dict[str, str]) -> str:
    parts = []
    for topic, kinds in report["errors"].items():
        n = sum(len(v) for v in kinds.values())
        body = []
        for kind, title in (
            ("false_positives", "误报（高分但不是）confident false positives"),
            ("missed", "漏报 missed"),
        ):
            body.append(f"<h3>{_e(title)}</h3>")
            if not kinds[kind]:
                body.append('<p class="sub">无 none</p>')
            for row in kinds[kind]:
                terms = ", ".join(f"{f} ({c:+.2f})" for f, c in row["explain"]) or "–"
                scores = ", ".join(f"{t} {s:.2f}" for t, s in row["top_scores"].items())
                body.append(
                    f'<div class="err"><div class="t">{_e(row["title"] or "(无标题)")} <span class="sub">{_e(row["id"])}</span></div>'
                    f'<div class="snip">{_e(row["snippet"])}…</div>'
                    f"<div>标注 gold: {_e(', '.join(row['gold']) or 'none')} · 预测 predicted: "
                    f"{_e(', '.join(row['predicted']) or 'none')} · {_e(topic)} 得分 score {row['score']:.3f} · "
                    f"最高 top: {_e(scores)}</div>"
                    f'<div class="terms">解释词 terms for {_e(topic)}: {_e(terms)}</div></div>'
                )
        parts.append(f"<details><summary>{_e(_name(topic, names))} · {n}</summary>{''.join(body)}</details>")
    return (
        '<section id="errors"><h2>最严重的错误 · Worst errors per topic</h2>'
        '<p class="sub">每个主题：得分最高的误报与得分最低的漏报，附 --explain 的解释词。</p>'
        f"{''.join(parts)}</section>"
    )


def _comparison(report: dict[str, Any], names: dict[str, str]) -> str:
    c = report["comparison"]
    rows = "".join(
        f'<tr><td class="l">{_e(METRIC_NAMES[key])}</td><td>{_num(m["a"])}</td><td>{_num(m["b"])}</td>'
        f'<td data-value="{m["delta"]!r}">{m["delta"]:+.3f}</td><td class="ci">{_interval(m["interval"])}</td>'
        f"<td>{_e(VERDICTS[m['verdict']])}</td></tr>"
        for key, m in c["metrics"].items()
    )
    topic_rows = ""
    for t, m in c["per_topic"].items():
        delta = f"{m['delta']:+.3f}"
        topic_rows += (
            f'<tr><td class="l" data-value="{_e(t)}">{_e(_name(t, names))}</td>{_td(m["f1_a"], _num(m["f1_a"]))}'
            f"{_td(m['f1_b'], _num(m['f1_b']))}{_td(m['delta'], delta)}"
            f"{_td(m['interval'][0], _interval(m['interval']), 'ci')}{_td(m['verdict'], VERDICTS[m['verdict']])}"
            f"{_td(m['support'])}</tr>"
        )
    changed = "".join(
        f'<tr><td class="l">{_e(CHANGES[r["change"]])}</td><td class="l">{_e(r["id"])}</td>'
        f'<td class="l">{_e(", ".join(r["a"]) or "none")}</td><td class="l">{_e(", ".join(r["b"]) or "none")}</td>'
        f'<td class="l">{_e(", ".join(r["gold"]) or "none")}</td><td class="l">{_e(r["title"])}</td></tr>'
        for r in c["changed"]
    )
    head = "<th>A</th><th>B</th><th>B−A</th><th>95% 区间 interval</th><th>判断 verdict</th>"
    return (
        '<section id="comparison"><h2>模型对比 · Comparison</h2>'
        f"<p>A = {_e(c['a'])}（对照 baseline），B = {_e(c['b'])}，同一批 {report['n_articles']} 篇文章；"
        "差值区间为配对自助法 (paired bootstrap)。</p>"
        f'<table id="comparison-table"><thead><tr><th class="l">指标 metric</th>{head}</tr></thead><tbody>{rows}</tbody></table>'
        f'<h3>各主题 F1 · F1 per topic</h3><table id="comparison-topics" class="sortable"><thead><tr>'
        f'<th class="l">主题 topic</th><th>F1 A</th><th>F1 B</th><th>B−A</th><th>95% 区间</th><th>判断</th>'
        f"<th>支持 support</th></tr></thead><tbody>{topic_rows}</tbody></table>"
        f"<h3>标签改变的文章 · Articles whose tags changed: {len(c['changed'])}（改对 fixed {c['fixed']}，"
        f"改错 broken {c['broken']}）</h3>"
        '<table id="changed" class="sortable"><thead><tr><th class="l">变化</th><th class="l">id</th>'
        '<th class="l">A</th><th class="l">B</th><th class="l">标注 gold</th><th class="l">标题 title</th></tr></thead>'
        f"<tbody>{changed}</tbody></table></section>"
    )


def _json_blob(report: dict[str, Any]) -> str:
    # "</" inside a string would end the script element early.
    text = json.dumps(report, ensure_ascii=False).replace("</", "<\\/")
    return f'<script type="application/json" id="report-data">{text}</script>'


def render_html(report: dict[str, Any], names: dict[str, str] | None = None) -> str:
    """The whole page for a report dict; ``names`` maps topic ids to Chinese names."""
    names = names or {}
    figures = [
        ("figure-pr", "精确率-召回率曲线 · Precision-recall per topic", pr_figure(report),
         "红点：模型阈值处的工作点；绿框：F1 最高的切点。曲线整体低说明排序本身弱，绿框远离红点说明换阈值有用。 "
         "Red dot: the operating point at the model's threshold; green square: the best-F1 cut."),
        ("figure-f1", "F1 随阈值变化 · F1 against threshold", f1_figure(report),
         "红线：模型的阈值。 Red line: the model's threshold."),
        ("figure-calibration", "可靠性图 · Reliability (quantile bins)", calibration_figure(report),
         "落在对角线上，表示 0.8 分的文章十有八次是对的。ECE：各箱 |实际比例 − 平均得分| 按篇数加权。 "
         "On the diagonal a score of 0.8 is right 8 times in 10."),
        ("figure-matrix", "标注 × 预测 · Gold topic × predicted topic", matrix_figure(report),
         "格 (g, p)：标注含 g、预测含 p 的文章数；none 为无主题。 Cell (g, p): articles with gold g tagged p."),
    ]  # fmt: skip
    figure_html = "".join(
        f'<figure id="{fid}"><figcaption><b>{_e(title)}</b></figcaption>{svg}<figcaption>{_e(note)}</figcaption></figure>'
        for fid, title, svg, note in figures
    )
    h = report["header"]
    sections = [
        f"<h1>准确率报告 · Accuracy report: {_e(h['model'])}</h1>",
        f'<p class="sub">{_e(h["test"])} · {report["n_articles"]} 篇文章 · {_e(h["date"])}</p>',
        _header(report),
        _summary(report),
        _topic_table(report, names),
        '<section id="figures"><h2>曲线与校准 · Curves and calibration</h2>' + figure_html + "</section>",
        _errors(report, names),
    ]
    if "comparison" in report:
        sections.append(_comparison(report, names))
    return (
        '<!doctype html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>准确率报告 {_e(h['model'])}</title>"
        f'<link rel="icon" href="data:,"><style>{STYLE}</style></head><body><main>'
        + "".join(sections)
        + f"</main>{_json_blob(report)}<script>{SCRIPT}</script></body></html>\n"
    )


def topic_names() -> dict[str, str]:
    """Topic id -> Chinese name from the taxonomy, or nothing when there is none to read."""
    from classifier.taxonomy import load_taxonomy

    try:
        return {t.id: t.name_zh for t in load_taxonomy().topics if t.name_zh}
    except (ClassifierError, OSError):
        return {}


def write_report(report: dict[str, Any], path: Path) -> Path:
    """Render ``report`` and write it to ``path`` atomically (all or nothing).

    Raises
    ------
    ClassifierError
        When matplotlib is not installed.
    """
    try:
        import matplotlib
    except ImportError:
        raise ClassifierError("--report needs matplotlib: pip install 'classifier[report]'") from None
    from classifier.files import atomic_writer

    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "classifier-report"}):
        page = render_html(report, topic_names())
    with atomic_writer(Path(path)) as out:
        out.write(page)
    return Path(path)
