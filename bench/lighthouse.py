"""Lighthouse 12 (accessibility, best practices, SEO) on our home page and a post with 100 comments,
side by side with WordPress 6.1 on the same content (wp-peer's bench-setup) in its two bundled themes.

    .venv/bin/python bench/lighthouse.py [--wordpress URL] [--port 5099]

Needs Node's npx (it runs `npx -y lighthouse@12.2.3`) and Debian's Chromium (CHROME_PATH). Our blog is
a fresh instance in a temporary folder, served by `flask serve` (the server `make run` uses). With
--wordpress (wp-peer's address, e.g. http://127.0.0.1:8081/; start it with ../shared/tools/wp-peer/start.sh)
WordPress is measured too: its content is set up by wp-peer's bench-setup, in Twenty Twenty-One
(classic) and Twenty Twenty-Three (6.1's default); the theme that was active is restored afterwards.
Prints one row per page, and every audit that did not pass on our pages."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
from pathlib import Path

from blog_server import serve_bench_content

ROOT = Path(__file__).resolve().parent.parent
WP_PEER = ROOT.parent / "shared" / "tools" / "wp-peer"
LIGHTHOUSE = "lighthouse@12.2.3"
CATEGORIES = ("accessibility", "best-practices", "seo")
WP_THEMES = ("twentytwentyone", "twentytwentythree")


def lighthouse(url: str, out: Path) -> dict:
    env = dict(os.environ, CHROME_PATH=os.environ.get("CHROME_PATH", "/usr/bin/chromium"))
    subprocess.run(
        ["npx", "-y", LIGHTHOUSE, url, "--quiet", "--output=json", f"--output-path={out}",
         f"--only-categories={','.join(CATEGORIES)}", "--chrome-flags=--headless=new --no-sandbox --disable-gpu"],
        check=True, env=env, timeout=300,
    )
    return json.loads(out.read_text())


def scores(report: dict) -> dict[str, int]:
    return {name: round(report["categories"][name]["score"] * 100) for name in CATEGORIES}


def failed_audits(report: dict) -> list[str]:
    found = []
    for name in CATEGORIES:
        for ref in report["categories"][name]["auditRefs"]:
            audit = report["audits"][ref["id"]]
            if audit.get("score") is not None and audit["score"] < 1 and ref.get("weight", 0) > 0:
                found.append(f"{name}: {ref['id']} ({audit['title']})")
    return found


def wp_php(*args: str) -> str:
    port = (Path("/var/lib/wp-peer/port").read_text().strip() if Path("/var/lib/wp-peer/port").exists() else "8081")
    result = subprocess.run(["php", "-d", "display_errors=stderr", str(WP_PEER / "lib" / "wp.php"), *args],
                            env=dict(os.environ, WP_PEER_PORT=port), capture_output=True, text=True, check=True)
    return result.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wordpress", help="wp-peer's address, e.g. http://127.0.0.1:8081/")
    parser.add_argument("--port", type=int, default=5099)
    args = parser.parse_args()

    rows: list[tuple[str, dict[str, int]]] = []
    with tempfile.TemporaryDirectory(prefix="lighthouse-") as tmp:
        tmp = Path(tmp)
        server, home, post = serve_bench_content(tmp / "instance", args.port)
        try:
            ours = {"ours, home": lighthouse(home, tmp / "home.json"),
                    "ours, post + 100 comments": lighthouse(post, tmp / "post.json")}
        finally:
            server.terminate()
            server.wait(10)
        rows += [(name, scores(report)) for name, report in ours.items()]
        if args.wordpress:
            wp_home, wp_post = wp_php("bench-setup", "100").split()
            active = wp_php("eval", "echo get_stylesheet();").strip()
            try:
                for theme in WP_THEMES:
                    wp_php("eval", f'switch_theme("{theme}");')
                    rows.append((f"WordPress {theme}, home", scores(lighthouse(wp_home, tmp / "wp-home.json"))))
                    rows.append((f"WordPress {theme}, post + 100 comments",
                                 scores(lighthouse(wp_post, tmp / "wp-post.json"))))
            finally:
                wp_php("eval", f'switch_theme("{active}");')

    print(f"\n{'page':<50} " + " ".join(f"{c:>15}" for c in CATEGORIES))
    for name, values in rows:
        print(f"{name:<50} " + " ".join(f"{values[c]:>15}" for c in CATEGORIES))
    for name, report in ours.items():
        failures = failed_audits(report)
        print(f"\n{name}: " + ("every weighted audit passed" if not failures else "not passed:"))
        for line in failures:
            print("  " + line)


if __name__ == "__main__":
    main()
