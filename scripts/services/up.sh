#!/usr/bin/env bash
# Starts, on 127.0.0.1, an S3 API server (S3Proxy over a local folder) and a small real Apache Druid cluster
# (ZooKeeper, coordinator-as-overlord, broker, historical, middleManager with 2 task slots, router), waits until
# each is healthy, creates the bucket and writes the settings to $REPO_ROOT/.services.env.
# Idempotent: services already running are left alone. Downloads (Maven Central only) are cached.
# See docs/SERVICES.md.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

START_TIMEOUT="${TRIBUTARY_SERVICES_START_TIMEOUT:-240}" # seconds per service
T0=$SECONDS

# ---------------------------------------------------------------- Java
JAVA="${TRIBUTARY_JAVA:-}"
if [[ -z "$JAVA" ]]; then
  # Java 17 first, even if JAVA_HOME points elsewhere (e.g. Temurin 25 for another build): Druid 33 supports 11/17.
  for j in /usr/lib/jvm/java-17-openjdk-amd64/bin/java "${JAVA_HOME:+$JAVA_HOME/bin/java}" "$(command -v java || true)"; do
    [[ -n "$j" && -x "$j" ]] || continue
    JAVA="$j"
    break
  done
fi
[[ -n "$JAVA" && -x "$JAVA" ]] || die "no java found (install openjdk-17-jre-headless, or set TRIBUTARY_JAVA)"
JAVA_MAJOR="$("$JAVA" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
[[ "$JAVA_MAJOR" == 17 ]] || say "warning: $JAVA is Java $JAVA_MAJOR; Druid $DRUID_VERSION is tested on 17 (set TRIBUTARY_JAVA)"
command -v curl >/dev/null || die "curl is required (apt-get install -y curl)"

mkdir -p "$DIST_DIR" "$CONF_DIR" "$VAR_DIR/tmp" "$VAR_DIR/s3" "$VAR_DIR/zk" "$VAR_DIR/druid" "$LOG_DIR" "$PID_DIR"

# ---------------------------------------------------------------- downloads (Maven, with retries)
# mvn_fetch LABEL POM OUTDIR [extra maven args...]: copies the runtime dependencies of POM into OUTDIR.
mvn_fetch() {
  local label="$1" pom="$2" out="$3"
  shift 3
  command -v mvn >/dev/null || die "mvn is required to download $label (apt-get install -y maven)"
  local log="$LOG_DIR/mvn-$(basename "$out").log" attempt=1 delay=10 tmp="$out.partial"
  while :; do
    rm -rf "$tmp"
    say "downloading $label (attempt $attempt; Maven log: $log)"
    local extra=()
    ((attempt > 1)) && extra=(-U) # re-ask the registry instead of trusting cached "not found" results
    mvn -B -ntp -f "$pom" -Dmaven.repo.local="$M2_REPO" "${extra[@]}" "$@" \
      dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" >"$log" 2>&1 &
    local mpid=$!
    while kill -0 "$mpid" 2>/dev/null; do
      sleep 5
      kill -0 "$mpid" 2>/dev/null || break
      say "  ... $label: $(find "$tmp" -name '*.jar' 2>/dev/null | wc -l) jars copied, Maven repository $(du -sh "$M2_REPO" 2>/dev/null | cut -f1)"
    done
    if wait "$mpid"; then
      mv "$tmp" "$out"
      say "  $label: $(find "$out" -name '*.jar' | wc -l) jars, $(du -sh "$out" | cut -f1)"
      return 0
    fi
    if ((attempt >= 4)); then
      tail -n 30 "$log" >&2
      die "could not download $label from Maven Central after $attempt attempts (log: $log)"
    fi
    say "  download failed (see $log); retrying in ${delay}s"
    grep -E '^\[ERROR\]' "$log" | head -n 3 >&2 || true
    sleep "$delay"
    attempt=$((attempt + 1))
    delay=$((delay * 3))
  done
}

# A dist folder's name carries a hash of the poms it was assembled from, so a change to scripts/services/maven/
# assembles a new folder (from ~/.m2, downloading only what is new) and never touches one that running services use.
POMS_HASH="$(cat "$SERVICES_DIR"/maven/*/pom.xml | sha256sum | cut -c1-8)"
complete() { [[ -f "$1/.complete" ]]; }

