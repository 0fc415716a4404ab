#!/usr/bin/env bash
# Runs a real Apache Kafka broker (KRaft, combined broker+controller) on this
# machine without Docker: one node by default, or a cluster of KAFKA_NODES nodes.
# The broker jars are fetched once from Maven Central into a cache folder outside
# the repository and reused afterwards.
#
# Usage: scripts/kafka.sh start|stop|status|logs [-f]|pid   (details: run without arguments)
#
# Environment (all optional):
#   KAFKA_VERSION          Kafka version (default below)
#   KAFKA_PORT             PLAINTEXT port; node i of a cluster uses KAFKA_PORT+i-1 (default 9092)
#   KAFKA_CONTROLLER_PORT  CONTROLLER port; node i of a cluster uses KAFKA_CONTROLLER_PORT+i-1
#                          (default 9093; in a cluster KAFKA_PORT+KAFKA_NODES, e.g. 9095..9097)
#   KAFKA_NODES            number of nodes (default 1); 2+ is a cluster, each node broker and
#                          controller, with static controller.quorum.voters of all nodes
#   KAFKA_NODE             cluster only: act on node N alone (start keeps its data)
#   KAFKA_CACHE_DIR        jar cache root              (default ~/.cache/event-bus-kafka)
#   KAFKA_RUN_DIR          pid file, log, data, config (default /tmp/event-bus-kafka);
#                          a cluster keeps node i in KAFKA_RUN_DIR/node-i
#   KAFKA_KEEP_DATA=1      keep the data folder across starts
#   KAFKA_START_TIMEOUT    seconds to wait for readiness (default 60; 120 for a cluster)
#   KAFKA_HEAP_OPTS        JVM heap flags per node (default -Xms256m -Xmx512m;
#                          -Xms128m -Xmx384m per node in a cluster)
#   KAFKA_LOG4J_VERSION    force the log4j binding version (4.x; default: the log4j-core Kafka brings)
#   JAVA_HOME / JAVA       Java 17+ to use
set -euo pipefail

KAFKA_VERSION="${KAFKA_VERSION:-4.4.0}"

KAFKA_HOST="127.0.0.1"
NODES="${KAFKA_NODES:-1}"
ONLY_NODE="${KAFKA_NODE:-}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
if [[ "${NODES}" =~ ^[0-9]+$ ]] && ((NODES > 1)); then
  CLUSTER=1
  KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + NODES))}"
  START_TIMEOUT="${KAFKA_START_TIMEOUT:-120}"
  HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms128m -Xmx384m}"
else
  CLUSTER=0
  KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
  START_TIMEOUT="${KAFKA_START_TIMEOUT:-60}"
  HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
fi
CACHE_DIR="${KAFKA_CACHE_DIR:-$HOME/.cache/event-bus-kafka}/${KAFKA_VERSION}"
RUN_DIR="${KAFKA_RUN_DIR:-/tmp/event-bus-kafka}"
DEP_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.8.1"

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${SCRIPT_DIR}/.." && pwd)"

LIB_DIR="${CACHE_DIR}/lib"
MARKER="${CACHE_DIR}/.complete"
CLUSTER_ID_FILE="${RUN_DIR}/cluster.id"
KAFKA_MAJOR="${KAFKA_VERSION%%.*}"

# select_node I: points the per-node globals at node I. A single node (the default)
# lives directly in RUN_DIR, as it always has; node i of a cluster in RUN_DIR/node-i.
select_node() {
  NODE_ID="$1"
  if ((CLUSTER)); then
    NODE_DIR="${RUN_DIR}/node-${NODE_ID}"
    NODE_LABEL="node ${NODE_ID}"
  else
    NODE_DIR="${RUN_DIR}"
    NODE_LABEL="broker"
  fi
  NODE_PORT=$((KAFKA_PORT + NODE_ID - 1))
  NODE_CONTROLLER_PORT=$((KAFKA_CONTROLLER_PORT + NODE_ID - 1))
  PID_FILE="${NODE_DIR}/kafka.pid"
  LOG_FILE="${NODE_DIR}/server.log"
  STDOUT_FILE="${NODE_DIR}/stdout.log"
  DATA_DIR="${NODE_DIR}/data"
  CONFIG_FILE="${NODE_DIR}/server.properties"
}

log() { printf 'kafka.sh: %s\n' "$*"; }
die() {
  printf 'kafka.sh: ERROR: %s\n' "$*" >&2
  exit 1
}

