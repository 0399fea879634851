"""The tools the web's own people check pages with: the Nu HTML Checker (vnu.jar on Java, fetched by
`make test` from the npm registry's vnu-jar package) and axe-core in Chromium (the copy bundled by the
axe-playwright-python package)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def vnu_jar() -> Path:
    configured = os.environ.get("VNU_JAR")
    candidates = [Path(configured)] if configured else sorted((ROOT / ".venv" / "share").glob("vnu-*.jar"))
    for jar in candidates:
        jar = jar if jar.is_absolute() else ROOT / jar
        if jar.is_file():
            return jar
    raise AssertionError("The Nu HTML Checker is missing: `make test` fetches it (or set VNU_JAR to a vnu.jar)")


def vnu_errors(documents: dict[str, str], folder: Path) -> list[str]:
    """Every error the Nu HTML Checker finds in the documents (name -> HTML), one JVM for all of
    them, as "name: line N: message [extract]"."""
    java = shutil.which("java")
    assert java, "Java is missing: `make test` installs Debian's default-jre-headless"
    names = {}
    for number, (name, html) in enumerate(documents.items()):
        path = folder / f"page-{number}.html"
        path.write_text(html, encoding="utf-8")
        names[path.name] = name
    result = subprocess.run(
        [java, "-Xss8m", "-jar", str(vnu_jar()), "--errors-only", "--format", "json", "--exit-zero-always",
         *sorted(str(folder / p) for p in os.listdir(folder) if p.endswith(".html"))],
        capture_output=True, text=True, timeout=600,
    )
    try:
        report = json.loads(result.stderr or result.stdout)
    except ValueError:
        raise AssertionError(f"the Nu HTML Checker failed: {result.stderr or result.stdout}") from None
    errors = []
    for message in report["messages"]:
        if message.get("type") not in ("error", "non-document-error"):
            continue
        url = message.get("url", "?")
        where = names.get(url.rsplit("/", 1)[-1], url)
        extract = re.sub(r"\s+", " ", message.get("extract", "")).strip()
        errors.append(f"{where}: line {message.get('lastLine', '?')}: {message['message']} [{extract[:120]}]")
    return errors


def axe_violations(page) -> list[str]:
    """axe-core's violations on the Playwright page as loaded, one line per failing element."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"resultTypes": ["violations"]})
    found = []
    for violation in results.response["violations"]:
        for node in violation["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            found.append(f"{violation['id']} ({violation['impact']}): {violation['help']} at {target}")
    return found
