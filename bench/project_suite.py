"""The benchmark suite over synthetic projects (:mod:`bench.generate_project`): for one size, in one run,

(a) ingest throughput of the project's files against their bare parse (:mod:`bench.project_ingest`);
(b) every page view's server time against the raw DuckDB time of the SQL it ran, and (d) its chart bytes
    (:mod:`bench.page_timing`);
(c) the app process's peak memory while a browser loads every view (:mod:`bench.app_memory`);
(e) the store's size on disk per million history points.

``python -m bench.project_suite`` measures the small and medium projects (what ``make bench`` runs);
``--size large`` the large one (built on first use), ``--only`` some parts (``ingest``, ``pages``, ``memory``,
``store``), ``--page`` some views by URL (``--page /metrics``; pages and memory only, unless ``--only`` says
otherwise), ``--repeats`` the repetitions per timing (3), ``--rebuild`` builds the project again. Each run prints
one block of figures per size.
"""

from __future__ import annotations

import argparse
import os
import time

import duckdb

from bench import app_memory, page_timing, project_ingest
from bench.generate_project import SIZES, project

PARTS = ("ingest", "pages", "memory", "store")


def store_figures(store) -> dict:
    with duckdb.connect(str(store), read_only=True) as con:
        points = con.execute("SELECT count(*) FROM history").fetchone()[0]
    size = store.stat().st_size
    return {"bytes": size, "points": points, "bytes_per_million": size / (points / 1e6) if points else None}


def measure(size: str, parts: tuple[str, ...] = PARTS, pages: tuple[str, ...] = (), repeats: int = 3,
            rebuild: bool = False) -> dict:
    """The figures of the ``parts`` named, for the project of ``size`` (built first if needed)."""
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    built = project(size, rebuild=rebuild)
    views = tuple(view for view in page_timing.VIEWS if not pages or view.url in pages)
    result: dict = {"size": size, "facts": built.facts(), "repeats": repeats}
    if "ingest" in parts:
        result["ingest"] = project_ingest.measure(built, repeats)
    if "pages" in parts:
        result["pages"] = page_timing.measure(built.store, views, repeats)
    if "memory" in parts:
        result["memory"] = app_memory.measure(built.store, views)
    if "store" in parts:
        result["store"] = store_figures(built.store)
    result["load"] = (load_before, os.getloadavg()[0])
    result["seconds"] = time.perf_counter() - started
    return result


def _mb(kilobytes: int) -> str:
    return f"{kilobytes / 1024:,.0f}"


def _view_row(url: str, timing: dict | None, used: dict | None) -> str:
    cells = [f"  {url:24}"]
    if timing:
        ratio = f"{timing['page'] / timing['raw']:5.1f}x" if timing["statements"] else f"{'-':>6}"
        cells.append(f"{timing['page']:7.2f} {timing['raw']:7.2f} {ratio} {timing['statements']:5d} "
                     f"{timing['chart_bytes'] / 1e3:9.1f}")
    else:
        cells.append(" " * 39)
    if used:
        cells.append(f"{_mb(used['peak_kb']):>8} {used['seconds']:9.1f}")
    problems = (timing or {}).get("problems", []) + (used or {}).get("problems", [])
    return " ".join(cells) + (f"  PROBLEM: {' '.join(problems[0].split())[:200]}" if problems else "")


def report(result: dict) -> str:
    facts = result["facts"]
    source = "ingested from run folders" if facts["history_from_files"] else "filled directly"
    lines = [f"Synthetic project {result['size']} ({facts['runs']:,} runs x {facts['steps']:,} steps x "
             f"{facts['metrics']} metrics = {facts['history_points']:,} history points, {source}; "
             f"{facts['sprints']} sprints, {facts['items']:,} items, {facts['events']:,} events, {facts['tables']} "
             f"predictions tables; medians of {result['repeats']}; load average {result['load'][0]:.1f} before, "
             f"{result['load'][1]:.1f} after on {os.cpu_count()} cores; {result['seconds']:.0f} s):"]
    for name, figures in result.get("ingest", {}).items():
        seconds, rates, unit = figures["seconds"], figures["per_second"], figures["unit"]
        what = f"{figures['files']:,} run folders" if name == "run folders" else "the backlog"
        lines.append(f"  (a) ingest of {what} ({figures['bytes'] / 1e6:.1f} MB, {figures['count']:,} {unit}): bare "
                     f"parse {seconds['bare']:.2f} s ({rates['bare']:,.0f} {unit}/s), ingest {seconds['ingest']:.2f} s "
                     f"({figures['ratio']:.1f}x, {rates['ingest']:,.0f} {unit}/s)")
    pages, memory = result.get("pages", {}), result.get("memory", {})
    if pages or memory:
        lines.append(f"  {'view':24} {'page s':>7} {'raw s':>7} {'ratio':>6} {'SQL':>5} {'chart KB':>9} "
                     f"{'peak MB':>8} {'browser s':>9}")
        for url in dict.fromkeys([*pages, *memory.get("views", {})]):
            lines.append(_view_row(url, pages.get(url), memory.get("views", {}).get(url)))
    if memory:
        own = "each view's own peak" if memory["peak_reset"] else "peak so far"
        lines.append(f"  (c) app process: {_mb(memory['idle_kb'])} MB resident idle, {_mb(memory['peak_kb'])} MB "
                     f"peak over all views (peak MB per view: {own})")
    if "store" in result:
        store = result["store"]
        lines.append(f"  (e) store: {store['bytes'] / 1e6:,.1f} MB for {store['points']:,} history points = "
                     f"{store['bytes_per_million'] / 1e6:.1f} MB per million points")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.project_suite", description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", action="append", choices=sorted(SIZES), help="small and medium if not given")
    parser.add_argument("--only", action="append", choices=PARTS,
                        help="every part if not given (with --page: pages and memory)")
    parser.add_argument("--page", action="append", default=[], help="a view's URL, e.g. /metrics?view=sprints")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rebuild", action="store_true", help="build the project again first")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be 1 or more")
    unknown = set(args.page) - {view.url for view in page_timing.VIEWS}
    if unknown:
        parser.error(f"no such view: {', '.join(sorted(unknown))} (views: "
                     f"{', '.join(view.url for view in page_timing.VIEWS)})")
    parts = tuple(args.only or (("pages", "memory") if args.page else PARTS))
    for size in args.size or ["small", "medium"]:
        print(report(measure(size, parts, tuple(args.page), args.repeats, args.rebuild)), flush=True)


if __name__ == "__main__":
    main()
