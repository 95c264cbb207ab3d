# Shared by scripts/connect/standalone and scripts/connect/distributed (sourced,
# not run): checks the tools, fetches the jars, writes a worker's log4j2 and
# base worker.properties into its directory, and execs the JVM. The callers'
# headers document the environment variables read here.

die() { say "$*"; exit 1; }

# worker_prepare WORKDIR BOOTSTRAP MODE: sets dir, home and port; writes
# log4j2.properties, the base worker.properties and the rest file.
worker_prepare() {
  command -v python3 >/dev/null 2>&1 || die "python3 is missing: install it (Debian: apt-get install -y python3)"
  command -v java >/dev/null 2>&1 || die "java is missing: install a Java 17 or newer runtime (Debian: apt-get install -y openjdk-17-jre-headless)"
  mkdir -p "$1"
  dir=$(cd "$1" && pwd)
  local bootstrap=$2 mode=$3
  if [[ -n "${SLUICE_CONNECT_WORKER_PROPS:-}" && ! -f "$SLUICE_CONNECT_WORKER_PROPS" ]]; then
    die "SLUICE_CONNECT_WORKER_PROPS names no file: $SLUICE_CONNECT_WORKER_PROPS"
  fi
  local discovery=${SLUICE_CONNECT_PLUGIN_DISCOVERY:-hybrid_warn}
  [[ "$discovery" =~ ^(only_scan|hybrid_warn|hybrid_fail|service_load)$ ]] \
    || die "SLUICE_CONNECT_PLUGIN_DISCOVERY must be only_scan, hybrid_warn, hybrid_fail or service_load, not $discovery"
  local level=${SLUICE_CONNECT_LOG_LEVEL:-WARN}
  [[ "$level" =~ ^(OFF|FATAL|ERROR|WARN|INFO|DEBUG|TRACE|ALL)$ ]] \
    || die "SLUICE_CONNECT_LOG_LEVEL must be a Log4j level (ERROR, WARN, INFO, DEBUG, ...), not $level"

  home=$("$here/fetch")

  local plugin_path="$home/plugins" n
  if [[ -n "${SLUICE_CONNECT_PLUGINS:-}" ]]; then
    # plugin.path lists directories of plugins: one of links to the chosen ones
    rm -rf "$dir/plugins"
    mkdir -p "$dir/plugins"
    for n in $SLUICE_CONNECT_PLUGINS; do
      [[ -d "$home/plugins/$n" ]] \
        || die "SLUICE_CONNECT_PLUGINS names $n, which is not a fetched plugin; the plugins are: $(ls "$home/plugins" | tr '\n' ' ')"
      ln -s "$home/plugins/$n" "$dir/plugins/$n"
    done
    plugin_path="$dir/plugins"
  fi

  # a free port for the REST API
  port=$(python3 -c '
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
')

  cat >"$dir/log4j2.properties" <<LOG4J
# This Connect worker logs at $level (warnings and errors only unless
# SLUICE_CONNECT_LOG_LEVEL says otherwise), to $dir/connect.log.
status = warn
name = sluice-connect
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = $dir/connect.log
appender.file.append = true
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = $level
rootLogger.appenderRef.file.ref = FILE
LOG4J

  cat >"$dir/worker.properties" <<PROPS
# A $mode Kafka Connect worker for Sluice's benchmarks and tests, written by
# scripts/connect/$mode.
bootstrap.servers=$bootstrap
key.converter=org.apache.kafka.connect.json.JsonConverter
value.converter=org.apache.kafka.connect.json.JsonConverter
key.converter.schemas.enable=false
value.converter.schemas.enable=false
# how often a sink task's consumer offsets are committed (after the
# connector's flush/preCommit); Connect's default is 60000
offset.flush.interval.ms=1000
plugin.path=$plugin_path
plugin.discovery=$discovery
listeners=http://127.0.0.1:$port
PROPS
  echo "http://127.0.0.1:$port" >"$dir/rest"
}

# worker_props: appends standard input to worker.properties, then the lines
# of SLUICE_CONNECT_WORKER_PROPS (later lines win).
worker_props() {
  cat >>"$dir/worker.properties"
  if [[ -n "${SLUICE_CONNECT_WORKER_PROPS:-}" ]]; then
    {
      echo "# from SLUICE_CONNECT_WORKER_PROPS=$SLUICE_CONNECT_WORKER_PROPS"
      cat "$SLUICE_CONNECT_WORKER_PROPS"
    } >>"$dir/worker.properties"
  fi
}

# worker_exec MAIN-CLASS ARGS...: replaces the shell with the worker's JVM,
# with the options of Kafka's bin/kafka-run-class.sh.
worker_exec() {
  # shellcheck disable=SC2086 # the options are a space-separated list on purpose
  exec java ${SLUICE_CONNECT_HEAP_OPTS:--Xms256M -Xmx2G} \
    -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
    -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$dir/log4j2.properties" \
    -cp "$home/libs/*" "$@" >>"$dir/connect.out" 2>&1 </dev/null
}
