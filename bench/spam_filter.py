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


def scores(train: list[dict], test: list[dict]) -> tuple[list[tuple[float, bool]], float, float]:
    """Trains a fresh filter on `train` through `learn` and scores `test`: each test item's score
    and whether it is spam, and the seconds spent training and scoring."""
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
            started = time.perf_counter()
            scored = [(score_tokens(tokens_of(as_item(record, post)), totals).value, record["label"] == "spam")
                      for record in test]
            return scored, trained, time.perf_counter() - started


def load_corpus() -> list[dict]:
    return [json.loads(line) for line in CORPUS.read_text().splitlines() if line.strip()]


def halvings(records: list[dict], runs: int, seed: int):
    """(name, train, test) for each random halving of the records (shuffled in place) and its swap."""
    rng = random.Random(seed)
    for run_number in range(runs):
        rng.shuffle(records)
        half = len(records) // 2
        yield f"{run_number + 1}A", records[:half], records[half:]
        yield f"{run_number + 1}B", records[half:], records[:half]


def run(train: list[dict], test: list[dict]) -> dict[str, float]:
    scored, trained, scoring = scores(train, test)
    spam_at, hold_at = SPECS["spam_threshold"].default / 100, SPECS["spam_hold_threshold"].default / 100
    spam = [score for score, is_spam in scored if is_spam]
    ham = [score for score, is_spam in scored if not is_spam]
    return {
        "spam to spam": sum(score >= spam_at for score in spam) / len(spam),
        "spam held": sum(hold_at <= score < spam_at for score in spam) / len(spam),
        "spam passed": sum(score < hold_at for score in spam) / len(spam),
        "ham to spam": sum(score >= spam_at for score in ham) / len(ham),
        "ham held": sum(hold_at <= score < spam_at for score in ham) / len(ham),
        "train ms/item": 1000 * trained / len(train),
        "score ms/item": 1000 * scoring / len(test),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3, help="random halvings (each also run swapped)")
    args = parser.parse_args()
    records = load_corpus()
    print(f"{len(records)} items: {sum(r['label'] == 'spam' for r in records)} spam, "
          f"{sum(r['label'] == 'ham' for r in records)} legitimate; thresholds: spam >= "
          f"{SPECS['spam_threshold'].default} %, held >= {SPECS['spam_hold_threshold'].default} %")
    results = []
    for name, train, test in halvings(records, args.runs, args.seed):
        result = run(train, test)
        results.append(result)
        print(f"run {name}: " + ", ".join(
            f"{k} {v:.1%}" if "ms" not in k else f"{k} {v:.2f}" for k, v in result.items()))
    print("worst: spam sent to spam {:.1%}, spam kept out (spam or held) {:.1%}, legitimate sent to spam {:.1%}, "
          "legitimate held {:.1%}".format(
              min(r["spam to spam"] for r in results), min(r["spam to spam"] + r["spam held"] for r in results),
              max(r["ham to spam"] for r in results), max(r["ham held"] for r in results)))


if __name__ == "__main__":
    main()
