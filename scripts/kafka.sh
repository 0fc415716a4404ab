#!/usr/bin/env bash
# Runs a real single-node Apache Kafka broker (KRaft, combined broker+controller)
# on this machine without Docker. The broker jars are fetched once from Maven
# Central into a cache folder outside the repository and reused afterwards.
#
# Usage: scripts/kafka.sh start|stop|status|logs [-f]
#
# Environment (all optional):
#   KAFKA_VERSION          Kafka version (default below)
#   KAFKA_PORT             PLAINTEXT port              (default 9092)
#   KAFKA_CONTROLLER_PORT  CONTROLLER port             (default 9093)
#   KAFKA_CACHE_DIR        jar cache root              (default ~/.cache/event-bus-kafka)
#   KAFKA_RUN_DIR          pid file, log, data, config (default /tmp/event-bus-kafka)
#   KAFKA_KEEP_DATA=1      keep the data folder across starts
#   KAFKA_START_TIMEOUT    seconds to wait for readiness (default 60)
#   KAFKA_HEAP_OPTS        JVM heap flags               (default -Xms256m -Xmx512m)
#   KAFKA_LOG4J_VERSION    force the log4j binding version (4.x; default: the log4j-core Kafka brings)
#   JAVA_HOME / JAVA       Java 17+ to use
set -euo pipefail

KAFKA_VERSION="${KAFKA_VERSION:-4.4.0}"

KAFKA_HOST="127.0.0.1"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
CACHE_DIR="${KAFKA_CACHE_DIR:-$HOME/.cache/event-bus-kafka}/${KAFKA_VERSION}"
RUN_DIR="${KAFKA_RUN_DIR:-/tmp/event-bus-kafka}"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-60}"
HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
DEP_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.8.1"

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${SCRIPT_DIR}/.." && pwd)"

LIB_DIR="${CACHE_DIR}/lib"
MARKER="${CACHE_DIR}/.complete"
PID_FILE="${RUN_DIR}/kafka.pid"
LOG_FILE="${RUN_DIR}/server.log"
STDOUT_FILE="${RUN_DIR}/stdout.log"
DATA_DIR="${RUN_DIR}/data"
CONFIG_FILE="${RUN_DIR}/server.properties"
KAFKA_MAJOR="${KAFKA_VERSION%%.*}"

log() { printf 'kafka.sh: %s\n' "$*"; }
die() {
  printf 'kafka.sh: ERROR: %s\n' "$*" >&2
  exit 1
}

usage() {
  cat >&2 <<EOF
usage: $0 start|stop|status|logs [-f]
  start   fetch Kafka ${KAFKA_VERSION} (cached), format fresh storage, start the broker, wait until ready
  stop    stop the broker started by this script (TERM, then KILL after 20 s)
  status  exit 0 and print "running (pid N) on ${KAFKA_HOST}:${KAFKA_PORT}" when up, exit 1 otherwise
  logs    print the tail of the broker log (-f to follow)
EOF
  exit 2
}

case "${KAFKA_MAJOR}" in
  '' | *[!0-9]*) die "KAFKA_VERSION '${KAFKA_VERSION}' is not a version like 4.1.0" ;;
esac

# ---------------------------------------------------------------- helpers

port_open() { # port_open PORT -> 0 when something accepts TCP connections on 127.0.0.1:PORT
  timeout 2 bash -c "exec 3<>/dev/tcp/${KAFKA_HOST}/$1" 2>/dev/null
}

port_owner() { # best effort description of who listens on a port
  if command -v ss >/dev/null 2>&1; then
    ss -Hltnp "sport = :$1" 2>/dev/null | head -n 3 || true
  fi
}

# pid_alive PID -> 0 when PID exists and is not a zombie (the broker stays our child
# while `start` runs, so a crashed or killed broker lingers as a zombie until then)
pid_alive() {
  kill -0 "$1" 2>/dev/null || return 1
  local state=""
  if [[ -r "/proc/$1/stat" ]]; then
    state="$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1 || true)"
  elif command -v ps >/dev/null 2>&1; then
    state="$(ps -o stat= -p "$1" 2>/dev/null | cut -c1 || true)"
  fi
  [[ "${state}" != Z ]]
}