usage() {
  cat >&2 <<EOF
usage: $0 start|stop|status|logs [-f]|pid
  start   fetch Kafka ${KAFKA_VERSION} (cached), format fresh storage, start the broker, wait until ready
  stop    stop the broker started by this script (TERM, then KILL after 20 s)
  status  exit 0 and print "running (pid N) on ${KAFKA_HOST}:${KAFKA_PORT}" when up, exit 1 otherwise
  logs    print the tail of the broker log (-f to follow)
  pid     print the broker's pid (exit 1 when it is not running)

Cluster mode: KAFKA_NODES=N (N >= 2, e.g. 3) runs N KRaft nodes, each broker and controller,
with static controller.quorum.voters of all N, node ids 1..N:
  node i: client (PLAINTEXT) port KAFKA_PORT+i-1, controller port KAFKA_CONTROLLER_PORT+i-1,
          files in KAFKA_RUN_DIR/node-i (kafka.pid, server.log, stdout.log, data/, server.properties)
  KAFKA_CONTROLLER_PORT defaults to KAFKA_PORT+N: 3 nodes on 9092..9094, controllers 9095..9097.
  Brokers default to replication 3 (at most N) and min.insync.replicas=2 (1 with 2 nodes), also
  for the offsets and transaction-state topics. Clients take KAFKA_BROKERS=<all client ports>.
  KAFKA_NODES=3 $0 start          format fresh storage (one cluster id), start all, wait for all
  KAFKA_NODES=3 $0 stop|status|logs   all nodes (status exits 0 only when all are up)
  KAFKA_NODES=3 KAFKA_NODE=2 $0 start   start node 2 alone, keeping its data (restart after a kill)
  KAFKA_NODES=3 KAFKA_NODE=2 $0 stop|status|logs|pid   node 2 alone
  KAFKA_NODES=3 $0 pid            print "NODE PID" per running node
  To simulate a crash: kill -KILL "\$(KAFKA_NODES=3 KAFKA_NODE=2 $0 pid)", then start node 2 again.
Use the same KAFKA_NODES, KAFKA_PORT, KAFKA_CONTROLLER_PORT and KAFKA_RUN_DIR for every command.
EOF
  exit 2
}

case "${KAFKA_MAJOR}" in
  '' | *[!0-9]*) die "KAFKA_VERSION '${KAFKA_VERSION}' is not a version like 4.1.0" ;;
esac
case "${NODES}" in
  '' | *[!0-9]* | 0) die "KAFKA_NODES '${NODES}' is not a node count like 3" ;;
esac
if [[ -n "${ONLY_NODE}" ]]; then
  ((CLUSTER)) || die "KAFKA_NODE=${ONLY_NODE} needs a cluster: set KAFKA_NODES too (e.g. KAFKA_NODES=3)"
  if [[ ! "${ONLY_NODE}" =~ ^[0-9]+$ ]] || ((ONLY_NODE < 1 || ONLY_NODE > NODES)); then
    die "KAFKA_NODE '${ONLY_NODE}' is not a node id from 1 to ${NODES}"
  fi
fi
if ((CLUSTER)); then
  if ((KAFKA_CONTROLLER_PORT < KAFKA_PORT + NODES && KAFKA_PORT < KAFKA_CONTROLLER_PORT + NODES)); then
    die "client ports ${KAFKA_PORT}..$((KAFKA_PORT + NODES - 1)) and controller ports ${KAFKA_CONTROLLER_PORT}..$((KAFKA_CONTROLLER_PORT + NODES - 1)) overlap; set KAFKA_CONTROLLER_PORT (e.g. $((KAFKA_PORT + NODES)))"
  fi
fi

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

