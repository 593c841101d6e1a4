#!/bin/sh
# One run comparing, on each dev split, the scikit-learn peer (peer.py), our learned keyword
# model (langnghe model train: train on train, tune on dev) and the shipped default model
# (langnghe eval, no research data). Models go to $OUT (default /tmp/langnghe-compare),
# never into the repository. Usage, from the repository root:
#   classifier/peer/compare.sh [dataset ...]     (vihsd vsfc victsd)
set -e
DATA=${DATA:-../shared/data}
OUT=${OUT:-/tmp/langnghe-compare}
mkdir -p "$OUT"
[ -n "$LANGNGHE_BIN" ] && cp "$LANGNGHE_BIN" "$OUT/langnghe" || go build -o "$OUT/langnghe" ./cmd/langnghe
for ds in ${*:-vihsd vsfc victsd}; do
	case $ds in
	vsfc) task=sentiment metric=weighted_f1 ;;
	*) task=toxicity metric=macro_f1 ;;
	esac
	# REUSE_PEER=1 keeps a peer result from an earlier run (the peer is deterministic and
	# takes most of the time); the file names the run it came from by its mtime.
	if [ -z "$REUSE_PEER" ] || [ ! -s "$OUT/$ds.peer.json" ]; then
		"$(dirname "$0")/run.sh" "$ds" > "$OUT/$ds.peer.json"
	fi
	# --allow-probe-failures: a model that fails the scope probe is still compared (the
	# probe line is printed with the result) instead of stopping the whole run under set -e.
	"$OUT/langnghe" model train --task "$task" --data "$DATA/$ds/train.jsonl" --dev "$DATA/$ds/dev.jsonl" \
		--out "$OUT/$ds.model.json" --name "local-$ds" --allow-probe-failures > "$OUT/$ds.train.txt" 2>/dev/null
	"$OUT/langnghe" eval --task "$task" --data "$DATA/$ds/dev.jsonl" --model "$OUT/$ds.model.json" --format json > "$OUT/$ds.ours.json"
	"$OUT/langnghe" eval --task "$task" --data "$DATA/$ds/dev.jsonl" --format json > "$OUT/$ds.default.json"
	python3 - "$OUT" "$ds" "$metric" <<'PY'
import json, sys, re
out, ds, metric = sys.argv[1:]
peer = json.load(open(f"{out}/{ds}.peer.json"))
ours = json.load(open(f"{out}/{ds}.ours.json"))
dflt = json.load(open(f"{out}/{ds}.default.json"))
train = open(f"{out}/{ds}.train.txt").read()
raw = re.search(r"without offsets: ([0-9.]+), ([0-9.]+)", train)
raw = float(raw.group(1 if metric == "macro_f1" else 2)) if raw else float("nan")
probe = re.search(r"scope probe: ([^\n]*)", train)
probe = f", probe {probe.group(1)}" if probe else ""
print(f"| {ds} | {metric} | peer {peer['dev']:.4f} (C={peer['c']}, {peer['class_weight']}, {peer['posts_per_second']} posts/s) "
      f"| ours {ours[metric]:.4f} (offsets at 0: {raw:.4f}, {ours['posts_per_second']:.0f} posts/s{probe}) "
      f"| default {dflt[metric]:.4f} ({dflt['posts_per_second']:.0f} posts/s) |")
PY
done
