"""Fit the decision model on the tuning halves of the question sets, and ship it.

Reads the features `qa.py --features FILE` wrote (every question's best candidates, each
with its features and whether it is right, and the same for the sets' questions asked of
wrong corpora) and fits two logistic regressions on the tuning halves only, each set
weighing the same whatever its size:

- passage: which candidate is the right one? a conditional logit over each answerable
  question's candidates (those with a right one among them);
- answering: is the question asked of a corpus that answers it? (answerable questions
  asked of their own corpus against the same questions asked of wrong corpora), from the
  first candidate, the passage model's view of it and the best of the three shown.

The threshold is the one under which the most sets' tuning halves meet both targets
(TARGET_DECLINED, TARGET_WRONG), the fewest mistakes of both kinds breaking ties.
Writes src/footnote/data/decision.json and prints the models.

    python benchmarks/fit_decision.py FEATURES.jsonl [--dry-run]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from footnote.answering.decision import (
    ANSWERING,
    FEATURES,
    MODEL_FILE,
    DecisionModel,
    Evidence,
    answering_values,
)

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "src" / "footnote" / "data" / MODEL_FILE
L2 = 1.0  # ridge on the coefficients (not the intercept): keeps them small and stable
TARGET_DECLINED = 0.10  # the targets: at most this share of answerable questions
TARGET_WRONG = 0.05  # declined, and of questions asked of a wrong corpus answered


# The sign each coefficient must have to mean what its feature says (more of the question
# held is never evidence against a passage); a feature fitted with the other sign is left
# out and the model refitted, so no coefficient contradicts its meaning. Unlisted: free.
SIGNS = {
    "coverage": 1, "fields": 1, "sentence": 1, "proximity": 1, "score": 1, "share_of_best": 1,
    "margin": 1, "first": 1, "type_held": 1, "known": 1, "rank_probability": 1, "rank_lead": 1,
    "heading": 1, "title": 1, "shown_fields": 1,
    "missing": -1, "type_missing": -1, "single_word": -1, "unknown": -1,
}  # fmt: skip


def with_signs(
    fit: Callable[[list[int]], tuple[float, np.ndarray]],
    names: tuple[str, ...],
    leave_out: frozenset[str] = frozenset(),
) -> tuple[float, np.ndarray]:
    """Fit on the features not left out (`fit` takes their columns and gives an intercept
    and their coefficients), leaving out one at a time the feature whose coefficient most
    contradicts its expected sign (SIGNS) until none does; left-out features weigh 0."""
    kept = [i for i, name in enumerate(names) if name not in leave_out]
    while True:
        intercept, coef = fit(kept)
        wrong = [
            (abs(c), i) for c, i in zip(coef, kept, strict=True) if c * SIGNS.get(names[i], 0) < 0
        ]
        if not wrong:
            full = np.zeros(len(names))
            full[kept] = coef
            return intercept, full
        kept.remove(max(wrong)[1])


def fit_signed(
    x: np.ndarray,
    y: np.ndarray,
    weight: np.ndarray,
    names: tuple[str, ...],
    leave_out: frozenset[str] = frozenset(),
) -> tuple[float, np.ndarray]:
    """fit_logistic under the sign rule (with_signs)."""
    return with_signs(lambda kept: fit_logistic(x[:, kept], y, weight), names, leave_out)


def fit_logistic(x: np.ndarray, y: np.ndarray, weight: np.ndarray) -> tuple[float, np.ndarray]:
    """Weighted L2-regularised logistic regression by Newton's method: (intercept, coef)."""
    design = np.hstack([np.ones((len(x), 1)), x])
    beta = np.zeros(design.shape[1])
    ridge = np.full(design.shape[1], L2)
    ridge[0] = 0.0
    for _ in range(100):
        p = 1 / (1 + np.exp(-np.clip(design @ beta, -60, 60)))
        gradient = design.T @ (weight * (p - y)) + ridge * beta
        hessian = (design * (weight * p * (1 - p))[:, None]).T @ design + np.diag(ridge)
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.abs(step).max() < 1e-9:
            break
    return float(beta[0]), beta[1:]