# write_config: server.properties and the log configuration of the selected node.
write_config() {
  mkdir -p "${NODE_DIR}"
  local voters="" replication=1 min_isr=1 note="A single test broker" i
  for ((i = 1; i <= NODES; i++)); do
    voters="${voters:+${voters},}${i}@${KAFKA_HOST}:$((KAFKA_CONTROLLER_PORT + i - 1))"
  done
  if ((CLUSTER)); then
    replication=$((NODES < 3 ? NODES : 3))
    min_isr=$((replication < 3 ? 1 : 2))
    note="A test cluster"
  fi
  local share=""
  if ((KAFKA_MAJOR >= 4)); then
    share="share.coordinator.state.topic.replication.factor=${replication}
share.coordinator.state.topic.min.isr=${min_isr}"
  fi
  cat >"${CONFIG_FILE}" <<EOC
# Generated by event-bus scripts/kafka.sh (Kafka ${KAFKA_VERSION}); rewritten on every start.
process.roles=broker,controller
node.id=${NODE_ID}
controller.quorum.voters=${voters}
listeners=PLAINTEXT://${KAFKA_HOST}:${NODE_PORT},CONTROLLER://${KAFKA_HOST}:${NODE_CONTROLLER_PORT}
advertised.listeners=PLAINTEXT://${KAFKA_HOST}:${NODE_PORT}
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
log.dirs=${DATA_DIR}
auto.create.topics.enable=false
num.partitions=3
default.replication.factor=${replication}
min.insync.replicas=${min_isr}
offsets.topic.replication.factor=${replication}
# ${note}: few offset partitions make the first group join fast.
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=${replication}
transaction.state.log.min.isr=${min_isr}
${share}
group.initial.rebalance.delay.ms=0
EOC

  if ((KAFKA_MAJOR >= 4)); then
    LOG_CONFIG="${NODE_DIR}/log4j2.xml"
    cat >"${LOG_CONFIG}" <<EOC
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
EOC
    LOG_OPTS=("-Dlog4j2.configurationFile=file:${LOG_CONFIG}")
  else
    LOG_CONFIG="${NODE_DIR}/log4j.properties"
    cat >"${LOG_CONFIG}" <<EOC
# Generated by event-bus scripts/kafka.sh
log4j.rootLogger=INFO, server
log4j.appender.server=org.apache.log4j.FileAppender
log4j.appender.server.File=${LOG_FILE}
log4j.appender.server.Append=true
log4j.appender.server.layout=org.apache.log4j.PatternLayout
log4j.appender.server.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.kafka.authorizer.logger=WARN
EOC
    LOG_OPTS=("-Dlog4j.configuration=file:${LOG_CONFIG}")
  fi
}

