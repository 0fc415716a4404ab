#!/usr/bin/env bash
# Proves that @nestbus/event-bus works for a stranger: packs it, checks the tarball, installs it
# into a fresh app outside the repository (its own package.json, registry packages only),
# compiles the README's first app (test/package/app) with that app's own tsc under
# moduleResolution "node" and "nodenext", and runs it on SQLite with the in-memory transport,
# then on PostgreSQL and Kafka. Each run publishes in a transaction, waits for the handler's row
# and fails if any module was loaded from outside the app's folder. `npm run test:package`, the
# last step of `npm test`.
#
# Environment: KAFKA_BROKERS (default 127.0.0.1:9092), TEST_PG_ADMIN_URL (default
# postgres://postgres@127.0.0.1:5432/postgres), SMOKE_TIMEOUT_MS (default 30000),
# TEST_PACKAGE_SQLITE_FROM_SOURCE=1 (compile better-sqlite3, see below), TEST_PACKAGE_KEEP=1 (keep
# the temporary app for a look; its database is dropped all the same).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"

KAFKA_BROKERS=${KAFKA_BROKERS:-127.0.0.1:9092}
PG_ADMIN_URL=${TEST_PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
# What the log may show of a URL: its password never.
masked() { sed -E 's#(://[^:/@]*):[^@/]*@#\1:***@#g' <<<"$*"; }
export SMOKE_TIMEOUT_MS=${SMOKE_TIMEOUT_MS:-30000}
# Longest a run of the app may take, start to exit: the smoke's wait plus start-up and shutdown.
RUN_LIMIT_S=$((SMOKE_TIMEOUT_MS / 1000 + 60))

# Packages an app must hold exactly once: a second copy splits Nest's DI tokens or TypeORM's
# metadata. The app installs none of the optional peers but kafkajs: the bus must start without
# them (prom-client, terminus, nestjs-cls, OpenTelemetry).
SINGLE_COPY=(@nestjs/core @nestjs/common @nestjs/typeorm typeorm)

RUN_ID="pkg$(date +%s)$$" # letters and digits: valid in a database, topic and group name
WORK=$(mktemp -d /tmp/event-bus-package.XXXXXX)
APP="$WORK/app"
DB_NAME="event_bus_$RUN_ID"
db_created=0
timings=()
step_name=''
step_started=0
run_started=$(date +%s%3N)

now_ms() { date +%s%3N; }
finish_step() {
  if [ -n "$step_name" ]; then
    timings+=("$(printf '%7.1f s  %s' "$(($(now_ms) - step_started))e-3" "$step_name")")
  fi
  step_name=''
}
step() {
  finish_step
  step_name=$1
  step_started=$(now_ms)
  echo "== test-package: $1"
}
fail() {
  echo "test-package: FAILED: $*" >&2
  exit 1
}
# Runs a command with its output in a log, shown only when it fails.
quiet() {
  local log="$WORK/step.log"
  if ! "$@" >"$log" 2>&1; then
    tail -n 60 "$log" >&2
    fail "$* (output above)"
  fi
}

delete_topics() {
  # The run's topics, deleted with the app's own kafkajs so reruns leave the broker as it was.
  (cd "$APP" && KAFKA_BROKERS="$KAFKA_BROKERS" PREFIX="$RUN_ID." node -e '
    const { Kafka, logLevel } = require("kafkajs");
    const admin = new Kafka({ brokers: process.env.KAFKA_BROKERS.split(","), logLevel: logLevel.NOTHING }).admin();
    (async () => {
      await admin.connect();
      const topics = (await admin.listTopics()).filter((t) => t.startsWith(process.env.PREFIX));
      if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 10000 });
      await admin.disconnect();
    })().catch((e) => { console.error(`test-package: could not delete topics: ${e.message}`); process.exit(1); });
  ') || true
}

