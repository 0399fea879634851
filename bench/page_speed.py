"""Requests per second for an anonymous reader: our home page and a post with 100 approved comments, served by
`flask serve` (waitress plus the job thread, what `make run` runs), side by side with WordPress on the same
content (wp-peer's bench-setup) in the same run.

    .venv/bin/python bench/page_speed.py [--wordpress http://127.0.0.1:8081/] [--theme twentytwentyone]
                                         [--runs 3] [--duration 15s] [--port 5098] [--no-cache]

Needs wrk (Debian: apt-get install wrk; a benchmark tool only, nothing else uses it). Each page gets a 3 s
warm-up, then `wrk -t2 -c16 -d15s --latency --timeout 30s` --runs times; the median is printed (wp-peer's
bench.sh does the same). With --wordpress the given theme is switched on for the run (wp-peer's wp-eval) and the
theme that was active is restored afterwards. --no-cache serves our blog with the full-page cache off
(BLOG_PAGE_CACHE=false): the cost of rendering every request."""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import tempfile
from pathlib import Path

import requests
from blog_server import serve_bench_content

ROOT = Path(__file__).resolve().parent.parent
WP_PEER = ROOT.parent / "shared" / "tools" / "wp-peer"


def wrk(url: str, duration: str) -> dict[str, float]:
    out = subprocess.run(["wrk", "-t2", "-c16", f"-d{duration}", "--latency", "--timeout", "30s", url],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1, "s": 1000}
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": float(p50.group(1)) * scale[p50.group(2)],
            "p99": float(p99.group(1)) * scale[p99.group(2)], "errors": int(non_2xx.group(1)) if non_2xx else 0}


def measure(url: str, runs: int, duration: str) -> dict[str, float]:
    """The median of `runs` wrk runs after a 3 s warm-up; fails unless the page answers 200."""
    response = requests.get(url, timeout=30)
    response.raise_for_status()
    wrk(url, "3s")
    results = [wrk(url, duration) for _ in range(runs)]
    figures = {key: statistics.median(r[key] for r in results) for key in ("rps", "p50", "p99")}
    figures["errors"] = sum(r["errors"] for r in results)
    figures["bytes"] = len(response.content)
    return figures


def wp_php(*args: str) -> str:
    port_file = Path("/var/lib/wp-peer/port")
    port = port_file.read_text().strip() if port_file.exists() else "8081"
    result = subprocess.run(["php", "-d", "display_errors=stderr", str(WP_PEER / "lib" / "wp.php"), *args],
                            env=dict(os.environ, WP_PEER_PORT=port), capture_output=True, text=True, check=True)
    return result.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wordpress", help="wp-peer's address, e.g. http://127.0.0.1:8081/")
    parser.add_argument("--theme", default="twentytwentyone", help="the WordPress theme to measure")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", default="15s")
    parser.add_argument("--port", type=int, default=5098)
    parser.add_argument("--no-cache", action="store_true", help="our full-page cache off")
    args = parser.parse_args()

    rows: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="page-speed-") as tmp:
        server, home, post = serve_bench_content(Path(tmp) / "instance", args.port,
                                                  PAGE_CACHE="false" if args.no_cache else "true")
        try:
            rows["ours home"] = measure(home, args.runs, args.duration)
            rows["ours post"] = measure(post, args.runs, args.duration)
        finally:
            server.terminate()
            server.wait(10)
    if args.wordpress:
        wp_home, wp_post = wp_php("bench-setup", "100").split()
        active = wp_php("eval", "echo get_stylesheet();").strip()
        try:
            wp_php("eval", f'switch_theme("{args.theme}");')
            rows["wordpress home"] = measure(wp_home, args.runs, args.duration)
            rows["wordpress post"] = measure(wp_post, args.runs, args.duration)
        finally:
            wp_php("eval", f'switch_theme("{active}");')

    cache = "off" if args.no_cache else "on"
    print(f"wrk -t2 -c16 -d{args.duration}, median of {args.runs}; our page cache {cache}"
          + (f"; WordPress theme {args.theme}" if args.wordpress else ""))
    print(f"{'page':<16} {'bytes':>8} {'req/s':>10} {'p50 ms':>9} {'p99 ms':>9} {'errors':>7}")
    for name, r in rows.items():
        print(f"{name:<16} {r['bytes']:>8} {r['rps']:>10.1f} {r['p50']:>9.2f} {r['p99']:>9.2f} {r['errors']:>7}")
    if args.wordpress:
        for page in ("home", "post"):
            print(f"{page}: ours / WordPress = {rows[f'ours {page}']['rps'] / rows[f'wordpress {page}']['rps']:.1f}x")


if __name__ == "__main__":
    main()
