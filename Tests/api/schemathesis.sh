#!/usr/bin/env bash
# The API against its OpenAPI document: schemathesis (from .venv) calls every operation with an
# admin token on a served home of its own (a memory-provider cluster `shop`, and `scrap` for the
# destroy route to take), and fails on a 5xx or an answer the document does not describe.
#
# Usage: Tests/api/schemathesis.sh [path/to/recipe]   (default .build/debug/recipe)
# ST_EXAMPLES=N sets the examples per operation (default 25); ST_SEED=N the seed (default a fixed
# one, so make test gives the same verdict on every run; ST_SEED=random draws a new one to explore);
# ST_KEEP=1 keeps the home (its state, serve.log) to look into a failure; ST_ARGS adds options to st run.
set -euo pipefail
SEED=${ST_SEED:-20261201}
[ "$SEED" = random ] && SEED=
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RECIPE=$(cd "$ROOT" && realpath "${1:-.build/debug/recipe}")
ST="$ROOT/.venv/bin/st"
[ -x "$RECIPE" ] || { echo "schemathesis.sh: no recipe binary at $RECIPE (swift build)" >&2; exit 2; }
[ -x "$ST" ] || { echo "schemathesis.sh: no $ST (make venv)" >&2; exit 2; }

HOME_DIR=$(mktemp -d "${TMPDIR:-/tmp}/recipe-api-check-XXXXXX")
export RECIPE_HOME="$HOME_DIR/home" RECIPE_STDLIB="$ROOT/Stdlib"
SERVE_PID=
stop() {
    # the server by its PID, whatever happened; then the home
    if [ -n "$SERVE_PID" ]; then kill "$SERVE_PID" 2>/dev/null || true; wait "$SERVE_PID" 2>/dev/null || true; fi
    if [ -n "${ST_KEEP:-}" ]; then echo "schemathesis.sh: home kept in $HOME_DIR" >&2; else rm -rf "$HOME_DIR"; fi
}
trap stop EXIT

"$RECIPE" user add root --admin >/dev/null
TOKEN=$("$RECIPE" token create root)
"$RECIPE" user add viewer >/dev/null
"$RECIPE" user add leaver >/dev/null
"$RECIPE" token create viewer >/dev/null 2>&1
export ST_SPARE_TOKEN=$("$RECIPE" token list viewer --json | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["id"])')
# an app from a local repository: nothing answers a memory instance's health check, so each of
# its deploys fails after health_timeout (1 s), and its releases are kept, as failed
REPO="$HOME_DIR/site"
mkdir -p "$REPO"
git -C "$REPO" init -q -b main
echo 'print("site")' >"$REPO/server.py"
git -C "$REPO" add server.py
git -C "$REPO" -c user.email=api@check -c user.name=api-check commit -qm v1
git -C "$REPO" tag v1
cat > "$HOME_DIR/shop.lua" <<LUA
cluster "shop" {
  provider = { kind = "memory" },
  apps = { site = { source = "git+file:$REPO", ref = "main", start = "python3 server.py", health_timeout = 1 } },
  layers = { web = { count = 2, apps = { "site" } }, db = { count = 1 } },
}
cluster "scrap" { provider = { kind = "memory" }, layers = { web = { count = 1 } } }
LUA
# the run's deploy of site fails (as above), and says so: the clusters are kept all the same
"$RECIPE" run "$HOME_DIR/shop.lua" >"$HOME_DIR/run.log" 2>&1 || grep -q "app site: GET /health → no answer" "$HOME_DIR/run.log" \
    || { cat "$HOME_DIR/run.log" >&2; exit 1; }
"$RECIPE" grant viewer shop show >/dev/null

"$RECIPE" serve --listen 127.0.0.1:0 >"$HOME_DIR/serve.log" 2>&1 &
SERVE_PID=$!
URL=
for _ in $(seq 100); do
    URL=$(sed -n 's|^recipe serve: API on \(http://[^ ]*\)/api/v1 .*|\1|p' "$HOME_DIR/serve.log")
    [ -n "$URL" ] && break
    kill -0 "$SERVE_PID" 2>/dev/null || { cat "$HOME_DIR/serve.log" >&2; exit 1; }
    sleep 0.1
done
[ -n "$URL" ] || { echo "schemathesis.sh: recipe serve did not say where it listens" >&2; cat "$HOME_DIR/serve.log" >&2; exit 1; }

# The settings (which values path parameters draw, what is left out) are in schemathesis.toml.
status=0
(cd "$HOME_DIR" && "$ST" --config-file "$ROOT/Tests/api/schemathesis.toml" run "$URL/api/v1/openapi.json" \
    --url "$URL" -H "Authorization: Bearer $TOKEN" \
    --max-examples "${ST_EXAMPLES:-25}" ${SEED:+--seed "$SEED"} \
    --no-color ${ST_ARGS:-}) | tee "$HOME_DIR/st.log" || status=$?
if ! kill -0 "$SERVE_PID" 2>/dev/null; then
    echo "schemathesis.sh: recipe serve ended during the run (a crash is a failure, whatever schemathesis saw)" >&2
    status=1
fi
if [ "$status" -ne 0 ]; then
    echo "--- recipe serve's output:" >&2
    tail -n 50 "$HOME_DIR/serve.log" >&2
fi
# the closing line a CI reads: schemathesis' own count of test cases
passed=$(sed -n 's/.* \([0-9][0-9]*\) passed.*/\1/p' "$HOME_DIR/st.log" | tail -n 1)
failed=$(sed -n 's/.* \([0-9][0-9]*\) failed.*/\1/p' "$HOME_DIR/st.log" | tail -n 1)
echo "schemathesis: ${passed:-0} passed, ${failed:-$([ "$status" -eq 0 ] && echo 0 || echo 1)} failed"
exit "$status"
