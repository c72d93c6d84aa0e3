# fauxqs: a local SQS server (npm fauxqs), for the SQS end-to-end tests.
# Exports BATCHKIT_SQS_ENDPOINT.
start_fauxqs() {
  local dir port
  command -v node >/dev/null || { server_failed fauxqs "node is not installed"; return; }
  npm_install fauxqs fauxqs@1.9.2 || { server_failed fauxqs "npm install failed (see $LOGS/npm-fauxqs.log)"; return; }
  dir=$NPM_DIR
  port=$(free_port)
  # fauxqs's own command (node_modules/fauxqs/dist/cli.js, FAUXQS_PORT=...)
  # binds every interface; its buildApp lets us listen on loopback only.
  (cd "$dir" && exec node --input-type=module -e "
    import { buildApp } from 'fauxqs';
    const app = buildApp({ logger: false, defaultRegion: 'us-east-1' });
    await app.listen({ port: $port, host: '127.0.0.1' });
    for (const s of ['SIGTERM', 'SIGINT']) process.on(s, () => app.close().then(() => process.exit(0)));
  ") >"$LOGS/fauxqs.log" 2>&1 &
  track_pid $!
  if ! wait_http_ok "http://127.0.0.1:$port/health" 60; then
    server_failed fauxqs "no answer on 127.0.0.1:$port/health (see $LOGS/fauxqs.log)"; return
  fi
  export BATCHKIT_SQS_ENDPOINT="http://127.0.0.1:$port"
  log "fauxqs listening on $BATCHKIT_SQS_ENDPOINT"
}

# wait_http_ok URL SECONDS: wait until URL answers 2xx.
wait_http_ok() {
  local url=$1 secs=$2 i
  for ((i = 0; i < secs * 10; i++)); do
    if curl -sf -o /dev/null "$url" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}
