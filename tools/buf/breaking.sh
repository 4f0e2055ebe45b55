#!/usr/bin/env bash
# `buf breaking` (FILE rules, proto/buf.yaml) of the contracts against the previous main.
#
# Which commit is "the previous main": CAIRN_BREAKING_AGAINST when set (any git revision);
# else, on a branch other than main, the merge-base with main (what the branch would change);
# else HEAD~1 — in CI's fresh clone of main, HEAD is the merge being checked and its first
# parent is main as it was before. A commit that has no contracts yet, or a shallow clone that
# lacks the commit, is reported and skipped rather than failed.
#
# buf cannot read a git ref's imports (google/api, buf/validate are not in git, see
# proto/buf.yaml), so the old sources are exported with `git archive` next to this build's
# proto/target/proto-deps and built into an image; the current sources, built the same way, are
# checked against it (image to image: the workspace's second module, the imports, stays out).
# Needs the buf CLI that tools/buf/run.sh installs.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "${here}/../.." && pwd)"
buf="${here}/node_modules/.bin/buf"
cd "${repo}"

if [[ -n "${CAIRN_BREAKING_AGAINST:-}" ]]; then
  ref="${CAIRN_BREAKING_AGAINST}"
elif [[ "$(git rev-parse --abbrev-ref HEAD)" != main ]] && git rev-parse -q --verify main^{commit} > /dev/null; then
  ref="$(git merge-base HEAD main)"
else
  ref="HEAD~1"
fi
if ! commit="$(git rev-parse -q --verify "${ref}^{commit}")"; then
  echo "buf breaking: skipped (${ref} is not in this clone; a shallow clone has no previous main)"
  exit 0
fi
if ! git cat-file -e "${commit}:proto/src/main/proto/cairn" 2> /dev/null; then
  echo "buf breaking: skipped (${ref} has no contracts)"
  exit 0
fi

tmp="$(mktemp -d)"
trap 'rm -rf "${tmp}"' EXIT
git archive "${commit}" proto/src/main/proto | tar -x -C "${tmp}"
mkdir -p "${tmp}/proto/target"
cp -R proto/target/proto-deps "${tmp}/proto/target/proto-deps"
cp proto/buf.yaml "${tmp}/proto/buf.yaml"
(cd "${tmp}/proto" && "${buf}" build --path src/main/proto/cairn -o "${tmp}/against.binpb")

cd proto
"${buf}" build --path src/main/proto/cairn -o "${tmp}/current.binpb"
"${buf}" breaking "${tmp}/current.binpb" --against "${tmp}/against.binpb" --config buf.yaml
echo "buf breaking: no breaking change against ${ref} ($(git rev-parse --short "${commit}"))"
