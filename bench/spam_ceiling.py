"""How far the spam filter is from the best this corpus allows: on the same halvings of
tests/data/spam_corpus.jsonl as bench/spam_filter.py, the share of spam each classifier can send
to spam while at most 1 % of legitimate items go there, with the threshold picked afterwards on
the scored half itself (an upper bound no deployed filter gets: it must fix its threshold before
it sees the items). Compared: the blog's filter (counts in the database) and scikit-learn's
logistic regression and linear SVM over word and character n-grams, the strongest plain
classifiers for short text. scikit-learn is for this comparison only, not a dependency of the blog:

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/spam_ceiling.py [--runs 3] [--seed 1]"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.spam_filter import halvings, load_corpus, scores  # noqa: E402

LEGITIMATE_TO_SPAM = 0.01


def caught_at_best_threshold(scored: list[tuple[float, bool]]) -> float:
    """The share of spam scoring above the highest threshold that lets at most 1 % of the
    legitimate items through to spam."""
    ham = sorted((score for score, is_spam in scored if not is_spam), reverse=True)
    spam = [score for score, is_spam in scored if is_spam]
    allowed = int(LEGITIMATE_TO_SPAM * len(ham))
    threshold = ham[allowed] if allowed < len(ham) else float("-inf")
    return sum(score > threshold for score in spam) / len(spam)


def _text(record: dict) -> str:
    return "\n".join((record["title"], record["author"], record["url"], record["text"]))


def _linear_models():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC

    def characters():
        return TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2)

    def words():
        return TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)

    return {
        "logistic regression, character 2-5-grams": lambda: make_pipeline(
            characters(), LogisticRegression(C=300, max_iter=5000)),
        "linear SVM, character 2-5-grams": lambda: make_pipeline(characters(), LinearSVC(C=1)),
        "linear SVM, words and word pairs": lambda: make_pipeline(words(), LinearSVC(C=1)),
    }


def _model_scores(make, train: list[dict], test: list[dict]) -> list[tuple[float, bool]]:
    model = make().fit([_text(r) for r in train], [r["label"] == "spam" for r in train])
    values = model.decision_function([_text(r) for r in test])
    return [(float(value), record["label"] == "spam") for value, record in zip(values, test, strict=True)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3, help="random halvings (each also run swapped)")
    args = parser.parse_args()
    try:
        models = _linear_models()
    except ImportError:
        sys.exit("scikit-learn is needed for the comparison: .venv/bin/pip install -e '.[bench]'")
    results: dict[str, list[float]] = {"the blog's filter": [], **{name: [] for name in models}}
    for name, train, test in halvings(load_corpus(), args.runs, args.seed):
        results["the blog's filter"].append(caught_at_best_threshold(scores(train, test)[0]))
        for model_name, make in models.items():
            results[model_name].append(caught_at_best_threshold(_model_scores(make, train, test)))
        print(f"run {name}: " + ", ".join(f"{k} {v[-1]:.1%}" for k, v in results.items()), flush=True)
    print(f"\nspam sent to spam with at most {LEGITIMATE_TO_SPAM:.0%} of legitimate items, threshold picked on the "
          "scored half:")
    for model_name, values in results.items():
        print(f"  {model_name}: worst {min(values):.1%}, mean {statistics.mean(values):.1%}, best {max(values):.1%}")


if __name__ == "__main__":
    main()
