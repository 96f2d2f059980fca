"""Oracle for src/tasks/metrics.ts: the reference instruction-induction metrics, written from the rules of
the reference implementation (Honovich et al. 2022 utility.py, used unchanged by APE and InstructZero).

Writes test/fixtures/metrics/oracle.json: a list of {prediction, answers, em, f1, es, contains}.
Run: python3 scripts/oracles/metrics_oracle.py
"""
import json
import random
import re
import string
from collections import Counter
from pathlib import Path


def normalize_prediction(prediction, lowercase=True):
    prediction = prediction.replace(' and ', ' ')
    prediction = prediction.replace('Sentence 1:', ' ')
    prediction = prediction.replace('Sentence 2:', ' ')
    prediction = prediction.strip()
    prediction = prediction.split("\n")[0]
    prediction = prediction.split(".")[0]
    if lowercase:
        prediction = prediction.lower()
    prediction = prediction.replace('-', ' ')
    prediction = prediction.translate(str.maketrans('', '', string.punctuation))
    return prediction


def f1(prediction, ground_truth):
    p = normalize_prediction(prediction).split()
    g = normalize_prediction(ground_truth).split()
    common = Counter(p) & Counter(g)
    same = sum(common.values())
    if same == 0:
        return 0
    precision = 1.0 * same / len(p)
    recall = 1.0 * same / len(g)
    return (2 * precision * recall) / (precision + recall)


def em(prediction, ground_truth):
    return normalize_prediction(prediction) == normalize_prediction(ground_truth)


def es(prediction, ground_truth):
    return int(set(normalize_prediction(prediction).split()) == set(normalize_prediction(ground_truth).split()))


def contains(prediction, ground_truth):
    p = normalize_prediction(prediction)
    g = normalize_prediction(ground_truth)
    if re.search(r'\b({0})\b'.format(g), p):
        return 1


def multi(fn, prediction, answers, use_max=False):
    if use_max:
        return max(fn(prediction, a) for a in answers)
    for a in answers:
        if fn(prediction, a) == 1:
            return 1
    return 0


HAND = [
    ("hot", ["cold"]), ("Cold.", ["cold"]), ("  COLD  ", ["cold"]), ("cold\nwarm", ["cold"]),
    ("The answer is cold. Really.", ["the answer is cold"]), ("well-known", ["well known"]),
    ("cats and dogs", ["cats dogs"]), ("Sentence 1: it rained", ["it rained"]),
    ("Sentence 2:The sun", ["the sun"]), ("c++", ["c"]), ("(a)", ["a"]), ("a.b.c", ["a"]),
    ("", [""]), ("", ["x"]), ("x", [""]), ("...", ["x"]), ("!!!", [""]),
    ("café", ["cafe"]), ("cafés au lait", ["café"]), ("un café", ["café"]), ("naïve", ["naïve"]),
    ("ΣΊΣΥΦΟΣ", ["σίσυφος"]), ("Straße", ["strasse"]), ("İstanbul", ["i̇stanbul"]),
    ("big\xa0dog", ["big dog"]), ("big\x85dog", ["big dog"]), ("big\x1cdog", ["big dog"]), ("big\ufeffdog", ["big dog"]),
    ("\u2003spaced\u2003", ["spaced"]), ("tab\tseparated", ["tab separated"]),
    ("the the cat", ["the cat"]), ("cat the", ["the cat"]), ("a b c d", ["a b", "c d e"]),
    ("happy", ["glad", "happy", "joyful"]), ("I feel glad today", ["glad"]), ("gladness", ["glad"]),
    ("ungladly", ["glad"]), ("glad_ly", ["glad"]), ("glad2", ["glad"]), ("2glad", ["glad"]),
    ("we are happy and glad", ["happy glad"]), ("It is joyful!", ["joyful", "cheerful"]),
    ("the answer: positive", ["positive"]), ("Positive", ["positive"]), ("negative.", ["positive"]),
    ("involve oscillations", ["involve oscillations."]), ("they all involve oscillation", ["involve oscillations."]),
    ("Things that oscillate and vibrate", ["involve oscillations.", "oscillate"]),
    ("Dear Sir, I would like to inquire.", ["I would like to inquire, Sir."]),
    ("a, b, c", ["c b a"]), ("apple banana", ["banana apple"]), ("apple apple banana", ["banana apple"]),
    ("l-e-t-t-e-r", ["l e t t e r"]), ("3", ["three", "3"]), ("three.", ["three", "3"]),
    ("O'Brien", ["obrien"]), ("«quoted»", ["quoted"]), ("’tis", ["tis"]), ("x — y", ["x y"]),
    ("Output: cold", ["cold"]), ("cold (adj.)", ["cold"]), ("zürich", ["Zürich"]), ("日本語 です", ["日本語"]),
    ("١٢٣ numbers", ["١٢٣"]), ("Ⅻ roman", ["Ⅻ"]), ("x² squared", ["x²"]), ("e\u0301t\u00e9", ["été"]),
]


def random_cases(rng, n):
    words = ["cold", "hot", "Cat", "dog", "and", "the", "Sentence 1:", "Sentence 2:", "café", "a", "b",
             "well-known", "x", "über", "naïve", "3", "three", "glad", "happy", "ΣΟΦΙΑ", "σοφία", "co-op",
             "(a)", "c++", "x.y", "日本"]
    seps = [" ", " ", " ", "  ", "\n", ". ", ", ", "-", "\xa0", "\t", "! ", "? "]
    out = []
    for _ in range(n):
        def phrase():
            k = rng.randint(0, 5)
            s = ""
            for i in range(k):
                s += rng.choice(words) + (rng.choice(seps) if i < k - 1 else "")
            if rng.random() < 0.3:
                s = rng.choice(["", " ", "  ", "\n"]) + s + rng.choice(["", ".", "!", " ", "\n more"])
            return s
        out.append((phrase(), [phrase() for _ in range(rng.randint(1, 3))]))
    return out


def main():
    rng = random.Random(1234)
    cases = HAND + random_cases(rng, 400)
    rows = []
    for prediction, answers in cases:
        rows.append({
            "prediction": prediction,
            "answers": answers,
            "em": multi(em, prediction, answers),
            "f1": multi(f1, prediction, answers, use_max=True),
            "es": multi(es, prediction, answers),
            "contains": multi(contains, prediction, answers),
            "normalized": normalize_prediction(prediction),
        })
    out = Path(__file__).resolve().parents[2] / "test" / "fixtures" / "metrics" / "oracle.json"
    out.write_text(json.dumps(rows, ensure_ascii=False, indent=1) + "\n")
    print(f"wrote {len(rows)} cases to {out}")


if __name__ == "__main__":
    main()