read_pid() {
  [[ -f "${PID_FILE}" ]] || return 1
  local pid
  pid="$(tr -dc '0-9' <"${PID_FILE}")"
  [[ -n "${pid}" ]] || return 1
  printf '%s\n' "${pid}"
}

# our_pid_alive PID -> 0 when PID is alive and is the broker this script started
our_pid_alive() {
  local pid="$1" args=""
  pid_alive "${pid}" || return 1
  if [[ -r "/proc/${pid}/cmdline" ]]; then
    args="$(tr '\0' ' ' <"/proc/${pid}/cmdline" 2>/dev/null || true)"
  elif command -v ps >/dev/null 2>&1; then
    args="$(ps -p "${pid}" -o args= 2>/dev/null || true)"
  fi
  [[ "${args}" == *kafka.Kafka*"${CONFIG_FILE}"* ]]
}

# running_pid -> prints the pid of our live broker, 0/1
running_pid() {
  local pid
  pid="$(read_pid)" || return 1
  our_pid_alive "${pid}" || return 1
  printf '%s\n' "${pid}"
}

find_java() {
  if [[ -n "${JAVA:-}" ]]; then
    JAVA_BIN="$(command -v "${JAVA}" || true)"
    [[ -n "${JAVA_BIN}" && -x "${JAVA_BIN}" ]] || die "JAVA=${JAVA} is not an executable java"
  elif [[ -n "${JAVA_HOME:-}" && -x "${JAVA_HOME}/bin/java" ]]; then
    JAVA_BIN="${JAVA_HOME}/bin/java"
  elif command -v java >/dev/null 2>&1; then
    JAVA_BIN="$(command -v java)"
  else
    die "java not found: install a JDK/JRE 17+ (e.g. apt-get install openjdk-17-jre-headless) or set JAVA_HOME"
  fi
  local ver major
  ver="$("${JAVA_BIN}" -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n 1)"
  major="${ver%%.*}"
  [[ "${major}" == 1 ]] && major="$(echo "${ver}" | cut -d. -f2)"
  if [[ -z "${major}" || ! "${major}" =~ ^[0-9]+$ ]]; then
    die "could not determine the Java version of ${JAVA_BIN}"
  fi
  if ((KAFKA_MAJOR >= 4 && major < 17)); then
    die "Kafka ${KAFKA_VERSION} needs Java 17+, but ${JAVA_BIN} is Java ${ver}"
  fi
  if ((major < 11)); then
    die "Kafka ${KAFKA_VERSION} needs Java 11+, but ${JAVA_BIN} is Java ${ver}"
  fi
}

# ---------------------------------------------------------------- fetching

