# The AWS Lambda Runtime Interface Emulator (aws-lambda-rie), built with
# go install into $CACHE/bin/rie-<version>. Tests start it themselves, one
# per test, with the function's bootstrap (driver.StartEmulator), on loopback
# ports: this only installs it and exports BATCHKIT_RIE, the path of the
# binary.
RIE_VERSION=v0.0.0-20261030222936-bef5c4ba774d
start_rie() {
  local dir="$CACHE/bin/rie-$RIE_VERSION"
  if [ ! -e "$dir" ]; then
    log "go install aws-lambda-rie@$RIE_VERSION (into $dir)"
  fi
  if ! install_atomically "$dir" rie-install go_install_here "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$RIE_VERSION"; then
    server_failed rie "go install failed (see $LOGS/rie-install.log)"; return
  fi
  export BATCHKIT_RIE="$dir/aws-lambda-rie"
  log "aws-lambda-rie at $BATCHKIT_RIE"
}

# go_install_here PKG@VERSION DIR: go install into DIR.
go_install_here() {
  GOBIN=$2 go install "$1"
}
