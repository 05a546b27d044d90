"""The results: one Markdown table (stdout and benchmarks/results/) and a PNG chart."""

from __future__ import annotations

import math
from pathlib import Path

TARGET_P50 = 1.3  # API p50 at most this many times the direct query's
TARGET_RPS = 0.7  # API throughput at least this share of the direct query's
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


def size_rows(r: dict) -> list[list[str]]:
    """Table rows for one size's result dict (see run.py for its keys)."""
    n = f"{r['size']:,}"
    api, wrk, py = r["api"], r["es_wrk"], r["es_py"]
    rows = []
    for key, label in (
        ("p50", "latency p50, ms"),
        ("p95", "latency p95, ms"),
        ("p99", "latency p99, ms"),
    ):
        rw, rp = _ratio(api[key], wrk[key]), _ratio(api[key], py[key])
        target = ""
        cells = [_x(rw), _x(rp)]
        if key == "p50":
            target = f"vs wrk: {_verdict(rw, TARGET_P50, True)}; vs Python: {_verdict(rp, TARGET_P50, True)}"
            cells = [_x(rw) + _spread(api, wrk, key), _x(rp) + _spread(api, py, key)]
        if key == "p99" and r["size"] >= BIG:
            target = f"API p99 at 1M clinics: {_verdict(api[key], TARGET_P99_MS, True, ' ms')}"
        rows.append([n, label, _num(api[key]), _num(wrk[key]), _num(py[key]), *cells, target])
    rw, rp = _ratio(api["rps"], wrk["rps"]), _ratio(api["rps"], py["rps"])
    target = f"vs wrk: {_verdict(rw, TARGET_RPS, False)}; vs Python: {_verdict(rp, TARGET_RPS, False)}"
    rows.append(
        [
            n,
            "throughput, req/s",
            _num(api["rps"]),
            _num(wrk["rps"]),
            _num(py["rps"]),
            _x(rw) + _spread(api, wrk, "rps"),
            _x(rp) + _spread(api, py, "rps"),
            target,
        ]
    )
    single = r.get("single")
    if single:
        a1, e1 = single["api"], single["es_wrk"]
        rows.append(
            [
                n,
                "latency at 1 connection (no queueing), p50 / p99, ms",
                f"{_num(a1['p50'], 2)} / {_num(a1['p99'], 2)}",
                f"{_num(e1['p50'], 2)} / {_num(e1['p99'], 2)}",
                "",
                f"{_x(_ratio(a1['p50'], e1['p50']))} / {_x(_ratio(a1['p99'], e1['p99']))}",
                "",
                f"p50 vs wrk: {_verdict(_ratio(a1['p50'], e1['p50']), TARGET_P50, True)}",
            ]
        )
    rows.append(
        [
            n,
            "requests measured / non-2xx or socket errors",
            f"{api['requests']:,} / {api['errors']}",
            f"{wrk['requests']:,} / {wrk['errors']}",
            f"{py['requests']:,} / {py['errors']}",
            "",
            "",
            "errors = 0" + ("" if api["errors"] + wrk["errors"] + py["errors"] == 0 else " **not met**"),
        ]
    )
    rows.append(
        [
            n,
            "response size, KiB",
            _num(api["bytes_per_request"] / 1024),
            _num(wrk["bytes_per_request"] / 1024),
            "",
            _x(_ratio(api["bytes_per_request"], wrk["bytes_per_request"])),
            "",
            "",
        ]
    )
    ix = r["indexing"]
    ratio = _ratio(ix["indexer_rps"], ix["raw_bulk_rps"])
    target = _verdict(ratio, TARGET_INDEXING, False)
    if r["size"] >= BIG:
        minutes = ix["indexer_seconds"] / 60
        target += f"; {r['size']:,} in {minutes:.1f} min: {_verdict(minutes, TARGET_LOAD_MIN, True, ' min')}"
    rows.append(
        [
            n,
            "indexing, records/s (project: `indexer load`; engine: raw `_bulk`)",
            _num(ix["indexer_rps"]),
            _num(ix["raw_bulk_rps"]),
            "",
            _x(ratio),
            "",
            target,
        ]
    )

    def cpu(run: dict) -> str:
        c = run["cpu"]
        app = _num(c["app"], 2) if c["app"] >= 0.005 else "0"
        return f"{app} + {_num(c['es'], 2)} + {_num(c['loadgen'], 2)} = {_num(c['total'], 2)}"

    rows.append(
        [
            n,
            "CPU per request, ms: app workers + Elasticsearch + load generator",
            cpu(api),
            cpu(wrk),
            cpu(py),
            _x(_ratio(api["cpu"]["total"], wrk["cpu"]["total"])),
            _x(_ratio(api["cpu"]["total"], py["cpu"]["total"])),
            "",
        ]
    )
    rows.append(
        [
            n,
            "CPU busy during the run, share of all cores",
            f"{api['cpu']['busy']:.0%}",
            f"{wrk['cpu']['busy']:.0%}",
            f"{py['cpu']['busy']:.0%}",
            "",
            "",
            "",
        ]
    )
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


