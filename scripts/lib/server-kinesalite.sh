# kinesalite: a local Kinesis server (npm kinesalite), in memory, for the
# Kinesis end-to-end tests. Exports BATCHKIT_KINESIS_ENDPOINT.
start_kinesalite() {
  local dir port
  command -v node >/dev/null || { server_failed kinesalite "node is not installed"; return; }
  npm_install kinesalite kinesalite@3.3.3 || { server_failed kinesalite "npm install failed (see $LOGS/npm-kinesalite.log)"; return; }
  dir=$NPM_DIR
  port=$(free_port)
  # No path: kinesalite keeps its data in memory (memdown), so the native
  # leveldown module, whose install script npm may skip, is not needed.
  (cd "$dir" && exec node -e "require('kinesalite')({createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 100}).listen($port, '127.0.0.1')") >"$LOGS/kinesalite.log" 2>&1 &
  track_pid $!
  if ! wait_http "http://127.0.0.1:$port/" 60; then
    server_failed kinesalite "no answer on 127.0.0.1:$port (see $LOGS/kinesalite.log)"; return
  fi
  export BATCHKIT_KINESIS_ENDPOINT="http://127.0.0.1:$port"
  log "kinesalite listening on $BATCHKIT_KINESIS_ENDPOINT"
}
