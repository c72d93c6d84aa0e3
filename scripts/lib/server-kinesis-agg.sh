# aws-kinesis-agg: the KPL aggregation library for Node.js (npm
# aws-kinesis-agg), which the kpl package's tests use to make real
# aggregated records. Not a server: it is installed, not started.
# Exports BATCHKIT_KINESIS_AGG (its node_modules directory).
start_kinesis_agg() {
  command -v node >/dev/null || { server_failed aws-kinesis-agg "node is not installed"; return; }
  npm_install kinesis-agg aws-kinesis-agg@4.2.8 || { server_failed aws-kinesis-agg "npm install failed (see $LOGS/npm-kinesis-agg.log)"; return; }
  export BATCHKIT_KINESIS_AGG="$NPM_DIR/node_modules"
  log "aws-kinesis-agg installed in $BATCHKIT_KINESIS_AGG"
}