new_cluster_id() {
  local cluster_id out="${RUN_DIR}/format.log"
  if ! cluster_id="$("${JAVA_BIN}" -Xmx256m "${LOG_OPTS[@]}" -cp "${LIB_DIR}/*" \
    kafka.tools.StorageTool random-uuid 2>"${out}")"; then
    cat "${out}" >&2
    die "kafka.tools.StorageTool random-uuid failed"
  fi
  printf '%s\n' "${cluster_id}" | tail -n 1 | tr -d '[:space:]'
}

# format_storage [KEEP] [CLUSTER_ID]: formats the selected node's data folder, unless KEEP is 1
# and it is formatted already. A single node takes a fresh cluster id; cluster nodes share one.
format_storage() {
  local keep="${1:-${KAFKA_KEEP_DATA:-0}}" cluster_id="${2:-}"
  if [[ "${keep}" == 1 && -f "${DATA_DIR}/meta.properties" ]]; then
    if ((CLUSTER)); then
      log "${NODE_LABEL}: keeping existing data in ${DATA_DIR}"
    else
      log "keeping existing data in ${DATA_DIR} (KAFKA_KEEP_DATA=1)"
    fi
    return 0
  fi
  rm -rf "${DATA_DIR}"
  mkdir -p "${DATA_DIR}"
  local out="${NODE_DIR}/format.log"
  [[ -n "${cluster_id}" ]] || cluster_id="$(new_cluster_id)"
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

# node_up PID DEADLINE: waits until the selected node logged "Kafka Server started" and takes
# connections. Returns 1 with NOT_UP set (after printing its log tail) when it exits or times out.
node_up() {
  local pid="$1" deadline="$2"
  NOT_UP=""
  while :; do
    if ! pid_alive "${pid}"; then
      print_log_tail
      rm -f "${PID_FILE}"
      NOT_UP="the ${NODE_LABEL} process ${pid} exited during startup"
      return 1
    fi
    if port_open "${NODE_PORT}" && grep -q 'Kafka Server started' "${LOG_FILE}" 2>/dev/null; then
      return 0
    fi
    if (($(date +%s) >= deadline)); then
      print_log_tail
      NOT_UP="timeout"
      return 1
    fi
    sleep 0.5
  done
}

# kafkajs_ready BROKERS DEADLINE MIN_BROKERS: the kafkajs admin probe (skipped without kafkajs)
kafkajs_ready() {
  if [[ -d "${REPO_ROOT}/node_modules/kafkajs" ]] && command -v node >/dev/null 2>&1; then
    local left=$(($2 - $(date +%s)))
    ((left < 5)) && left=5
    node "${SCRIPT_DIR}/kafka-ready.js" "$1" "$((left * 1000))" "$3"
  fi
}

wait_ready() { # wait_ready PID STARTED_AT(epoch s)
  local pid="$1" deadline=$(($2 + START_TIMEOUT))
  if ! node_up "${pid}" "${deadline}"; then
    [[ "${NOT_UP}" == timeout ]] || die "${NOT_UP}"
    stop_pid "${pid}" >&2
    die "the broker was not ready within ${START_TIMEOUT} s (KAFKA_START_TIMEOUT) and has been stopped; log above and in ${LOG_FILE}"
  fi
  if ! kafkajs_ready "${KAFKA_HOST}:${NODE_PORT}" "${deadline}" 1; then
    print_log_tail
    stop_pid "${pid}" >&2
    die "the broker listened but kafkajs admin.describeCluster() failed, so it has been stopped; log above and in ${LOG_FILE}"
  fi
}

# ---------------------------------------------------------------- commands

# check_ports_free PORT...: fails naming the first port something else listens on
check_ports_free() {
  local p
  for p in "$@"; do
    if port_open "${p}"; then
      local owner
      owner="$(port_owner "${p}")"
      die "port ${KAFKA_HOST}:${p} is already in use by another process (not started by this script${owner:+: ${owner}}); stop it or set KAFKA_PORT / KAFKA_CONTROLLER_PORT"
    fi
  done
}

rotate_log() { # keeps the selected node's previous log as server.log.prev
  if [[ -f "${LOG_FILE}" ]]; then mv -f "${LOG_FILE}" "${LOG_FILE}.prev"; fi
  : >"${LOG_FILE}"
}

# launch_node: starts the selected node's JVM in the background; sets LAUNCHED_PID
launch_node() {
  # shellcheck disable=SC2086 # HEAP_OPTS is a list of flags
  setsid nohup "${JAVA_BIN}" ${HEAP_OPTS} -XX:+UseG1GC -Djava.awt.headless=true \
    "${LOG_OPTS[@]}" -Dkafka.logs.dir="${NODE_DIR}" \
    -cp "${LIB_DIR}/*" kafka.Kafka "${CONFIG_FILE}" \
    >"${STDOUT_FILE}" 2>&1 </dev/null 9>&- &
  LAUNCHED_PID=$!
  echo "${LAUNCHED_PID}" >"${PID_FILE}"
}

cmd_start() {
  local t0 pid
  t0="$(date +%s)"
  mkdir -p "${RUN_DIR}"
  select_node 1

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

  check_ports_free "${KAFKA_PORT}" "${KAFKA_CONTROLLER_PORT}"

  find_java
  fetch
  write_config
  rotate_log
  format_storage
  launch_node
  pid="${LAUNCHED_PID}"
  log "starting Kafka ${KAFKA_VERSION} (pid ${pid}), logs in ${LOG_FILE}"
  wait_ready "${pid}" "${t0}"
  log "running (pid ${pid}) on ${KAFKA_HOST}:${KAFKA_PORT} (ready in $(($(date +%s) - t0)) s)"
}

# selected_nodes: the node ids a cluster command acts on (KAFKA_NODE, or all)
selected_nodes() {
  if [[ -n "${ONLY_NODE}" ]]; then
    echo "${ONLY_NODE}"
  else
    seq 1 "${NODES}"
  fi
}

all_brokers() {
  local i list=""
  for ((i = 1; i <= NODES; i++)); do
    list="${list:+${list},}${KAFKA_HOST}:$((KAFKA_PORT + i - 1))"
  done
  echo "${list}"
}

# cluster_abort MESSAGE NODE...: stops the nodes this start launched, then fails
cluster_abort() {
  local message="$1" i
  shift
  for i in "$@"; do
    select_node "${i}"
    if pid="$(running_pid)"; then stop_pid "${pid}" >&2; fi
  done
  die "${message}"
}

cmd_cluster_start() {
  local t0 deadline i pid keep cluster_id=""
  t0="$(date +%s)"
  deadline=$((t0 + START_TIMEOUT))
  mkdir -p "${RUN_DIR}"

  # Which nodes run already, which must start.
  local -a to_start=() running=()
  for i in $(selected_nodes); do
    select_node "${i}"
    if pid="$(running_pid)"; then
      running+=("${i}")
      log "${NODE_LABEL}: already running (pid ${pid}) on ${KAFKA_HOST}:${NODE_PORT}"
    else
      rm -f "${PID_FILE}"
      to_start+=("${i}")
    fi
  done
  # Storage: KAFKA_NODE restarts one node of a cluster, and a partly running cluster is restarted
  # the same way: both keep the data (a fresh voter would forget the quorum's log).
  keep="${KAFKA_KEEP_DATA:-0}"
  if [[ -n "${ONLY_NODE}" ]] || ((${#running[@]} > 0)); then keep=1; fi

  if ((${#to_start[@]} > 0)); then
    local -a ports=()
    for i in "${to_start[@]}"; do
      select_node "${i}"
      ports+=("${NODE_PORT}" "${NODE_CONTROLLER_PORT}")
    done
    check_ports_free "${ports[@]}"
    find_java
    fetch
    for i in "${to_start[@]}"; do
      select_node "${i}"
      write_config
      rotate_log
    done
    # One cluster id for every node: kept with the data, new for a fresh cluster.
    if [[ "${keep}" == 1 && -s "${CLUSTER_ID_FILE}" ]]; then
      cluster_id="$(tr -d '[:space:]' <"${CLUSTER_ID_FILE}")"
    else
      cluster_id="$(new_cluster_id)"
      echo "${cluster_id}" >"${CLUSTER_ID_FILE}"
    fi
    # Format in parallel: each StorageTool run is a JVM start.
    local -a formatting=()
    for i in "${to_start[@]}"; do
      select_node "${i}"
      write_config
      format_storage "${keep}" "${cluster_id}" &
      formatting+=("$!")
    done
    for pid in "${formatting[@]}"; do
      wait "${pid}" || die "formatting a node's storage failed (see above)"
    done
    for i in "${to_start[@]}"; do
      select_node "${i}"
      write_config
      launch_node
      log "${NODE_LABEL}: starting Kafka ${KAFKA_VERSION} (pid ${LAUNCHED_PID}) on ${KAFKA_HOST}:${NODE_PORT}, controller ${NODE_CONTROLLER_PORT}, logs in ${LOG_FILE}"
    done
  fi

  for i in $(selected_nodes); do
    select_node "${i}"
    pid="$(read_pid)" || cluster_abort "${NODE_LABEL} has no pid file" "${to_start[@]}"
    if ! node_up "${pid}" "${deadline}"; then
      [[ "${NOT_UP}" == timeout ]] && NOT_UP="${NODE_LABEL} was not ready within ${START_TIMEOUT} s (KAFKA_START_TIMEOUT); log above and in ${LOG_FILE}"
      cluster_abort "${NOT_UP}; the nodes this start launched have been stopped" "${to_start[@]}"
    fi
  done
  # The whole cluster, or just the restarted node, must answer kafkajs.
  local brokers expected
  if [[ -n "${ONLY_NODE}" ]]; then
    select_node "${ONLY_NODE}"
    brokers="${KAFKA_HOST}:${NODE_PORT}"
    expected=1
  else
    brokers="$(all_brokers)"
    expected="${NODES}"
  fi
  if ! kafkajs_ready "${brokers}" "${deadline}" "${expected}"; then
    for i in $(selected_nodes); do
      select_node "${i}"
      print_log_tail
    done
    cluster_abort "kafkajs admin.describeCluster() on ${brokers} did not see ${expected} broker(s), so the nodes this start launched have been stopped; logs above" "${to_start[@]}"
  fi
  for i in $(selected_nodes); do
    select_node "${i}"
    log "${NODE_LABEL}: running (pid $(read_pid)) on ${KAFKA_HOST}:${NODE_PORT}"
  done
  if [[ -n "${ONLY_NODE}" ]]; then
    log "node ${ONLY_NODE} ready in $(($(date +%s) - t0)) s; KAFKA_BROKERS=$(all_brokers)"
  else
    log "cluster of ${NODES} ready in $(($(date +%s) - t0)) s; KAFKA_BROKERS=$(all_brokers)"
  fi
}

cmd_stop() {
  local pid
  select_node 1
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

# Stops the selected nodes together: one by one, the last ones would wait for a quorum that is
# already gone before giving up on a controlled shutdown.
cmd_cluster_stop() {
  local i pid
  local -a pids=() nodes=()
  for i in $(selected_nodes); do
    select_node "${i}"
    if ! pid="$(read_pid)"; then
      log "${NODE_LABEL}: not running (no pid file)"
    elif ! our_pid_alive "${pid}"; then
      rm -f "${PID_FILE}"
      log "${NODE_LABEL}: not running (removed stale pid file for ${pid})"
    else
      log "${NODE_LABEL}: stopping pid ${pid}"
      kill -TERM "${pid}" 2>/dev/null || true
      pids+=("${pid}")
      nodes+=("${i}")
    fi
  done
  local n
  for ((n = 0; n < ${#pids[@]}; n++)); do
    select_node "${nodes[n]}"
    stop_pid "${pids[n]}" >/dev/null
    log "${NODE_LABEL}: stopped"
  done
}

stop_pid() { # stop_pid PID: TERM, wait up to 20 s, then KILL; removes the selected node's pid file
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
  select_node 1
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

cmd_cluster_status() {
  local i pid status=0
  for i in $(selected_nodes); do
    select_node "${i}"
    if pid="$(running_pid)"; then
      if port_open "${NODE_PORT}"; then
        echo "${NODE_LABEL}: running (pid ${pid}) on ${KAFKA_HOST}:${NODE_PORT}"
      else
        echo "${NODE_LABEL}: not ready (pid ${pid} alive, ${KAFKA_HOST}:${NODE_PORT} not answering)"
        status=1
      fi
    else
      echo "${NODE_LABEL}: not running (${KAFKA_HOST}:${NODE_PORT})"
      status=1
    fi
  done
  return "${status}"
}

# pid: the selected node's pid (or "NODE PID" per node for a whole cluster); exit 1 if not running
cmd_pid() {
  local i pid status=0
  if ((CLUSTER)) && [[ -z "${ONLY_NODE}" ]]; then
    for i in $(selected_nodes); do
      select_node "${i}"
      if pid="$(running_pid)"; then echo "${i} ${pid}"; else status=1; fi
    done
    return "${status}"
  fi
  select_node "${ONLY_NODE:-1}"
  if pid="$(running_pid)"; then
    echo "${pid}"
    return 0
  fi
  echo "kafka.sh: ${NODE_LABEL} is not running" >&2
  return 1
}

cmd_logs() {
  select_node 1
  [[ -f "${LOG_FILE}" ]] || die "no broker log at ${LOG_FILE}"
  if [[ "${1:-}" == "-f" ]]; then
    exec tail -n 100 -f "${LOG_FILE}"
  fi
  tail -n "${KAFKA_LOG_LINES:-100}" "${LOG_FILE}"
}

cmd_cluster_logs() {
  local i
  local -a files=()
  for i in $(selected_nodes); do
    select_node "${i}"
    [[ -f "${LOG_FILE}" ]] || die "no log for ${NODE_LABEL} at ${LOG_FILE}"
    files+=("${LOG_FILE}")
  done
  if [[ "${1:-}" == "-f" ]]; then
    exec tail -n 100 -f "${files[@]}"
  fi
  if ((${#files[@]} == 1)); then
    tail -n "${KAFKA_LOG_LINES:-100}" "${files[0]}"
  else
    tail -n "${KAFKA_LOG_LINES:-100}" -v "${files[@]}"
  fi
}

with_lock() { # serialise start/stop of the same run folder
  mkdir -p "${RUN_DIR}"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"${RUN_DIR}/.lock"
    flock -w 120 9 || die "another kafka.sh is busy with ${RUN_DIR}"
  fi
  "$@"
}

if ((CLUSTER)); then
  case "${1:-}" in
    start) with_lock cmd_cluster_start ;;
    stop) with_lock cmd_cluster_stop ;;
    status) cmd_cluster_status ;;
    logs) cmd_cluster_logs "${2:-}" ;;
    pid) cmd_pid ;;
    *) usage ;;
  esac
else
  case "${1:-}" in
    start) with_lock cmd_start ;;
    stop) with_lock cmd_stop ;;
    status) cmd_status ;;
    logs) cmd_logs "${2:-}" ;;
    pid) cmd_pid ;;
    *) usage ;;
  esac
fi
