"""How well the spam filter learns: trains it on half of tests/data/spam_corpus.jsonl (through
the same code an owner's Approve and Spam clicks run, on a throwaway SQLite database) and scores
the other half, then swaps the halves. Prints, at the default thresholds, the share of spam sent
to spam, held and let through, and of legitimate items sent to spam and held.

    .venv/bin/python bench/spam_filter.py [--seed 1] [--runs 5]"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from blog import create_app  # noqa: E402
from blog.extensions import db  # noqa: E402
from blog.models import Comment, CommentKind, CommentStatus, Post, PostStatus, User, utcnow  # noqa: E402
from blog.site_settings import SPECS  # noqa: E402
from blog.spam.classifier import score_tokens, trained_totals  # noqa: E402
from blog.spam.features import tokens_of  # noqa: E402
from blog.spam.training import learn  # noqa: E402

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "data" / "spam_corpus.jsonl"


def as_item(record: dict, post: Post) -> Comment:
    """A corpus record as the blog stores it: a trackback when it names a web page (title and
    excerpt, the sender's name as blog name), else a comment."""
    if record["url"]:
        return Comment(post_id=post.id, kind=CommentKind.TRACKBACK, author_name=record["author"] or record["title"],
                       author_url=record["url"], content=f"{record['title']}\n\n{record['text']}")
    return Comment(post_id=post.id, kind=CommentKind.COMMENT, author_name=record["author"], content=record["text"])


def run(train: list[dict], test: list[dict]) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite", "TESTING": True,
                          "SECRET_KEY": "bench"})
        with app.app_context():
            db.create_all()
            user = User(username="owner", email="owner@example.com", password_hash="x")
            post = Post(title="A post", slug="a-post", status=PostStatus.PUBLISHED, published_at=utcnow(), author=user)
            db.session.add_all([user, post])
            db.session.commit()
            started = time.perf_counter()
            for record in train:
                item = as_item(record, post)
                item.status = CommentStatus.PENDING
                db.session.add(item)
                db.session.flush()
                learn(item, "spam" if record["label"] == "spam" else "ham")
            db.session.commit()
            trained = time.perf_counter() - started
            totals = trained_totals()
            spam_at, hold_at = SPECS["spam_threshold"].default / 100, SPECS["spam_hold_threshold"].default / 100
            outcome = {("spam", "spam"): 0, ("spam", "held"): 0, ("spam", "passed"): 0,
                       ("ham", "spam"): 0, ("ham", "held"): 0, ("ham", "passed"): 0}
            started = time.perf_counter()
            for record in test:
                item = as_item(record, post)
                score = score_tokens(tokens_of(item), totals).value
                verdict = "spam" if score >= spam_at else "held" if score >= hold_at else "passed"
                outcome[(record["label"], verdict)] += 1
            scored = time.perf_counter() - started
    spam_n = sum(v for (label, _), v in outcome.items() if label == "spam")
    ham_n = sum(v for (label, _), v in outcome.items() if label == "ham")
    return {
        "spam to spam": outcome[("spam", "spam")] / spam_n,
        "spam held": outcome[("spam", "held")] / spam_n,
        "spam passed": outcome[("spam", "passed")] / spam_n,
        "ham to spam": outcome[("ham", "spam")] / ham_n,
        "ham held": outcome[("ham", "held")] / ham_n,
        "train ms/item": 1000 * trained / len(train),
        "score ms/item": 1000 * scored / len(test),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3, help="random halvings (each also run swapped)")
    args = parser.parse_args()
    records = [json.loads(line) for line in CORPUS.read_text().splitlines() if line.strip()]
    rng = random.Random(args.seed)
    print(f"{len(records)} items: {sum(r['label'] == 'spam' for r in records)} spam, "
          f"{sum(r['label'] == 'ham' for r in records)} legitimate; thresholds: spam >= "
          f"{SPECS['spam_threshold'].default} %, held >= {SPECS['spam_hold_threshold'].default} %")
    results = []
    for run_number in range(args.runs):
        rng.shuffle(records)
        half = len(records) // 2
        for name, train, test in (("A", records[:half], records[half:]), ("B", records[half:], records[:half])):
            result = run(train, test)
            results.append(result)
            print(f"run {run_number + 1}{name}: " + ", ".join(
                f"{k} {v:.1%}" if "ms" not in k else f"{k} {v:.2f}" for k, v in result.items()))
    print("worst: spam sent to spam {:.1%}, spam kept out (spam or held) {:.1%}, legitimate sent to spam {:.1%}, "
          "legitimate held {:.1%}".format(
              min(r["spam to spam"] for r in results), min(r["spam to spam"] + r["spam held"] for r in results),
              max(r["ham to spam"] for r in results), max(r["ham held"] for r in results)))


if __name__ == "__main__":
    main()