write_pom() { # write_pom [binding-group binding-artifact binding-version]
  local extra=""
  if [[ $# -eq 3 ]]; then
    extra="    <dependency><groupId>$1</groupId><artifactId>$2</artifactId><version>$3</version></dependency>"
  fi
  cat >"${CACHE_DIR}/pom.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by event-bus scripts/kafka.sh: only used to download the Kafka broker jars. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.event-bus</groupId>
  <artifactId>kafka-broker-runtime</artifactId>
  <version>${KAFKA_VERSION}</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>${KAFKA_VERSION}</version></dependency>
${extra}
  </dependencies>
</project>
EOF
}

run_mvn() {
  local out="${CACHE_DIR}/mvn.log"
  if ! (cd "${CACHE_DIR}" && mvn -B -q -Dstyle.color=never "${DEP_PLUGIN}:copy-dependencies" \
    -DoutputDirectory=lib -DincludeScope=runtime >"${out}" 2>&1); then
    tail -n 40 "${out}" >&2 || true
    die "Maven could not fetch Kafka ${KAFKA_VERSION} (full output: ${out}). Is Maven Central reachable and is ${KAFKA_VERSION} a published org.apache.kafka:kafka_2.13 version?"
  fi
}

jar_version() { # jar_version ARTIFACT -> version of lib/ARTIFACT-<version>.jar
  local f
  f="$(find "${LIB_DIR}" -maxdepth 1 -name "$1-[0-9]*.jar" -printf '%f\n' 2>/dev/null | sort | tail -n 1)"
  [[ -n "${f}" ]] || return 1
  f="${f#"$1"-}"
  printf '%s\n' "${f%.jar}"
}

lib_complete() {
  [[ -f "${MARKER}" && -d "${LIB_DIR}" ]] || return 1
  local jar
  while IFS= read -r jar; do
    [[ -z "${jar}" ]] && continue
    [[ -s "${LIB_DIR}/${jar}" ]] || return 1
  done <"${MARKER}"
}

fetch() {
  if lib_complete; then
    return 0
  fi
  command -v mvn >/dev/null 2>&1 || die "mvn not found: install Maven 3.8+ (apt-get install maven) to fetch the Kafka jars"
  log "fetching Kafka ${KAFKA_VERSION} from Maven Central into ${CACHE_DIR} (first run only)"
  mkdir -p "${CACHE_DIR}"
  rm -rf "${LIB_DIR}" "${MARKER}"

  # Pass 1: Kafka itself, to learn which SLF4J API / log4j-core versions it brings.
  write_pom
  run_mvn
  [[ -f "${LIB_DIR}/kafka_2.13-${KAFKA_VERSION}.jar" ]] || die "Maven did not produce kafka_2.13-${KAFKA_VERSION}.jar in ${LIB_DIR}"

  # Pass 2: add the logging binding that matches.
  local slf4j log4j
  slf4j="$(jar_version slf4j-api)" || die "no slf4j-api jar in ${LIB_DIR}; cannot choose a logging binding"
  if ((KAFKA_MAJOR >= 4)); then
    log4j="${KAFKA_LOG4J_VERSION:-$(jar_version log4j-core || true)}"
    [[ -n "${log4j}" ]] || die "Kafka ${KAFKA_VERSION} brought no log4j-core; set KAFKA_LOG4J_VERSION (e.g. 2.24.3)"
    if [[ "${slf4j}" == 1.* ]]; then
      write_pom org.apache.logging.log4j log4j-slf4j-impl "${log4j}"
    else
      write_pom org.apache.logging.log4j log4j-slf4j2-impl "${log4j}"
    fi
  else
    if [[ "${slf4j}" == 1.* ]]; then
      write_pom org.slf4j slf4j-reload4j 1.7.36
    else
      write_pom org.slf4j slf4j-reload4j "${slf4j}"
    fi
  fi
  rm -rf "${LIB_DIR}"
  run_mvn
  find "${LIB_DIR}" -maxdepth 1 -name '*.jar' -printf '%f\n' | sort >"${MARKER}.tmp"
  mv "${MARKER}.tmp" "${MARKER}"
  log "fetched $(wc -l <"${MARKER}") jars"
}

# ---------------------------------------------------------------- config

write_config() {
  mkdir -p "${RUN_DIR}"
  local share=""
  if ((KAFKA_MAJOR >= 4)); then
    share="share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1"
  fi
  cat >"${CONFIG_FILE}" <<EOF
# Generated by event-bus scripts/kafka.sh (Kafka ${KAFKA_VERSION}); rewritten on every start.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@${KAFKA_HOST}:${KAFKA_CONTROLLER_PORT}
listeners=PLAINTEXT://${KAFKA_HOST}:${KAFKA_PORT},CONTROLLER://${KAFKA_HOST}:${KAFKA_CONTROLLER_PORT}
advertised.listeners=PLAINTEXT://${KAFKA_HOST}:${KAFKA_PORT}
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
log.dirs=${DATA_DIR}
auto.create.topics.enable=false
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
# A single test broker: few offset partitions make the first group join fast.
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
${share}
group.initial.rebalance.delay.ms=0
EOF

  if ((KAFKA_MAJOR >= 4)); then
    LOG_CONFIG="${RUN_DIR}/log4j2.xml"
    cat >"${LOG_CONFIG}" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by event-bus scripts/kafka.sh -->
<Configuration status="WARN">
  <Appenders>
    <File name="server" fileName="${LOG_FILE}" append="true">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
    </File>
  </Appenders>
  <Loggers>
    <Logger name="kafka.request.logger" level="WARN"/>
    <Logger name="kafka.authorizer.logger" level="WARN"/>
    <Root level="INFO">
      <AppenderRef ref="server"/>
    </Root>
  </Loggers>
</Configuration>
EOF
    LOG_OPTS=("-Dlog4j2.configurationFile=file:${LOG_CONFIG}")
  else
    LOG_CONFIG="${RUN_DIR}/log4j.properties"
    cat >"${LOG_CONFIG}" <<EOF
# Generated by event-bus scripts/kafka.sh
log4j.rootLogger=INFO, server
log4j.appender.server=org.apache.log4j.FileAppender
log4j.appender.server.File=${LOG_FILE}
log4j.appender.server.Append=true
log4j.appender.server.layout=org.apache.log4j.PatternLayout
log4j.appender.server.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.kafka.authorizer.logger=WARN
EOF
    LOG_OPTS=("-Dlog4j.configuration=file:${LOG_CONFIG}")
  fi
}

format_storage() {
  if [[ "${KAFKA_KEEP_DATA:-0}" == 1 && -f "${DATA_DIR}/meta.properties" ]]; then
    log "keeping existing data in ${DATA_DIR} (KAFKA_KEEP_DATA=1)"
    return 0
  fi
  rm -rf "${DATA_DIR}"
  mkdir -p "${DATA_DIR}"
  local cluster_id out="${RUN_DIR}/format.log"
  if ! cluster_id="$("${JAVA_BIN}" -Xmx256m "${LOG_OPTS[@]}" -cp "${LIB_DIR}/*" \
    kafka.tools.StorageTool random-uuid 2>"${out}")"; then
    cat "${out}" >&2
    die "kafka.tools.StorageTool random-uuid failed"
  fi
  cluster_id="$(printf '%s\n' "${cluster_id}" | tail -n 1 | tr -d '[:space:]')"
  if ! "${JAVA_BIN}" -Xmx256m "${LOG_OPTS[@]}" -cp "${LIB_DIR}/*" \
    kafka.tools.StorageTool format --ignore-formatted -t "${cluster_id}" -c "${CONFIG_FILE}" \
    >>"${out}" 2>&1; then
    cat "${out}" >&2
    die "formatting the storage in ${DATA_DIR} failed (see above / ${out})"
  fi
}

# ---------------------------------------------------------------- readiness

print_log_tail() {
  echo "---- last 40 lines of ${LOG_FILE} ----" >&2
  tail -n 40 "${LOG_FILE}" >&2 2>/dev/null || echo "(no log)" >&2
  if [[ -s "${STDOUT_FILE}" ]]; then
    echo "---- last 20 lines of ${STDOUT_FILE} ----" >&2
    tail -n 20 "${STDOUT_FILE}" >&2 || true
  fi
}

wait_ready() { # wait_ready PID STARTED_AT(epoch s)
  local pid="$1" deadline=$(($2 + START_TIMEOUT))
  while :; do
    if ! pid_alive "${pid}"; then
      print_log_tail
      rm -f "${PID_FILE}"
      die "the broker process ${pid} exited during startup"
    fi
    if port_open "${KAFKA_PORT}" && grep -q 'Kafka Server started' "${LOG_FILE}" 2>/dev/null; then
      break
    fi
    if (($(date +%s) >= deadline)); then
      print_log_tail
      stop_pid "${pid}" >&2
      die "the broker was not ready within ${START_TIMEOUT} s (KAFKA_START_TIMEOUT) and has been stopped; log above and in ${LOG_FILE}"
    fi
    sleep 0.5
  done
  if [[ -d "${REPO_ROOT}/node_modules/kafkajs" ]] && command -v node >/dev/null 2>&1; then
    local left=$((deadline - $(date +%s)))
    ((left < 5)) && left=5
    if ! node "${SCRIPT_DIR}/kafka-ready.js" "${KAFKA_HOST}:${KAFKA_PORT}" "$((left * 1000))"; then
      print_log_tail
      stop_pid "${pid}" >&2
      die "the broker listened but kafkajs admin.describeCluster() failed, so it has been stopped; log above and in ${LOG_FILE}"
    fi
  fi
}

# ---------------------------------------------------------------- commands

cmd_start() {
  local t0 pid
  t0="$(date +%s)"
  mkdir -p "${RUN_DIR}"

  if pid="$(running_pid)"; then
    if port_open "${KAFKA_PORT}"; then
      log "already running (pid ${pid}) on ${KAFKA_HOST}:${KAFKA_PORT}"
      return 0
    fi
    log "broker (pid ${pid}) is alive but not answering yet; waiting"
    wait_ready "${pid}" "${t0}"
    log "running (pid ${pid}) on ${KAFKA_HOST}:${KAFKA_PORT}"
    return 0
  fi
  rm -f "${PID_FILE}"

  local p
  for p in "${KAFKA_PORT}" "${KAFKA_CONTROLLER_PORT}"; do
    if port_open "${p}"; then
      local owner
      owner="$(port_owner "${p}")"
      die "port ${KAFKA_HOST}:${p} is already in use by another process (not started by this script${owner:+: ${owner}}); stop it or set KAFKA_PORT / KAFKA_CONTROLLER_PORT"
    fi
  done

  find_java
  fetch
  write_config
  if [[ -f "${LOG_FILE}" ]]; then mv -f "${LOG_FILE}" "${LOG_FILE}.prev"; fi
  : >"${LOG_FILE}"
  format_storage
  # shellcheck disable=SC2086 # HEAP_OPTS is a list of flags
  setsid nohup "${JAVA_BIN}" ${HEAP_OPTS} -XX:+UseG1GC -Djava.awt.headless=true \
    "${LOG_OPTS[@]}" -Dkafka.logs.dir="${RUN_DIR}" \
    -cp "${LIB_DIR}/*" kafka.Kafka "${CONFIG_FILE}" \
    >"${STDOUT_FILE}" 2>&1 </dev/null 9>&- &
  pid=$!
  echo "${pid}" >"${PID_FILE}"
  log "starting Kafka ${KAFKA_VERSION} (pid ${pid}), logs in ${LOG_FILE}"
  wait_ready "${pid}" "${t0}"
  log "running (pid ${pid}) on ${KAFKA_HOST}:${KAFKA_PORT} (ready in $(($(date +%s) - t0)) s)"
}

cmd_stop() {
  local pid
  if ! pid="$(read_pid)"; then
    log "not running (no pid file)"
    return 0
  fi
  if ! our_pid_alive "${pid}"; then
    rm -f "${PID_FILE}"
    log "not running (removed stale pid file for ${pid})"
    return 0
  fi
  stop_pid "${pid}"
  log "stopped"
}

stop_pid() { # stop_pid PID: TERM, wait up to 20 s, then KILL; removes the pid file
  local pid="$1"
  log "stopping pid ${pid}"
  kill -TERM "${pid}" 2>/dev/null || true
  local i
  for ((i = 0; i < 40; i++)); do
    pid_alive "${pid}" || break
    sleep 0.5
  done
  if pid_alive "${pid}"; then
    log "pid ${pid} did not exit within 20 s; sending KILL"
    kill -KILL "${pid}" 2>/dev/null || true
    for ((i = 0; i < 20; i++)); do
      pid_alive "${pid}" || break
      sleep 0.25
    done
  fi
  if pid_alive "${pid}"; then
    die "pid ${pid} is still alive after KILL"
  fi
  rm -f "${PID_FILE}"
}

cmd_status() {
  local pid
  if pid="$(running_pid)"; then
    if port_open "${KAFKA_PORT}"; then
      echo "running (pid ${pid}) on ${KAFKA_HOST}:${KAFKA_PORT}"
      return 0
    fi
    echo "not ready (pid ${pid} alive, ${KAFKA_HOST}:${KAFKA_PORT} not answering)"
    return 1
  fi
  echo "not running"
  return 1
}

cmd_logs() {
  [[ -f "${LOG_FILE}" ]] || die "no broker log at ${LOG_FILE}"
  if [[ "${1:-}" == "-f" ]]; then
    exec tail -n 100 -f "${LOG_FILE}"
  fi
  tail -n "${KAFKA_LOG_LINES:-100}" "${LOG_FILE}"
}

with_lock() { # serialise start/stop of the same run folder
  mkdir -p "${RUN_DIR}"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"${RUN_DIR}/.lock"
    flock -w 120 9 || die "another kafka.sh is busy with ${RUN_DIR}"
  fi
  "$@"
}

case "${1:-}" in
  start) with_lock cmd_start ;;
  stop) with_lock cmd_stop ;;
  status) cmd_status ;;
  logs) cmd_logs "${2:-}" ;;
  *) usage ;;
esac
