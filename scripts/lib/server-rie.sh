# The AWS Lambda Runtime Interface Emulator (aws-lambda-rie), built with
# go install into $CACHE/bin. Tests start it themselves, one per test, with
# the function's bootstrap (driver.StartEmulator), on loopback ports: this
# only installs it and exports BATCHKIT_RIE, the path of the binary.
RIE_VERSION=v0.0.0-20261030222936-bef5c4ba774d
start_rie() {
  local bin="$CACHE/bin/aws-lambda-rie"
  if [ ! -x "$bin" ] || [ "$(cat "$CACHE/bin/.rie-version" 2>/dev/null)" != "$RIE_VERSION" ]; then
    log "go install aws-lambda-rie@$RIE_VERSION"
    if ! GOBIN="$CACHE/bin" go install "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$RIE_VERSION" >"$LOGS/rie-install.log" 2>&1; then
      server_failed rie "go install failed (see $LOGS/rie-install.log)"; return
    fi
    echo "$RIE_VERSION" > "$CACHE/bin/.rie-version"
  fi
  export BATCHKIT_RIE="$bin"
  log "aws-lambda-rie at $BATCHKIT_RIE"
}
