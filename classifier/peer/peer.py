#!/usr/bin/env python3
"""The scikit-learn peer of issue 6: what a data scientist would build instead of a keyword
model. TF-IDF over word 1-3-grams and character 2-5-grams, LogisticRegression, C and
class_weight tuned on the dev split, scored on that dev split with the same metric the
issue names per data set. Run it with classifier/peer/run.sh (which makes a throwaway
venv outside the repository); it prints one JSON object per data set.

Usage: peer.py DATA_DIR [dataset ...]   (datasets: vihsd vsfc victsd)
"""
import json
import os
import sys
import time
import unicodedata

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.pipeline import FeatureUnion

SETS = {  # dataset: (metric, average)
    "vihsd": "macro",
    "vsfc": "weighted",
    "victsd": "macro",
}
CS = [float(c) for c in os.environ.get("PEER_CS", "0.25,0.5,1,2,4,8,16,32,64,128").split(",")]
WEIGHTS = [None, "balanced"]


def read(path):
    xs, ys = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                xs.append(unicodedata.normalize("NFC", r["text"]).lower())
                ys.append(r["label"])
    return xs, ys


def main():
    data = sys.argv[1]
    for name in sys.argv[2:] or list(SETS):
        avg = SETS[name]
        xtr, ytr = read(f"{data}/{name}/train.jsonl")
        xdv, ydv = read(f"{data}/{name}/dev.jsonl")
        t0 = time.time()
        feats = FeatureUnion([
            ("word", TfidfVectorizer(analyzer="word", ngram_range=(1, 3), sublinear_tf=True, token_pattern=r"(?u)\b\w+\b")),
            ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
        ])
        Xtr = feats.fit_transform(xtr)
        Xdv = feats.transform(xdv)
        best = None
        grid = []
        for cw in WEIGHTS:
            for c in CS:
                clf = LogisticRegression(C=c, class_weight=cw, max_iter=2000)
                clf.fit(Xtr, ytr)
                f1 = f1_score(ydv, clf.predict(Xdv), average=avg)
                grid.append({"c": c, "class_weight": cw or "none", "dev": round(f1, 4)})
                if best is None or f1 > best[0]:
                    best = (f1, c, cw or "none", clf)
        t1 = time.time()
        clf = best[3]
        n = len(xdv)
        s = time.time()
        clf.predict(feats.transform(xdv))
        pps = n / (time.time() - s)
        # One post at a time, as a stream classifier sees them.
        k = min(300, n)
        s = time.time()
        for x in xdv[:k]:
            clf.predict(feats.transform([x]))
        pps1 = k / (time.time() - s)
        print(json.dumps({
            "dataset": name, "metric": avg + "_f1", "dev": round(best[0], 4),
            "c": best[1], "class_weight": best[2], "features": Xtr.shape[1],
            "fit_seconds": round(t1 - t0, 1), "posts_per_second": round(pps), "posts_per_second_one_by_one": round(pps1),
            "grid": grid,
        }, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