S3PROXY_DIST="$DIST_DIR/s3proxy-$S3PROXY_VERSION-$POMS_HASH"
if ! complete "$S3PROXY_DIST"; then
  rm -rf "$S3PROXY_DIST"
  mvn_fetch "S3Proxy $S3PROXY_VERSION" "$SERVICES_DIR/maven/s3proxy/pom.xml" "$S3PROXY_DIST" -Ds3proxy.version="$S3PROXY_VERSION"
  touch "$S3PROXY_DIST/.complete"
fi

DRUID_DIST="$DIST_DIR/druid-$DRUID_VERSION-s3-$DRUID_S3_EXT_VERSION${DRUID_MSQ_EXT_VERSION:+-msq-$DRUID_MSQ_EXT_VERSION}-$POMS_HASH"
if ! complete "$DRUID_DIST"; then
  rm -rf "$DRUID_DIST"
  mkdir -p "$DRUID_DIST/extensions"
  mvn_fetch "Druid $DRUID_VERSION lib/" "$SERVICES_DIR/maven/druid/pom.xml" "$DRUID_DIST/lib" -Ddruid.version="$DRUID_VERSION"
  mvn_fetch "Druid extension druid-s3-extensions $DRUID_S3_EXT_VERSION" "$SERVICES_DIR/maven/druid-extension/pom.xml" \
    "$DRUID_DIST/extensions/druid-s3-extensions" -Ddruid.version="$DRUID_S3_EXT_VERSION" -Ddruid.extension=druid-s3-extensions
  if [[ -n "$DRUID_MSQ_EXT_VERSION" ]]; then
    mvn_fetch "Druid extension druid-multi-stage-query $DRUID_MSQ_EXT_VERSION" "$SERVICES_DIR/maven/druid-extension/pom.xml" \
      "$DRUID_DIST/extensions/druid-multi-stage-query" -Ddruid.version="$DRUID_MSQ_EXT_VERSION" \
      -Ddruid.extension=druid-multi-stage-query
  fi
  # Like Druid's pull-deps: an extension folder keeps only what lib/ lacks.
  for ext in "$DRUID_DIST"/extensions/*/; do
    for jar in "$ext"*.jar; do
      [[ -e "$DRUID_DIST/lib/$(basename "$jar")" ]] && rm -f "$jar"
    done
  done
  touch "$DRUID_DIST/.complete"
fi

# ---------------------------------------------------------------- configuration (regenerated every time)
JAVA17_FLAGS=(
  --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED --add-exports=java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=jdk.management/com.sun.management.internal=ALL-UNNAMED
)
COMMON_FLAGS=(-server -XX:+ExitOnOutOfMemoryError -XX:+UseSerialGC -Duser.timezone=UTC -Dfile.encoding=UTF-8
  "-Djava.io.tmpdir=$VAR_DIR/tmp" -Daws.region="$S3_REGION"
  -Djava.util.logging.manager=org.apache.logging.log4j.jul.LogManager)

json_array() { # prints its arguments as a JSON array of strings
  local out="[" sep=""
  for a in "$@"; do
    out+="$sep\"${a//\"/\\\"}\""
    sep=","
  done
  echo "$out]"
}

write_conf() {
  mkdir -p "$CONF_DIR"/{_common,zk,coordinator,broker,historical,middleManager,router}
  cat >"$CONF_DIR/s3proxy.conf" <<EOF
s3proxy.endpoint=http://$S3_HOST:$S3_PORT
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=$S3_ACCESS_KEY_ID
s3proxy.credential=$S3_SECRET_ACCESS_KEY
jclouds.provider=filesystem-nio2
jclouds.identity=local
jclouds.credential=local
jclouds.filesystem.basedir=$VAR_DIR/s3
EOF
  cat >"$CONF_DIR/zk/zoo.cfg" <<EOF
tickTime=2000
dataDir=$VAR_DIR/zk
clientPort=$ZK_PORT
clientPortAddress=127.0.0.1
maxClientCnxns=0
admin.enableServer=false
4lw.commands.whitelist=ruok,srvr,stat
autopurge.snapRetainCount=3
autopurge.purgeInterval=1
EOF
  cp "$SERVICES_DIR/conf/log4j2.xml" "$CONF_DIR/_common/log4j2.xml"
  cp "$SERVICES_DIR/conf/log4j2.xml" "$CONF_DIR/zk/log4j2.xml"
  cat >"$CONF_DIR/_common/common.runtime.properties" <<EOF
druid.extensions.directory=$DRUID_DIST/extensions
druid.extensions.loadList=$(json_array $(ls "$DRUID_DIST/extensions"))
druid.host=127.0.0.1
druid.bindOnHost=true
druid.startup.logging.logProperties=false
druid.zk.service.host=127.0.0.1:$ZK_PORT
druid.zk.paths.base=/druid
druid.metadata.storage.type=derby
druid.metadata.storage.connector.connectURI=jdbc:derby://127.0.0.1:$DERBY_PORT/$VAR_DIR/druid/metadata.db;create=true
druid.metadata.storage.connector.host=127.0.0.1
druid.metadata.storage.connector.port=$DERBY_PORT
druid.storage.type=local
druid.storage.storageDirectory=$VAR_DIR/druid/segments
druid.indexer.logs.type=file
druid.indexer.logs.directory=$VAR_DIR/druid/indexing-logs
druid.selectors.indexing.serviceName=druid/overlord
druid.selectors.coordinator.serviceName=druid/coordinator
druid.monitoring.monitors=[]
druid.emitter=noop
druid.indexing.doubleStorage=double
druid.sql.enable=true
druid.lookup.enableLookupSyncOnStartup=false
druid.global.http.eagerInitialization=false
druid.server.hiddenProperties=["druid.s3.accessKey","druid.s3.secretKey","druid.metadata.storage.connector.password"]
# S3 (S3Proxy): input source for ingestion; deep storage stays local
druid.s3.accessKey=$S3_ACCESS_KEY_ID
druid.s3.secretKey=$S3_SECRET_ACCESS_KEY
druid.s3.endpoint.url=http://$S3_HOST:$S3_PORT
druid.s3.endpoint.signingRegion=$S3_REGION
druid.s3.enablePathStyleAccess=true
druid.s3.protocol=http
EOF
  cat >"$CONF_DIR/coordinator/runtime.properties" <<EOF
druid.service=druid/coordinator
druid.plaintextPort=$COORDINATOR_PORT
druid.coordinator.startDelay=PT5S
druid.coordinator.period=PT5S
druid.coordinator.period.indexingPeriod=PT60S
druid.manager.segments.pollDuration=PT5S
druid.coordinator.asOverlord.enabled=true
druid.coordinator.asOverlord.overlordService=druid/overlord
druid.indexer.queue.startDelay=PT1S
druid.indexer.storage.type=metadata
druid.indexer.runner.type=remote
druid.server.http.numThreads=12
EOF
  cat >"$CONF_DIR/broker/runtime.properties" <<EOF
druid.service=druid/broker
druid.plaintextPort=$BROKER_PORT
druid.server.http.numThreads=12
druid.broker.http.numConnections=10
druid.broker.http.maxQueuedBytes=10MiB
druid.processing.buffer.sizeBytes=50MiB
druid.processing.numMergeBuffers=2
druid.processing.numThreads=1
druid.processing.tmpDir=$VAR_DIR/druid/processing
druid.broker.cache.useCache=false
druid.broker.cache.populateCache=false
druid.sql.planner.metadataRefreshPeriod=PT5S
EOF
  cat >"$CONF_DIR/historical/runtime.properties" <<EOF
druid.service=druid/historical
druid.plaintextPort=$HISTORICAL_PORT
druid.server.http.numThreads=12
druid.processing.buffer.sizeBytes=50MiB
druid.processing.numMergeBuffers=1
druid.processing.numThreads=1
druid.processing.tmpDir=$VAR_DIR/druid/processing
druid.segmentCache.locations=[{"path":"$VAR_DIR/druid/segment-cache","maxSize":"4GiB"}]
druid.historical.cache.useCache=false
druid.historical.cache.populateCache=false
druid.segmentCache.numLoadingThreads=2
EOF
  local peon_opts
  peon_opts="$(json_array -server -Xms512m -Xmx512m -XX:MaxDirectMemorySize=300m "${COMMON_FLAGS[@]:1}" \
    "${JAVA17_FLAGS[@]}" -Dtributary.service=peon "-Dtributary.run=$RUN_DIR")"
  cat >"$CONF_DIR/middleManager/runtime.properties" <<EOF
druid.service=druid/middleManager
druid.plaintextPort=$MIDDLEMANAGER_PORT
druid.worker.capacity=2
druid.worker.ip=127.0.0.1
druid.indexer.runner.javaCommand=$JAVA
druid.indexer.runner.javaOptsArray=$peon_opts
druid.indexer.runner.startPort=8100
druid.indexer.runner.endPort=8110
druid.indexer.task.baseTaskDir=$VAR_DIR/druid/task
druid.indexer.task.restoreTasksOnRestart=false
druid.server.http.numThreads=6
druid.indexer.fork.property.druid.processing.buffer.sizeBytes=50MiB
druid.indexer.fork.property.druid.processing.numMergeBuffers=2
druid.indexer.fork.property.druid.processing.numThreads=1
druid.indexer.fork.property.druid.server.http.numThreads=6
EOF
  cat >"$CONF_DIR/router/runtime.properties" <<EOF
druid.service=druid/router
druid.plaintextPort=$ROUTER_PORT
druid.router.defaultBrokerServiceName=druid/broker
druid.router.coordinatorServiceName=druid/coordinator
druid.router.managementProxy.enabled=true
druid.router.http.numConnections=10
druid.router.http.readTimeout=PT5M
druid.router.http.numMaxThreads=20
druid.server.http.numThreads=20
EOF
}

# ---------------------------------------------------------------- start / health
# start_service NAME HEALTH_FN JAVA_ARGS...: starts NAME detached (own session, survives this script).
start_service() {
  local name="$1"
  shift
  local pid
  pid="$(service_pid "$name")"
  if [[ -n "$pid" ]]; then
    say "$name already running (pid $pid)"
    return 0
  fi
  if port_open "$(service_port "$name")"; then
    die "port $(service_port "$name") (for $name) is taken by a process that up.sh did not start; stop it or run down.sh"
  fi
  say "starting $name (log: $LOG_DIR/$name.log)"
  (
    cd "$VAR_DIR"
    exec setsid nohup "$JAVA" "-Dtributary.service=$name" "-Dtributary.run=$RUN_DIR" "$@" \
      >>"$LOG_DIR/$name.log" 2>&1 </dev/null
  ) &
  echo $! >"$(pid_file "$name")"
}

druid_args() { # druid_args SERVICE HEAP [DIRECT]
  local svc="$1" heap="$2" direct="${3:-}"
  local a=("-Xms$heap" "-Xmx$heap")
  [[ -n "$direct" ]] && a+=("-XX:MaxDirectMemorySize=$direct")
  a+=("${COMMON_FLAGS[@]}" "${JAVA17_FLAGS[@]}" -cp "$CONF_DIR/$svc:$CONF_DIR/_common:$DRUID_DIST/lib/*"
    org.apache.druid.cli.Main server "$svc")
  printf '%s\n' "${a[@]}"
}

fail_with_log() {
  local name="$1" why="$2"
  say "ERROR: $name: $why. Last lines of $LOG_DIR/$name.log:" >&2
  tail -n 60 "$LOG_DIR/$name.log" >&2 || true
  say "services left as they are; run scripts/services/down.sh to stop them" >&2
  exit 1
}

healthy() { # healthy NAME: one check, no waiting
  local name="$1" port
  port="$(service_port "$name")"
  case "$name" in
    s3proxy) [[ "$(curl -s -o /dev/null -w '%{http_code}' -m 3 "http://$S3_HOST:$port/" || true)" =~ ^(200|403)$ ]] ;;
    zookeeper) [[ "$( (exec 3<>"/dev/tcp/127.0.0.1/$port" && printf ruok >&3 && timeout 3 cat <&3) 2>/dev/null || true)" == imok ]] ;;
    *) [[ "$(curl -s -m 3 "http://127.0.0.1:$port/status/health" || true)" == true ]] ;;
  esac
}

wait_healthy() {
  local name="$1" deadline=$((SECONDS + START_TIMEOUT)) t=$SECONDS next=$((SECONDS + 15))
  until healthy "$name"; do
    [[ -n "$(service_pid "$name")" ]] || fail_with_log "$name" "the process exited"
    ((SECONDS < deadline)) || fail_with_log "$name" "not healthy after ${START_TIMEOUT}s"
    if ((SECONDS >= next)); then
      say "  ... waiting for $name ($((SECONDS - t))s)"
      next=$((SECONDS + 15))
    fi
    sleep 1
  done
  say "$name healthy"
}

sql() { # sql QUERY: POST to the router's SQL endpoint, prints the body, fails on non-200
  curl -sf -m 30 -H 'Content-Type: application/json' \
    -d "{\"query\":\"$1\",\"resultFormat\":\"array\"}" "http://127.0.0.1:$ROUTER_PORT/druid/v2/sql"
}

s3_create_bucket() {
  local code
  code="$(curl -s -o "$LOG_DIR/create-bucket.out" -w '%{http_code}' -m 10 -X PUT \
    --aws-sigv4 "aws:amz:$S3_REGION:s3" --user "$S3_ACCESS_KEY_ID:$S3_SECRET_ACCESS_KEY" \
    -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' "http://$S3_HOST:$S3_PORT/$S3_BUCKET" || true)"
  case "$code" in
    200) say "bucket $S3_BUCKET created" ;;
    409) say "bucket $S3_BUCKET exists" ;;
    *)
      cat "$LOG_DIR/create-bucket.out" >&2 || true
      fail_with_log s3proxy "creating bucket $S3_BUCKET answered HTTP $code"
      ;;
  esac
}

write_conf

start_service s3proxy -Xms64m -Xmx256m -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError "-Djava.io.tmpdir=$VAR_DIR/tmp" \
  "-Dlogback.configurationFile=$SERVICES_DIR/conf/s3proxy-logback.xml" \
  -cp "$S3PROXY_DIST/*" org.gaul.s3proxy.Main --properties "$CONF_DIR/s3proxy.conf"
start_service zookeeper -Xms64m -Xmx128m -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError "-Djava.io.tmpdir=$VAR_DIR/tmp" \
  -Dzookeeper.jmx.log4j.disable=true -cp "$CONF_DIR/zk:$DRUID_DIST/lib/*" \
  org.apache.zookeeper.server.quorum.QuorumPeerMain "$CONF_DIR/zk/zoo.cfg"
wait_healthy s3proxy
s3_create_bucket
wait_healthy zookeeper

mapfile -t args < <(druid_args coordinator 384m)
start_service coordinator "${args[@]}"
wait_healthy coordinator # also brings up Derby, which every other service needs
# One historical: the default load rule's 2 replicas can never be met and keep the coordinator busy.
curl -sf -m 10 -o /dev/null -X POST -H 'Content-Type: application/json' \
  -d '[{"type":"loadForever","tieredReplicants":{"_default_tier":1}}]' \
  "http://127.0.0.1:$COORDINATOR_PORT/druid/coordinator/v1/rules/_default" ||
  fail_with_log coordinator "setting the default load rule failed"
mapfile -t args < <(druid_args broker 512m 400m)
start_service broker "${args[@]}"
mapfile -t args < <(druid_args historical 512m 400m)
start_service historical "${args[@]}"
mapfile -t args < <(druid_args middleManager 64m)
start_service middleManager "${args[@]}"
mapfile -t args < <(druid_args router 192m)
start_service router "${args[@]}"
for s in broker historical middleManager router; do wait_healthy "$s"; done

say "waiting for SQL through the router (SELECT 1)"
deadline=$((SECONDS + START_TIMEOUT))
until out="$(sql 'SELECT 1' 2>/dev/null)" && [[ "$out" == *'[1]'* ]]; do
  ((SECONDS < deadline)) || fail_with_log broker "SELECT 1 through the router did not answer within ${START_TIMEOUT}s"
  sleep 2
done
say "SQL answers: $out"
say "waiting for the middleManager to register with the overlord"
until curl -sf -m 5 "http://127.0.0.1:$ROUTER_PORT/druid/indexer/v1/workers" | grep -q '"capacity":2'; do
  ((SECONDS < deadline)) || fail_with_log middleManager "no worker registered with the overlord within ${START_TIMEOUT}s"
  sleep 2
done

tmp_env="$ENV_FILE.tmp.$$"
cat >"$tmp_env" <<EOF
# Written by scripts/services/up.sh at $(date -u +%Y-%m-%dT%H:%M:%SZ). Do not edit: regenerated on every run.
S3_ENDPOINT=http://$S3_HOST:$S3_PORT
S3_BUCKET=$S3_BUCKET
S3_REGION=$S3_REGION
S3_ACCESS_KEY_ID=$S3_ACCESS_KEY_ID
S3_SECRET_ACCESS_KEY=$S3_SECRET_ACCESS_KEY
S3_FORCE_PATH_STYLE=true
DRUID_URL=http://127.0.0.1:$ROUTER_PORT
DRUID_VERSION=$DRUID_VERSION
DRUID_TASK_SLOTS=2
DRUID_S3_ENDPOINT=http://$S3_HOST:$S3_PORT
DRUID_COORDINATOR_URL=http://127.0.0.1:$COORDINATOR_PORT
DRUID_OVERLORD_URL=http://127.0.0.1:$COORDINATOR_PORT
DRUID_BROKER_URL=http://127.0.0.1:$BROKER_PORT
TRIBUTARY_SERVICES_LOG_DIR=$LOG_DIR
TRIBUTARY_SERVICES_TASK_LOG_DIR=$VAR_DIR/druid/indexing-logs
EOF
mv "$tmp_env" "$ENV_FILE"
say "all services up in $((SECONDS - T0))s; settings in $ENV_FILE"
