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

json_field() { /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
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

step "Hold out every 5th row of the breast-cancer data for evaluation"
awk 'NR == 1 || NR % 5 != 0' "$ROOT/examples/data/breast_cancer.csv" > "$DEMO/bc_train.csv"
awk 'NR == 1 || NR % 5 == 0' "$ROOT/examples/data/breast_cancer.csv" > "$DEMO/bc_test.csv"
run data import "$DEMO/bc_train.csv" --name bc_train
run data import "$DEMO/bc_test.csv" --name bc_test

step "Train two models: XGBoost and logistic regression (tracked runs)"
run train bc_train --target target --algo xgboost --param max_depth=4 --param eta=0.1 \
  --cv 5 --seed 7 -q
run train bc_train --target target --algo logistic --param C=0.5 --param max_iter=2000 \
  --seed 7 -q
run runs list

step "Evaluate both on the held-out rows with a business-value file; each gets an HTML report"
best_run=""; best_auc=0
for id in 1 2; do
  args=(eval "run:$id" --data bc_test --business "$ROOT/examples/business/breast_cancer.yaml"
        --html "$DEMO/eval_run$id.html" --json)
  printf '$ mloop %s\n' "${args[*]}"
  "$MLOOP" "${args[@]}" > "$DEMO/eval_run$id.json"
  auc=$(json_field "['metrics']['roc_auc']" < "$DEMO/eval_run$id.json")
  summary=$(json_field "['business']['summary']" < "$DEMO/eval_run$id.json")
  printf '  run %s: ROC AUC %.4f. %s\n' "$id" "$auc" "$summary"
  if /usr/bin/python3 -c "import sys; sys.exit(0 if $auc > $best_auc else 1)"; then
    best_run=$id; best_auc=$auc
  fi
done
run runs compare 1 2

step "Register the better model (run $best_run) and make it production"
run models register "$best_run" --name breast_cancer --description "best ROC AUC in the demo"
run models alias breast_cancer/1 production
run models approve breast_cancer/1
run models list
run predict breast_cancer@production --data bc_test -o "$DEMO/predictions.csv"
head -3 "$DEMO/predictions.csv"
run eval breast_cancer@production --data bc_test --fail-under auc=0.95 > /dev/null \
  && echo "quality gate: ROC AUC >= 0.95 passed"

step "Explore: profile the churn training table (customers + their churn label) against its target"
# One row per customer in both files, in the same order: the label is the last column.
paste -d, "$DEMO/churn/customers.csv" <(cut -d, -f3 "$DEMO/churn/labels.csv") > "$DEMO/churn_train.csv"
run data import "$DEMO/churn_train.csv" --name churn_train --role customer_id=id
run profile churn_train --target churned --html "$DEMO/profile_churn.html"

step "Prepare: a recipe that derives features (total spend, spend per year of age, signup date parts)"
cat "$ROOT/examples/churn/recipe.yaml"
run prep preview "$ROOT/examples/churn/recipe.yaml" --data churn_train --target churned --rows 3

step "Train on the recipe: it is fitted on the training rows and saved inside the model"
args=(train churn_train --target churned --recipe "$ROOT/examples/churn/recipe.yaml"
      --param max_depth=4 --param eta=0.1 --seed 7 --json)
printf '$ mloop %s\n' "${args[*]}"
"$MLOOP" "${args[@]}" > "$DEMO/churn_run.json"
churn_run=$(json_field "['run_id']" < "$DEMO/churn_run.json")
printf '  run %s: ROC AUC %.4f on the validation split\n' "$churn_run" \
  "$(json_field "['metrics']['roc_auc']" < "$DEMO/churn_run.json")"
step "The model applies its own recipe: predict takes the raw customer columns"
run predict "run:$churn_run" --data churn_train -o "$DEMO/churn_predictions.csv"
head -3 "$DEMO/churn_predictions.csv"

step "Tune: 20 trials of Bayesian optimisation of XGBoost on the churn data; the best model is registered"
cat "$ROOT/examples/churn/tune.yaml"
run tune "$ROOT/examples/churn/tune.yaml" --html "$DEMO/tune_churn.html"
run models list churn

step "Deploy: churn/1 (tuned) in production, churn/2 (the recipe run) in staging, A/B-tested on one endpoint"
run models register "$churn_run" --name churn --description "trained with the recipe, default parameters"
run models alias churn/1 production
run models alias churn/2 staging
cat "$ROOT/examples/churn/endpoint.yaml"
printf '$ mloop serve --config examples/churn/endpoint.yaml --port 0 &\n'
"$MLOOP" serve --config "$ROOT/examples/churn/endpoint.yaml" --port 0 2> "$DEMO/serve.log" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
port=""
for _ in $(seq 100); do
  port=$(sed -n 's/.*serving on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$DEMO/serve.log")
  [ -n "$port" ] && curl -sf "http://127.0.0.1:$port/ping" > /dev/null && break
  sleep 0.1
done
[ -n "$port" ] || { cat "$DEMO/serve.log"; echo "the server did not start" >&2; exit 1; }
sed 's/^/  | /' "$DEMO/serve.log"
cut -d, -f2-10 "$DEMO/churn_train.csv" | sed -n 2p | \
  { IFS= read -r row; printf '$ curl -s localhost:%s/invocations -H "Content-Type: text/csv" -d "%s"\n' "$port" "$row"; }
row=$(cut -d, -f2-10 "$DEMO/churn_train.csv" | sed -n 2p)
curl -s -i "http://127.0.0.1:$port/invocations" -H 'Content-Type: text/csv' -d "$row" | tr -d '\r'
echo
echo "A bad record gets a 400 that names the field:"
curl -s "http://127.0.0.1:$port/invocations" -H 'Content-Type: application/json' \
  -d '{"plan": "gold", "age": "old"}'
echo

step "300 requests, half CSV and half JSON, split between the variants"
/usr/bin/python3 "$ROOT/scripts/demo_client.py" "127.0.0.1:$port" churn "$DEMO/churn_train.csv" 300

step "Prometheus metrics of the endpoint (per variant)"
curl -s "http://127.0.0.1:$port/metrics" | grep -E '^mloop_(requests_total|predictions_total|records_total|model_info)'

step "Promote staging: move the production alias; the server swaps the version without dropping a request"
run models alias churn/2 production
curl -s -X POST "http://127.0.0.1:$port/admin/reload"; echo

step "Batch transform: every churn customer through churn@production, streamed, on all cores"
run transform --model churn@production --input "$DEMO/churn_train.csv" --output "$DEMO/churn_scored.csv" -q
head -3 "$DEMO/churn_scored.csv"

step "Stop the server: SIGTERM drains the requests in flight, then it exits"
kill -TERM $SERVER
wait $SERVER
trap - EXIT
tail -3 "$DEMO/serve.log" | sed 's/^/  | /'
printf 'Captured requests (10%%): %s\n' "$(find "$DEMO/workspace/capture" -name '*.jsonl' -exec cat {} + 2>/dev/null | wc -l)"

printf '\nHTML reports: %s (profile), %s and %s (evaluation), %s (tuning)\n' \
  "$DEMO/profile_churn.html" "$DEMO/eval_run1.html" "$DEMO/eval_run2.html" "$DEMO/tune_churn.html"
printf 'Demo workspace left in %s (remove it when done).\n' "$DEMO/workspace"