def probabilities(intercept: float, coef: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The model's probability for each row."""
    return 1 / (1 + np.exp(-np.clip(intercept + x @ coef, -60, 60)))


def read(path: Path) -> list[dict]:
    """The feature records."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def ranking_groups(records: list[dict]) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
    """Tuning-half answerable questions with a right candidate: each one's candidates'
    features, which are right, and a weight per question so every set counts the same."""
    groups, rights, sets = [], [], []
    for r in records:
        if r["half"] != "tuning" or not r["answerable"]:
            continue
        if not any(c["right"] for c in r["candidates"]):
            continue
        groups.append(np.array([c["features"] for c in r["candidates"]]))
        rights.append(np.array([c["right"] for c in r["candidates"]], dtype=float))
        sets.append(r["set"])
    return groups, rights, set_weights(sets)


def softmax(z: np.ndarray) -> np.ndarray:
    """The softmax of a vector of scores."""
    e = np.exp(z - z.max())
    return e / e.sum()


def fit_choice(
    groups: list[np.ndarray], rights: list[np.ndarray], weight: np.ndarray
) -> np.ndarray:
    """A conditional logit by Newton's method: coefficients maximising the weighted
    likelihood that the right candidates are chosen (several right share the target)."""
    beta = np.zeros(groups[0].shape[1])
    for _ in range(100):
        gradient = -L2 * beta
        hessian = -L2 * np.eye(len(beta))
        for x, right, w in zip(groups, rights, weight, strict=True):
            p = softmax(x @ beta)
            mean = x.T @ p
            gradient += w * (x.T @ (right / right.sum()) - mean)
            hessian -= w * ((x * p[:, None]).T @ x - np.outer(mean, mean))
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.abs(step).max() < 1e-9:
            break
    return beta


def fit_choice_signed(
    groups: list[np.ndarray],
    rights: list[np.ndarray],
    weight: np.ndarray,
    leave_out: frozenset[str] = frozenset(),
) -> np.ndarray:
    """fit_choice under the sign rule (with_signs); a conditional logit has no intercept."""

    def fit(kept: list[int]) -> tuple[float, np.ndarray]:
        return 0.0, fit_choice([g[:, kept] for g in groups], rights, weight)

    return with_signs(fit, FEATURES, leave_out)[1]


def set_weights(sets: list[str]) -> np.ndarray:
    """A weight per row so that each set's rows together weigh the same."""
    count = defaultdict(int)
    for s in sets:
        count[s] += 1
    return np.array([len(sets) / (len(count) * count[s]) for s in sets])


def answering_rows(records: list[dict], coef: np.ndarray) -> list[dict]:
    """Each question's answering inputs, its candidates weighed by the passage model."""
    rows = []
    for r in records:
        if not r["candidates"]:
            continue
        x = np.array([c["features"] for c in r["candidates"]])
        p = softmax(x @ coef)
        evidence = [Evidence(0, tuple(row), float(q)) for row, q in zip(x, p, strict=True)]
        values = answering_values(evidence)
        rows.append(
            {
                "set": r["set"],
                "half": r["half"],
                "answerable": r["answerable"],
                "corpus": r.get("corpus"),
                "x": [values[name] for name in ANSWERING],
            }
        )
    return rows


def rates(rows: list[dict], intercept: float, coef: np.ndarray, threshold: float) -> dict:
    """Per set: (share of answerable questions declined, share of wrong-corpus answered)."""
    result = {}
    for name in sorted({r["set"] for r in rows}):
        part = [r for r in rows if r["set"] == name]
        p = probabilities(intercept, coef, np.array([r["x"] for r in part]))
        own = np.array([r["answerable"] for r in part])
        declined = float((p[own] < threshold).mean()) if own.any() else 0.0
        wrong = float((p[~own] >= threshold).mean()) if (~own).any() else 0.0
        result[name] = (declined, wrong)
    return result


def choose_threshold(rows: list[dict], intercept: float, coef: np.ndarray) -> float:
    """The threshold under which the most sets' tuning halves meet both targets (at most
    TARGET_DECLINED of answerable questions declined, TARGET_WRONG of wrong-corpus ones
    answered); among those, the one with the fewest mistakes of both kinds on average."""
    tuning = [r for r in rows if r["half"] == "tuning"]

    def merit(threshold: float) -> tuple[int, float]:
        per_set = rates(tuning, intercept, coef, threshold).values()
        met = sum(d <= TARGET_DECLINED and w <= TARGET_WRONG for d, w in per_set)
        return met, -sum(d + w for d, w in per_set) / len(per_set)

    return round(max(np.arange(0.05, 0.96, 0.01), key=merit), 2)


def summary(rows: list[dict], intercept: float, coef: np.ndarray, threshold: float) -> list[str]:
    """Answerable declined and wrong-corpus answered per set and half at the threshold."""
    lines = []
    for half in ("tuning", "held-back"):
        part = [r for r in rows if r["half"] == half]
        for name, (declined, wrong) in rates(part, intercept, coef, threshold).items():
            lines.append(
                f"{name:<10} {half:<9} answerable declined {declined:.3f}  "
                f"wrong corpus answered {wrong:.3f}"
            )
    return lines


def ranking_summary(records: list[dict], coef: np.ndarray) -> list[str]:
    """Per set and half: the share of answerable questions whose first candidate is right,
    in the order the rules gave and in the passage model's (were it to order them)."""
    lines = []
    for half in ("tuning", "held-back"):
        for name in sorted({r["set"] for r in records}):
            part = [r for r in records if r["set"] == name and r["half"] == half]
            part = [r for r in part if r["answerable"] and r["candidates"]]
            if not part:
                continue
            before = after = 0
            for r in part:
                x = np.array([c["features"] for c in r["candidates"]])
                best = int(np.argsort(-(x @ coef), kind="stable")[0])
                before += r["candidates"][0]["right"]
                after += r["candidates"][best]["right"]
            lines.append(
                f"{name:<10} {half:<9} first candidate right: rules {before / len(part):.3f}, "
                f"model {after / len(part):.3f}"
            )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("features", type=Path)
    parser.add_argument("--dry-run", action="store_true", help="print, do not write the model")
    parser.add_argument(
        "--leave-out", nargs="+", default=[], choices=ANSWERING, metavar="FEATURE",
        help="fit without these features (to measure what each brings)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    records = read(args.features)
    leave_out = frozenset(args.leave_out)
    rank_coef = fit_choice_signed(*ranking_groups(records), leave_out)
    rows = answering_rows(records, rank_coef)
    tuning = [r for r in rows if r["half"] == "tuning"]
    answer_x = np.array([r["x"] for r in tuning])
    answer_y = np.array([1.0 if r["answerable"] else 0.0 for r in tuning])
    groups = [f"{r['set']}:{r['answerable']}" for r in tuning]
    answer_intercept, answer_coef = fit_signed(
        answer_x, answer_y, set_weights(groups), ANSWERING, leave_out
    )
    threshold = choose_threshold(rows, answer_intercept, answer_coef)
    sets = sorted({r["set"] for r in records})
    model = {
        "fitted_on": f"the tuning halves of {', '.join(sets)} ({datetime.now(UTC):%Y-%m-%d})",
        "threshold": threshold,
        "passage": {
            "coefficients": {
                n: round(float(v), 4) for n, v in zip(FEATURES, rank_coef, strict=True)
            },
        },
        "answering": {
            "intercept": round(answer_intercept, 4),
            "coefficients": {
                n: round(float(v), 4) for n, v in zip(ANSWERING, answer_coef, strict=True)
            },
        },
    }
    print("\n".join(DecisionModel.from_json(model).explain()))
    print()
    print("\n".join(summary(rows, answer_intercept, answer_coef, threshold)))
    print()
    print("\n".join(ranking_summary(records, rank_coef)))
    if not args.dry_run:
        SHIPPED.write_text(json.dumps(model, indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {SHIPPED.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