def markdown(meta: dict, results: list[dict]) -> str:
    lines = [f"# Provider directory benchmark, {meta['started']}", ""]
    lines += [f"- {k}: {v}" for k, v in meta["header"].items()]
    lines += ["", "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for r in results:
        for row in size_rows(r):
            lines.append("| " + " | ".join(row) + " |")
    lines += ["", *growth(results), *meta.get("notes", [])]
    return "\n".join(lines) + "\n"


def growth(results: list[dict]) -> list[str]:
    """How each figure changes from the smallest size to the largest, API next to the engine."""
    if len(results) < 2:
        return []
    small, big = results[0], results[-1]

    def change(get) -> str:
        return _x(_ratio(get(big), get(small)))

    p50 = _ratio(big["api"]["p50"], small["api"]["p50"])
    return [
        f"Growth from {small['size']:,} to {big['size']:,} clinics "
        f"(×{big['size'] / small['size']:g} the data):",
        f"- API latency p50 {_x(p50)}, p99 {change(lambda r: r['api']['p99'])} "
        f"(engine by wrk: p50 {change(lambda r: r['es_wrk']['p50'])}, "
        f"p99 {change(lambda r: r['es_wrk']['p99'])}); target p50 {_verdict(p50, TARGET_GROWTH, True)}",
        f"- throughput: API {change(lambda r: r['api']['rps'])}, "
        f"engine {change(lambda r: r['es_wrk']['rps'])}; "
        f"indexing records/s: indexer {change(lambda r: r['indexing']['indexer_rps'])}, "
        f"raw _bulk {change(lambda r: r['indexing']['raw_bulk_rps'])}",
        f"- memory: worker RSS {change(lambda r: r['memory']['worker_rss_mean'])}, "
        f"Elasticsearch heap used {change(lambda r: r['memory']['es_heap_used'])}, "
        f"index on disk {change(lambda r: r['memory']['index_bytes'])}",
        "",
    ]


def chart(results: list[dict], path: Path) -> None:
    """Latency, throughput and indexing per size; API vs the engine measured alongside."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [f"{r['size']:,}" for r in results]
    xs = list(range(len(results)))
    fig, axes = plt.subplots(2, 2, figsize=(12, 8.5))
    series = [
        ("api", "API (gunicorn)", "#d1495b"),
        ("es_wrk", "ES direct (wrk)", "#00798c"),
        ("es_py", "ES via Python client", "#edae49"),
    ]
    width = 0.26

    ax = axes[0][0]
    for i, (key, label, color) in enumerate(series):
        pos = [x + (i - 1) * width for x in xs]
        ax.bar(pos, [r[key]["p50"] for r in results], width, color=color, label=f"{label} p50")
        ax.bar(
            pos,
            [r[key]["p99"] - r[key]["p50"] for r in results],
            width,
            bottom=[r[key]["p50"] for r in results],
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
            [r[key]["rps"] for r in results],
            width,
            color=color,
            label=label,
        )
    ax.set_title("Throughput")
    ax.set_ylabel("requests/s")
    ax.legend(fontsize=8)

    ax = axes[1][0]
    ax.bar(
        [x - width / 2 for x in xs],
        [r["indexing"]["indexer_rps"] for r in results],
        width,
        color="#d1495b",
        label="indexer load (validate, store, bulk)",
    )
    ax.bar(
        [x + width / 2 for x in xs],
        [r["indexing"]["raw_bulk_rps"] for r in results],
        width,
        color="#00798c",
        label="raw _bulk, pre-serialized",
    )
    ax.set_title("Indexing")
    ax.set_ylabel("records/s")
    ax.legend(fontsize=8)

    ax = axes[1][1]
    ratio_series = [
        ("p50 API ÷ wrk", lambda r: r["api"]["p50"] / r["es_wrk"]["p50"], "#00798c", "o"),
        ("p50 API ÷ Python", lambda r: r["api"]["p50"] / r["es_py"]["p50"], "#edae49", "o"),
        ("throughput API ÷ wrk", lambda r: r["api"]["rps"] / r["es_wrk"]["rps"], "#00798c", "s"),
        ("throughput API ÷ Python", lambda r: r["api"]["rps"] / r["es_py"]["rps"], "#edae49", "s"),
    ]
    if all(r.get("single") for r in results):
        ratio_series.append(
            (
                "p50 at 1 connection API ÷ wrk",
                lambda r: r["single"]["api"]["p50"] / r["single"]["es_wrk"]["p50"],
                "#6a4c93",
                "o",
            )
        )
    for label, fn, color, marker in ratio_series:
        ax.plot(
            xs,
            [fn(r) for r in results],
            marker=marker,
            color=color,
            label=label,
            linestyle="-" if marker == "o" else "--",
        )
    ax.axhline(TARGET_P50, color="grey", linestyle="-", linewidth=1)
    ax.axhline(TARGET_RPS, color="grey", linestyle="--", linewidth=1)
    ax.text(xs[0], TARGET_P50, f" p50 target ≤ {TARGET_P50}×", va="bottom", fontsize=8, color="grey")
    ax.text(xs[0], TARGET_RPS, f" throughput target ≥ {TARGET_RPS}×", va="top", fontsize=8, color="grey")
    ax.set_title("Ratios against the engine (same run)")
    ax.set_ylabel("×")
    ax.legend(fontsize=8)

    for row in axes:
        for ax in row:
            ax.set_xticks(xs, sizes)
            ax.set_xlabel("clinics")
            ax.grid(axis="y", alpha=0.3)
    axes[0][0].legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
