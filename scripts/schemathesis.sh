#!/usr/bin/env bash
# `npm run test:api`: Schemathesis against the web app's OpenAPI document (/docs/json), with every
# check on, once per role (office, assignee, supervisor) with that user's API token. The whole
# system runs as `npm start` runs it (embedded Temporal dev server, worker, web app) in a data
# folder of its own on free ports, with the test policies (the small drill campaign) launched
# for the season under way, so lists and records have rows. Exits non-zero if any run fails.
#
#   ST_MAX_EXAMPLES  test cases per operation and phase (default 25)
#   ST_MAX_TIME      seconds per role (default 60): fuzzing and stateful tests repeat until it is spent
#   ST_SEED          the random seed (default 17, so that a CI run repeats the last one)
#   ST_KEEP=1        keep the data folder and reports (printed at the end)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

ST_VERSION=4.32.5
VENV=.tools/schemathesis
MAX_EXAMPLES=${ST_MAX_EXAMPLES:-25}
MAX_TIME=${ST_MAX_TIME:-60}
SEED=${ST_SEED:-17}

if ! "$VENV/bin/st" --version 2>/dev/null | grep -q "$ST_VERSION"; then
  echo "installing schemathesis $ST_VERSION into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$ST_VERSION"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/lantian-schemathesis-XXXXXX")
free_port() {
  node -e "const s = require('net').createServer().listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); })"
}
export LANTIAN_DATA_DIR="$work/data"
# The test policies, with the shipped categories and ladders of problems beside them.
mkdir -p "$work/policies"
cp -RL test/fixtures/policies/. "$work/policies/"
cp policies/problems.yaml "$work/policies/problems.yaml"
export LANTIAN_POLICIES_DIR="$work/policies"
LANTIAN_TEMPORAL_PORT=$(free_port)
LANTIAN_TEMPORAL_UI_PORT=$(free_port)
LANTIAN_TEMPORAL_HTTP_PORT=$(free_port)
LANTIAN_WEB_PORT=$(free_port)
export LANTIAN_TEMPORAL_PORT LANTIAN_TEMPORAL_UI_PORT LANTIAN_TEMPORAL_HTTP_PORT LANTIAN_WEB_PORT
export TEMPORAL_ADDRESS="127.0.0.1:$LANTIAN_TEMPORAL_PORT"
export LANTIAN_TASK_QUEUE=schemathesis
export LANTIAN_WEB_CACHE_SECONDS=1
export LANTIAN_LOG_LEVEL=error
url="http://127.0.0.1:$LANTIAN_WEB_PORT"

node --import tsx cli/start.ts >"$work/start.log" 2>&1 &
app=$!
# shellcheck disable=SC2317 # called by the trap
stop() {
  # Ctrl-C's way: the worker drains, then the dev server (its own process group) stops.
  if kill -0 "$app" 2>/dev/null; then
    kill -INT "$app" 2>/dev/null || true
    wait "$app" 2>/dev/null || true
  fi
  if [ "${ST_KEEP:-}" = 1 ]; then echo "kept: $work"; else rm -rf "$work"; fi
}
trap stop EXIT

for _ in $(seq 1 180); do
  curl -fsS "$url/healthz" >/dev/null 2>&1 && break
  if ! kill -0 "$app" 2>/dev/null; then
    cat "$work/start.log"
    echo "schemathesis: the app did not start" >&2
    exit 1
  fi
  sleep 1
done
curl -fsS "$url/healthz" >/dev/null || {
  cat "$work/start.log"
  exit 1
}

lantian() { node --import tsx cli/main.ts "$@"; }
token() { lantian user add "$1" --role "$2" ${3:+--org "$3"} --json | node -e "let s='';process.stdin.on('data',c=>s+=c).on('end',()=>console.log(JSON.parse(s).token))"; }
declare -A tokens
tokens[office]=$(token st-office office)
tokens[assignee]=$(token st-sjz assignee 130100)
tokens[supervisor]=$(token st-supervisor supervisor)
season=$(node --import tsx -e "console.log(require('./domain/season').currentSeason())")
lantian campaign launch drill --season "$season" --provisional-calendar >"$work/launch.log"
tail -n 4 "$work/launch.log"

status=0
for role in office assignee supervisor; do
  echo
  echo "=== schemathesis as $role: $MAX_EXAMPLES examples per operation, at most ${MAX_TIME}s ==="
  started=$(date +%s)
  # Run from the scratch folder: Schemathesis and Hypothesis keep their caches in the working
  # directory. One worker: two threads parsing at once trip CPython 3.11.7's "AST constructor
  # recursion depth mismatch" inside Hypothesis (an error of the tool, not of the API).
  if ! (cd "$work" && "$repo/$VENV/bin/st" --config-file "$repo/scripts/schemathesis.toml" run "$url/docs/json" \
    --checks all \
    --header "Authorization: Bearer ${tokens[$role]}" \
    --max-examples "$MAX_EXAMPLES" \
    --max-time "$MAX_TIME" \
    --workers 1 \
    --request-timeout 30 \
    --seed "$SEED" \
    --report junit --report-dir "$work/reports/$role"); then
    status=1
  fi
  echo "=== $role: $(($(date +%s) - started)) s ==="
done
exit $status