cleanup() {
  local status=$?
  finish_step
  if [ -d "$APP/node_modules/kafkajs" ] && [ "${kafka_used:-0}" = 1 ]; then delete_topics; fi
  if [ "$db_created" = 1 ]; then
    psql "$PG_ADMIN_URL" -q -v ON_ERROR_STOP=1 \
      -c "DROP DATABASE IF EXISTS \"$DB_NAME\" WITH (FORCE)" >/dev/null ||
      echo "test-package: could not drop database $DB_NAME" >&2
  fi
  if [ "${TEST_PACKAGE_KEEP:-0}" = 1 ]; then
    echo "test-package: kept $WORK (TEST_PACKAGE_KEEP=1)"
  else
    rm -rf "$WORK"
  fi
  if [ "${#timings[@]}" -gt 0 ]; then
    echo "== test-package: time per step"
    printf '%s\n' "${timings[@]}"
  fi
  local total
  total=$(printf '%.1f' "$(($(now_ms) - run_started))e-3")
  if [ "$status" = 0 ]; then
    echo "test-package: passed in $total s"
  else
    echo "test-package: FAILED after $total s (exit $status)" >&2
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "services: PostgreSQL ($(masked "$PG_ADMIN_URL")) and Kafka ($KAFKA_BROKERS)"
# Checked first, so a missing service fails in seconds rather than after the install.
if ! PGCONNECT_TIMEOUT=5 psql "$PG_ADMIN_URL" -Atqc 'SELECT 1' >/dev/null 2>&1; then
  fail "PostgreSQL is not reachable at $(masked "$PG_ADMIN_URL"). Start it with" \
    "'pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start'" \
    "or point TEST_PG_ADMIN_URL at one."
fi
if ! node scripts/kafka-ready.js "$KAFKA_BROKERS" 10000 >/dev/null 2>&1; then
  fail "Kafka is not reachable at $KAFKA_BROKERS. Start it with 'bash scripts/kafka.sh start'" \
    "(npm run kafka:start) or point KAFKA_BROKERS at one."
fi

step "npm pack (prepack builds libs/event-bus)"
quiet npm pack --workspace libs/event-bus --pack-destination "$WORK"
TARBALL=$(ls "$WORK"/nestbus-event-bus-*.tgz)
node test/package/check-tarball.js "$TARBALL"
node test/package/check-readme.js

step "fresh app in $APP"
mkdir -p "$APP"
cp -R test/package/app/. "$APP/"
node test/package/app-package.js "$TARBALL" "$APP/package.json"
cd "$APP"

step "npm install"
# better-sqlite3 has no reachable prebuilt binary here, and compiling it takes 2 to 3 minutes on
# two cores. Where the repository holds the very same version (npm ci compiled it from the same
# source on this machine), it is offered to better-sqlite3's own installer, prebuild-install, as
# a local prebuild: what a stranger's install downloads, and copied into the app, not linked.
# TEST_PACKAGE_SQLITE_FROM_SOURCE=1 compiles it from source instead.
sqlite_version=$(node -p 'require(process.argv[1]).dependencies["better-sqlite3"]' "$REPO/package.json")
repo_sqlite="$REPO/node_modules/better-sqlite3"
if [ "${TEST_PACKAGE_SQLITE_FROM_SOURCE:-0}" != 1 ] &&
  [ -f "$repo_sqlite/build/Release/better_sqlite3.node" ] &&
  [ "$(node -p 'require(process.argv[1]).version' "$repo_sqlite/package.json")" = "$sqlite_version" ]; then
  prebuilds="$WORK/prebuilds"
  mkdir -p "$prebuilds"
  tar -czf "$prebuilds/better-sqlite3-v$sqlite_version-node-v$(node -p 'process.versions.modules')-$(node -p 'process.platform')-$(node -p 'process.arch').tar.gz" \
    -C "$repo_sqlite" build/Release/better_sqlite3.node
  export npm_config_better_sqlite3_local_prebuilds="$prebuilds"
  echo "better-sqlite3 $sqlite_version: the repository's build, as a local prebuild"
else
  echo "better-sqlite3 $sqlite_version: compiling from source (2 to 3 minutes)"
fi
quiet npm install --no-audit --no-fund --foreground-scripts
if [ -n "${npm_config_better_sqlite3_local_prebuilds:-}" ] && grep -q 'CXX(target)' "$WORK/step.log"; then
  echo "test-package: note: better-sqlite3 refused the local prebuild and compiled from source"
fi
unset npm_config_better_sqlite3_local_prebuilds
# npm ls fails on a missing or unmet peer and on an invalid tree.
quiet npm ls --all
for name in "${SINGLE_COPY[@]}"; do
  copies=$(find "$APP/node_modules" -path "*/node_modules/$name/package.json" | wc -l)
  [ "$copies" = 1 ] || fail "$copies copies of $name in the app: $(find "$APP/node_modules" -path "*/node_modules/$name/package.json" | tr '\n' ' ')"
done
echo "one copy each of: ${SINGLE_COPY[*]}"

# Two compiles side by side, each with the app's own tsc: moduleResolution "node" (reads
# `typesVersions`; older Nest starters) and "nodenext" (reads `exports`; Nest 11's starter), the
# latter with skipLibCheck off, so the package's .d.ts files are type-checked against the
# installed peers too.
step "tsc: moduleResolution node | nodenext (skipLibCheck false)"
tsc_job() {
  local name=$1
  shift
  local started
  started=$(now_ms)
  local status=0
  ./node_modules/.bin/tsc "$@" >"$WORK/tsc-$name.log" 2>&1 || status=$?
  printf '%s %.1f\n' "$status" "$(($(now_ms) - started))e-3" >"$WORK/tsc-$name.status"
}
tsc_job node -p tsconfig.json &
tsc_job nodenext -p tsconfig.nodenext.json &
wait
tsc_failed=0
for name in node nodenext; do
  read -r status took <"$WORK/tsc-$name.status"
  if [ "$status" = 0 ]; then
    echo "tsc $name: ok in $took s"
  else
    echo "tsc $name: FAILED in $took s:" >&2
    head -n 40 "$WORK/tsc-$name.log" >&2
    tsc_failed=1
  fi
done
[ "$tsc_failed" = 0 ] || fail "the app does not compile against the packed package (tsc output above)"

step "entry points load from both builds"
node dist/check/entry-points.js
node dist-nodenext/check/entry-points.js

run_app() {
  local build=$1
  shift
  local status=0
  env "$@" timeout "$RUN_LIMIT_S" node "$build/check/smoke.js" || status=$?
  if [ "$status" = 124 ]; then
    fail "the app did not exit within $RUN_LIMIT_S s (stuck at startup, or a handle left open after app.close())"
  fi
  [ "$status" = 0 ] || fail "the app failed on $build with $(masked "$*") (exit $status)"
}

step "run on SQLite + in-memory transport (moduleResolution node build)"
run_app dist -u KAFKA_BROKERS -u DATABASE_URL -u EVENT_TOPIC_PREFIX SERVICE_ID="shop-$RUN_ID"

step "run on PostgreSQL + Kafka (nodenext build)"
quiet psql "$PG_ADMIN_URL" -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$DB_NAME\""
db_created=1
DATABASE_URL=$(node -e 'const u = new URL(process.argv[1]); u.pathname = `/${process.argv[2]}`; console.log(u.href)' "$PG_ADMIN_URL" "$DB_NAME")
kafka_used=1
run_app dist-nodenext DATABASE_URL="$DATABASE_URL" KAFKA_BROKERS="$KAFKA_BROKERS" \
  EVENT_TOPIC_PREFIX="$RUN_ID." SERVICE_ID="shop-$RUN_ID"
finish_step
