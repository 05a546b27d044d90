"""The results: one Markdown table (stdout and benchmarks/results/) and a PNG chart."""

from __future__ import annotations

import math
from pathlib import Path

# Per mode (see run.py): shared, the node, the app and the load generator on the same cores;
# pinned, the node alone on one core. Shared throughput is bounded by the cores divided by the
# CPU of app + node + load generator per request, so its targets are lower.
TARGET_P50 = {"shared": 2.3, "pinned": 1.4}  # API p50 at most this many times the direct query's
TARGET_RPS = {"shared": 0.45, "pinned": 0.8}  # API throughput at least this share of the direct one
TARGET_APP_CPU_MS = 1.5  # the app workers' CPU per request, shared mode
TARGET_INDEXING = 0.8  # indexer load at least this share of raw _bulk's records/s
TARGET_P99_MS = 100  # API p99 under this at a million clinics and more
TARGET_LOAD_MIN = 10  # a million clinics indexed within this many minutes
TARGET_RSS_MB = 150  # each app worker's RSS, in MB (10^6 bytes: the stricter reading)
TARGET_GROWTH = 2.0  # API latency at the largest size at most this many times the smallest's
TARGET_UNDERSTANDING_MS = 0.3  # CPU of the query-understanding step per request
BIG = 1_000_000

MIB = 1024 * 1024


