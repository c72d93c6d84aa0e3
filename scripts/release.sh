#!/usr/bin/env bash
# Release every module of the repository together under one version, as
# multi-module Go repositories do: the root module is tagged vX.Y.Z and each
# nested module (a directory with its own go.mod: hooks/sentry, driver, ...)
# <path>/vX.Y.Z.
#
#   bash scripts/release.sh v0.3.0            dry run (the default): run the
#                                             checks, print the go.mod edits
#                                             and the tags a release needs
#   bash scripts/release.sh -prepare v0.3.0   make the nested modules require
#                                             the repository's modules at
#                                             v0.3.0 (go mod edit); review and
#                                             commit, then -tag
#   bash scripts/release.sh -tag v0.3.0       run the checks and create the
#                                             annotated tags locally; it prints
#                                             the git push command
#
# The checks: the version is vX.Y.Z (or vX.Y.Z-pre); the tree is clean (no
# change, no untracked file); no tag of the release exists; in every module,
# gofmt -l prints nothing, go vet ./... and go test -count=1 ./... pass
# (-skip-tests skips vet and test, for a quick look); and, for -tag, every
# nested module requires the repository's modules at the version being
# released (their replace lines point at the checkout and are ignored by
# users, so the require line is what a user's build resolves).
set -euo pipefail

usage() {
  echo "usage: bash scripts/release.sh [-prepare | -tag] [-skip-tests] vX.Y.Z" >&2
  exit 2
}

mode=dry-run
skip_tests=false
version=
for a in "$@"; do
  case "$a" in
    -prepare | --prepare) mode=prepare ;;
    -tag | --tag) mode=tag ;;
    -skip-tests | --skip-tests) skip_tests=true ;;
    -h | --help) usage ;;
    -*) echo "release: unknown option $a" >&2; usage ;;
    *) [ -z "$version" ] || usage; version=$a ;;
  esac
done
[ -n "$version" ] || usage

fail() { echo "release: $*" >&2; exit 1; }
say() { echo "release: $*"; }

if ! [[ "$version" =~ ^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$ ]]; then
  fail "version $version is not a semantic version vMAJOR.MINOR.PATCH (such as v0.3.0)"
fi

ROOT=$(git rev-parse --show-toplevel 2>/dev/null) || fail "not in a git repository"
cd "$ROOT"

if [ -n "$(git status --porcelain)" ]; then
  git status --short >&2
  fail "the tree is not clean: commit or remove the changes above first"
fi

mapfile -t modules < <(git ls-files -- 'go.mod' '**/go.mod' | xargs -n1 dirname | sort)
[ "${#modules[@]}" -gt 0 ] || fail "no go.mod in the repository"
[ "${modules[0]}" = "." ] || fail "no go.mod at the repository's root"

# The module paths, and each module's tag.
declare -A path_of tag_of
for m in "${modules[@]}"; do
  path_of[$m]=$(cd "$m" && GOWORK=off GOFLAGS=-mod=mod go list -m)
  if [ "$m" = "." ]; then tag_of[$m]=$version; else tag_of[$m]=$m/$version; fi
done

for m in "${modules[@]}"; do
  if git rev-parse -q --verify "refs/tags/${tag_of[$m]}" >/dev/null; then
    fail "tag ${tag_of[$m]} exists already: choose another version"
  fi
done

# Requirements of the repository's own modules that are not at the version.
edits=()
for m in "${modules[@]}"; do
  [ "$m" = "." ] && continue
  while read -r dep ver; do
    for other in "${modules[@]}"; do
      if [ "${path_of[$other]}" = "$dep" ] && [ "$ver" != "$version" ]; then
        edits+=("$m $dep")
      fi
    done
  done < <(cd "$m" && GOWORK=off go mod edit -json | awk '
    /"Require"/ { inreq = 1 } /^\t\]/ { inreq = 0 }
    inreq && /"Path"/ { gsub(/[",]/, "", $2); p = $2 }
    inreq && /"Version"/ { gsub(/[",]/, "", $2); print p, $2 }')
done

if [ "$mode" = prepare ]; then
  for e in "${edits[@]}"; do
    read -r m dep <<<"$e"
    (cd "$m" && GOWORK=off go mod edit -require="$dep@$version")
    say "$m/go.mod: require $dep $version"
  done
  say "review and commit the go.mod changes, then: bash scripts/release.sh -tag $version"
  exit 0
fi

for m in "${modules[@]}"; do
  unformatted=$(cd "$m" && gofmt -l . | grep -v '^\.cache/' || true)
  [ -z "$unformatted" ] || fail "module $m: not gofmt-ed: $unformatted"
  if ! $skip_tests; then
    say "module $m: go vet, go test"
    (cd "$m" && GOWORK=off go vet ./...) || fail "module $m: go vet failed"
    (cd "$m" && GOWORK=off go test -count=1 ./... >/dev/null) || fail "module $m: go test failed (run it in $m to see why)"
  fi
done

if [ "${#edits[@]}" -gt 0 ]; then
  for e in "${edits[@]}"; do
    read -r m dep <<<"$e"
    say "needs: $m/go.mod to require $dep $version"
  done
  if [ "$mode" = tag ]; then
    fail "nested modules do not require the release: run bash scripts/release.sh -prepare $version, commit, then -tag"
  fi
fi

commit=$(git rev-parse HEAD)
for m in "${modules[@]}"; do
  if [ "$mode" = tag ]; then
    git tag -a "${tag_of[$m]}" -m "${path_of[$m]} $version" "$commit"
    say "tagged ${tag_of[$m]} (${path_of[$m]})"
  else
    say "would tag ${tag_of[$m]} (${path_of[$m]}) at $commit"
  fi
done
if [ "$mode" = tag ]; then
  tags=()
  for m in "${modules[@]}"; do tags+=("${tag_of[$m]}"); done
  say "publish with: git push origin ${tags[*]}"
else
  say "dry run: nothing changed; -prepare edits the go.mod files, -tag creates the tags"
fi
