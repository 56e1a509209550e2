#!/usr/bin/env bash
# The main job on embedded defaults: a fresh workspace in a temporary folder, the example
# datasets imported as versioned snapshots, listed and shown. Later stages extend this script
# until it runs the whole lifecycle. Usage: scripts/demo.sh [BUILD_DIR]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="$(cd "${1:-$ROOT/build/release}" && pwd)"
MLOOP="$BUILD/apps/mloop/mloop"
GEN="$BUILD/examples/gen_churn"
DEMO="$(mktemp -d "${TMPDIR:-/tmp}/mloop-demo.XXXXXX")"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ mloop %s\n' "$*"; "$MLOOP" "$@"; }

step "A synthetic churn world (deterministic, seed 42): customers, transactions, tickets, labels"
"$GEN" --out "$DEMO/churn" --customers 5000 --seed 42 --drift 0.3

step "A workspace: mloop.yaml + .mloop/ (SQLite metadata, content-addressed artifacts)"
run init "$DEMO/workspace"
cd "$DEMO/workspace"

step "Import the example datasets (scikit-learn's bundled data) and the churn world"
run data import "$ROOT/examples/data/iris.csv" --name iris --target species
run data import "$ROOT/examples/data/wine.csv" --name wine --target target
run data import "$ROOT/examples/data/breast_cancer.csv" --name breast_cancer --target target
run data import "$ROOT/examples/data/diabetes.csv" --name diabetes --target progression
run data import "$DEMO/churn/customers.csv" --name customers --role customer_id=id
run data import "$DEMO/churn/transactions.csv" --name transactions --role ts=event_time
run data import "$DEMO/churn/tickets.csv" --name tickets --role opened_at=event_time
run data import "$DEMO/churn/labels.csv" --name labels --target churned --type churned=bool

step "Importing identical content again creates no new version"
run data import "$DEMO/churn/customers.csv" --name customers --role customer_id=id

step "New data makes a new version: customers@2 (a larger, drifted world)"
"$GEN" --out "$DEMO/churn2" --customers 8000 --seed 43 --drift 0.8 2>/dev/null
run data import "$DEMO/churn2/customers.csv" --name customers --role customer_id=id

step "The catalogue"
run data list

step "One version in detail: schema, counts, hash, lineage, first rows"
run data show customers@1 --rows 5

step "Bad rows never pass silently"
printf 'id,amount\n1,10.5\n2,abc\n3\n4,7.25\n' > "$DEMO/bad.csv"
run data import "$DEMO/bad.csv" --name payments --type amount=float64 || echo "(exit code $?: nothing was stored)"
run data import "$DEMO/bad.csv" --name payments --type amount=float64 --on-bad-rows skip \
  --rejects "$DEMO/payments.rejects.jsonl"
cat "$DEMO/payments.rejects.jsonl"

step "Export a version back to CSV"
run data export iris@1 --output "$DEMO/iris_export.csv"
head -3 "$DEMO/iris_export.csv"

printf '\nDemo workspace left in %s (remove it when done).\n' "$DEMO/workspace"