def _num(value: float | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def _ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or not b or math.isnan(a) or math.isnan(b):
        return None
    return a / b


def _x(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}×"


def _verdict(value: float | None, limit: float, at_most: bool, unit: str = "×") -> str:
    if value is None:
        return "–"
    ok = value <= limit if at_most else value >= limit
    return ("met" if ok else "**not met**") + f" ({'≤' if at_most else '≥'} {limit:g}{unit})"


def _spread(project: dict, engine: dict, key: str) -> str:
    """Per-round ratios (rounds are interleaved, so round i of each mode ran side by side)."""
    pairs = zip(project.get("rounds", []), engine.get("rounds", []), strict=False)
    ratios = [p[key] / e[key] for p, e in pairs if e[key]]
    if len(ratios) < 2:
        return ""
    return f" ({min(ratios):.2f}–{max(ratios):.2f})"


def size_rows(r: dict, mode: str) -> list[list[str]]:
    """Table rows for one size and mode of a result dict (see run.py for its keys)."""
    n = f"{r['size']:,}"
    m = r["modes"][mode]
    api, wrk = m["api"], m["es_wrk"]
    py = m.get("es_py")
    rows = []

    def row(label: str, project: str, direct: str, python: str, vs_direct: str, vs_python: str, target: str):
        rows.append([n, f"{mode}: {label}", project, direct, python, vs_direct, vs_python, target])

    for key, label in (
        ("p50", "latency p50, ms"),
        ("p95", "latency p95, ms"),
        ("p99", "latency p99, ms"),
    ):
        rw, rp = _ratio(api[key], wrk[key]), _ratio(api[key], py[key]) if py else None
        target = ""
        cells = [_x(rw), _x(rp) if py else ""]
        if key == "p50":
            target = f"vs wrk: {_verdict(rw, TARGET_P50[mode], True)}"
            cells = [_x(rw) + _spread(api, wrk, key), _x(rp) + _spread(api, py, key) if py else ""]
        if key == "p99" and r["size"] >= BIG:
            target = f"API p99 at 1M clinics: {_verdict(api[key], TARGET_P99_MS, True, ' ms')}"
        row(label, _num(api[key]), _num(wrk[key]), _num(py[key]) if py else "", *cells, target)
    rw, rp = _ratio(api["rps"], wrk["rps"]), _ratio(api["rps"], py["rps"]) if py else None
    row(
        "throughput, req/s",
        _num(api["rps"]),
        _num(wrk["rps"]),
        _num(py["rps"]) if py else "",
        _x(rw) + _spread(api, wrk, "rps"),
        _x(rp) + _spread(api, py, "rps") if py else "",
        f"vs wrk: {_verdict(rw, TARGET_RPS[mode], False)}",
    )
    single = m.get("single")
    if single:
        a1, e1 = single["api"], single["es_wrk"]
        row(
            "latency at 1 connection (no queueing), p50 / p99, ms",
            f"{_num(a1['p50'], 2)} / {_num(a1['p99'], 2)}",
            f"{_num(e1['p50'], 2)} / {_num(e1['p99'], 2)}",
            "",
            f"{_x(_ratio(a1['p50'], e1['p50']))} / {_x(_ratio(a1['p99'], e1['p99']))}",
            "",
            f"p50 vs wrk: {_verdict(_ratio(a1['p50'], e1['p50']), TARGET_P50[mode], True)}",
        )
    errors = api["errors"] + wrk["errors"] + (py["errors"] if py else 0)
    row(
        "requests measured / non-2xx or socket errors",
        f"{api['requests']:,} / {api['errors']}",
        f"{wrk['requests']:,} / {wrk['errors']}",
        f"{py['requests']:,} / {py['errors']}" if py else "",
        "",
        "",
        "errors = 0" + ("" if errors == 0 else " **not met**"),
    )
    if mode == "shared":
        row(
            "response size, KiB",
            _num(api["bytes_per_request"] / 1024),
            _num(wrk["bytes_per_request"] / 1024),
            "",
            _x(_ratio(api["bytes_per_request"], wrk["bytes_per_request"])),
            "",
            "",
        )
    ix = m.get("indexing")
    if ix:
        ratio = _ratio(ix["indexer_rps"], ix["raw_bulk_rps"])
        target = _verdict(ratio, TARGET_INDEXING, False)
        if r["size"] >= BIG:
            minutes = ix["indexer_seconds"] / 60
            target += (
                f"; {r['size']:,} in {minutes:.1f} min: {_verdict(minutes, TARGET_LOAD_MIN, True, ' min')}"
            )
        row(
            "indexing, records/s (project: `indexer load`; engine: raw `_bulk`)",
            _num(ix["indexer_rps"]),
            _num(ix["raw_bulk_rps"]),
            "",
            _x(ratio),
            "",
            target,
        )

    def cpu(run: dict) -> str:
        c = run["cpu"]
        app = _num(c["app"], 2) if c["app"] >= 0.005 else "0"
        return f"{app} + {_num(c['es'], 2)} + {_num(c['loadgen'], 2)} = {_num(c['total'], 2)}"

    row(
        "CPU per request, ms: app workers + Elasticsearch + load generator",
        cpu(api),
        cpu(wrk),
        cpu(py) if py else "",
        _x(_ratio(api["cpu"]["total"], wrk["cpu"]["total"])),
        _x(_ratio(api["cpu"]["total"], py["cpu"]["total"])) if py else "",
        f"app: {_verdict(api['cpu']['app'], TARGET_APP_CPU_MS, True, ' ms')}" if mode == "shared" else "",
    )
    row(
        "CPU busy during the run, share of all cores",
        f"{api['cpu']['busy']:.0%}",
        f"{wrk['cpu']['busy']:.0%}",
        f"{py['cpu']['busy']:.0%}" if py else "",
        "",
        "",
        "",
    )
    return rows


def common_rows(r: dict) -> list[list[str]]:
    """Rows that do not depend on the mode: query understanding, memory."""
    n = f"{r['size']:,}"
    rows = []
    u = r.get("understanding")
    if u:
        mix, judged = u["mix"], u["judged"]
        rows.append(
            [
                n,
                "query understanding, CPU ms per request: the API mix / the judged consumer queries "
                "(mean, p99)",
                f"{mix['mean_ms']:.3f}, {mix['p99_ms']:.3f} / "
                f"{judged['mean_ms']:.3f}, {judged['p99_ms']:.3f}",
                "",
                "",
                "",
                "",
                f"mix: {_verdict(mix['mean_ms'], TARGET_UNDERSTANDING_MS, True, ' ms')}; "
                f"judged: {_verdict(judged['mean_ms'], TARGET_UNDERSTANDING_MS, True, ' ms')}",
            ]
        )
    mem = r["memory"]
    largest_mb = max(mem["worker_rss"], default=0) / 1e6
    per100k = 100_000 / r["size"]
    rows.append(
        [
            n,
            f"memory, MiB: {mem['workers']} gunicorn workers' RSS, sum (each) vs "
            "Elasticsearch heap used (of max)",
            f"{_num(mem['worker_rss_sum'] / MIB)} ({_num(mem['worker_rss_mean'] / MIB)})",
            f"{_num(mem['es_heap_used'] / MIB)} (of {_num(mem['es_heap_max'] / MIB)})",
            "",
            _x(_ratio(mem["worker_rss_sum"], mem["es_heap_used"])),
            "",
            f"largest worker {largest_mb:.1f} MB: {_verdict(largest_mb, TARGET_RSS_MB, True, ' MB')}",
        ]
    )
    rows.append(
        [
            n,
            "per 100k clinics, MiB: Elasticsearch heap used (node-wide) / index on disk",
            "",
            f"{_num(mem['es_heap_used'] / MIB * per100k)} / {_num(mem['index_bytes'] / MIB * per100k)}",
            "",
            "",
            "",
            "",
        ]
    )
    return rows


HEADER = [
    "clinics",
    "measure",
    "project (API / indexer)",
    "engine direct (wrk / raw bulk)",
    "engine via Python client",
    "project ÷ direct",
    "project ÷ Python client",
    "target",
]


def modes_of(r: dict) -> list[str]:
    return [mode for mode in ("shared", "pinned") if mode in r["modes"]]


def markdown(meta: dict, results: list[dict]) -> str:
    lines = [f"# Provider directory benchmark, {meta['started']}", ""]
    lines += [f"- {k}: {v}" for k, v in meta["header"].items()]
    lines += ["", "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for r in results:
        for row in [*(x for mode in modes_of(r) for x in size_rows(r, mode)), *common_rows(r)]:
            lines.append("| " + " | ".join(row) + " |")
    lines += ["", *sections_table(results), *growth(results), *meta.get("notes", [])]
    return "\n".join(lines) + "\n"


def sections_table(results: list[dict]) -> list[str]:
    """The app's CPU per request by section, from the timers in the gunicorn workers."""
    columns = [(r, mode) for r in results for mode in modes_of(r) if r["modes"][mode].get("sections")]
    if not columns:
        return []
    labels: list[str] = []
    for r, mode in columns:
        for label in r["modes"][mode]["sections"]["sections_ms"]:
            if label not in labels:
                labels.append(label)
    head = ["section, CPU ms per API request"] + [f"{r['size']:,} {mode}" for r, mode in columns]
    out = [
        "Where the app's CPU goes per request: timers on the workers' own CPU clock, each section "
        "without the sections inside it, over one more API run with the timers on "
        "(`benchmarks/sections.py`).",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for label in labels:
        cells = [_num(r["modes"][mode]["sections"]["sections_ms"].get(label), 3) for r, mode in columns]
        out.append(f"| {label} | " + " | ".join(cells) + " |")
    totals = [_num(r["modes"][mode]["sections"]["cpu_ms"], 3) for r, mode in columns]
    out.append("| **app CPU per request (the workers' CPU clock)** | " + " | ".join(totals) + " |")
    return [*out, ""]


def growth(results: list[dict]) -> list[str]:
    """How each figure changes from the smallest size to the largest, API next to the engine
    (shared mode)."""
    if len(results) < 2:
        return []
    small, big = results[0], results[-1]

    def shared(r: dict) -> dict:
        return r["modes"]["shared"]

    def change(get) -> str:
        return _x(_ratio(get(big), get(small)))

    p50 = _ratio(shared(big)["api"]["p50"], shared(small)["api"]["p50"])
    return [
        f"Growth from {small['size']:,} to {big['size']:,} clinics "
        f"(×{big['size'] / small['size']:g} the data, shared mode):",
        f"- API latency p50 {_x(p50)}, p99 {change(lambda r: shared(r)['api']['p99'])} "
        f"(engine by wrk: p50 {change(lambda r: shared(r)['es_wrk']['p50'])}, "
        f"p99 {change(lambda r: shared(r)['es_wrk']['p99'])}); "
        f"target p50 {_verdict(p50, TARGET_GROWTH, True)}",
        f"- throughput: API {change(lambda r: shared(r)['api']['rps'])}, "
        f"engine {change(lambda r: shared(r)['es_wrk']['rps'])}; "
        f"indexing records/s: indexer {change(lambda r: shared(r)['indexing']['indexer_rps'])}, "
        f"raw _bulk {change(lambda r: shared(r)['indexing']['raw_bulk_rps'])}",
        f"- memory: worker RSS {change(lambda r: r['memory']['worker_rss_mean'])}, "
        f"Elasticsearch heap used {change(lambda r: r['memory']['es_heap_used'])}, "
        f"index on disk {change(lambda r: r['memory']['index_bytes'])}",
        "",
    ]


def chart(results: list[dict], path: Path) -> None:
    """Latency, throughput and indexing per size and mode; API vs the engine measured alongside."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    columns = [(r, mode) for r in results for mode in modes_of(r)]
    names = [f"{r['size']:,}\n{mode}" for r, mode in columns]
    xs = list(range(len(columns)))
    fig, axes = plt.subplots(2, 2, figsize=(12, 8.5))
    series = [
        ("api", "API (gunicorn)", "#d1495b"),
        ("es_wrk", "ES direct (wrk)", "#00798c"),
        ("es_py", "ES via Python client", "#edae49"),
    ]
    width = 0.26

    def value(r: dict, mode: str, key: str, figure: str) -> float:
        run = r["modes"][mode].get(key)
        return run[figure] if run else 0.0

    ax = axes[0][0]
    for i, (key, label, color) in enumerate(series):
        pos = [x + (i - 1) * width for x in xs]
        p50 = [value(r, mode, key, "p50") for r, mode in columns]
        p99 = [value(r, mode, key, "p99") for r, mode in columns]
        ax.bar(pos, p50, width, color=color, label=f"{label} p50")
        ax.bar(
            pos,
            [b - a for a, b in zip(p50, p99, strict=True)],
            width,
            bottom=p50,
            color=color,
            alpha=0.35,
            hatch="//",
            label=f"{label} p99",
        )
    ax.set_title("Latency at 16 connections (solid p50, hatched up to p99)")
    ax.set_ylabel("ms")

    ax = axes[0][1]
    for i, (key, label, color) in enumerate(series):
        ax.bar(
            [x + (i - 1) * width for x in xs],
            [value(r, mode, key, "rps") for r, mode in columns],
            width,
            color=color,
            label=label,
        )
    ax.set_title("Throughput")
    ax.set_ylabel("requests/s")
    ax.legend(fontsize=8)

    ax = axes[1][0]
    indexed = [r["modes"][mode].get("indexing") or {} for r, mode in columns]
    ax.bar(
        [x - width / 2 for x in xs],
        [ix.get("indexer_rps", 0) for ix in indexed],
        width,
        color="#d1495b",
        label="indexer load (validate, store, bulk)",
    )
    ax.bar(
        [x + width / 2 for x in xs],
        [ix.get("raw_bulk_rps", 0) for ix in indexed],
        width,
        color="#00798c",
        label="raw _bulk, pre-serialized",
    )
    ax.set_title("Indexing")
    ax.set_ylabel("records/s")
    ax.legend(fontsize=8)

    ax = axes[1][1]
    ratio_series = [
        ("p50 API ÷ wrk", lambda m: _ratio(m["api"]["p50"], m["es_wrk"]["p50"]), "#00798c", "o"),
        ("throughput API ÷ wrk", lambda m: _ratio(m["api"]["rps"], m["es_wrk"]["rps"]), "#d1495b", "s"),
        (
            "p50 at 1 connection API ÷ wrk",
            lambda m: (
                _ratio(m["single"]["api"]["p50"], m["single"]["es_wrk"]["p50"]) if "single" in m else None
            ),
            "#6a4c93",
            "^",
        ),
    ]
    for label, fn, color, marker in ratio_series:
        ys = [fn(r["modes"][mode]) for r, mode in columns]
        ax.plot(
            xs,
            [math.nan if y is None else y for y in ys],
            marker=marker,
            color=color,
            label=label,
            linestyle="",
        )
    for mode, style in (("shared", ":"), ("pinned", "-")):
        ax.axhline(TARGET_P50[mode], color="#00798c", linestyle=style, linewidth=1, alpha=0.6)
        ax.axhline(TARGET_RPS[mode], color="#d1495b", linestyle=style, linewidth=1, alpha=0.6)
    ax.set_title("Ratios against the engine (same run); lines: targets (dotted shared, solid pinned)")
    ax.set_ylabel("×")
    ax.legend(fontsize=8)

    for row in axes:
        for ax in row:
            ax.set_xticks(xs, names)
            ax.grid(axis="y", alpha=0.3)
    axes[0][0].legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
