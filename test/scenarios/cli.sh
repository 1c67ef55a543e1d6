#!/usr/bin/env bash
# The AWS CLI against a running coldvault: vault and archive lifecycle.
# Usage: cli.sh ENDPOINT_URL   (env: AWS_CLI, PYTHON; credentials are the local defaults)
set -euo pipefail

endpoint="${1:?usage: cli.sh ENDPOINT_URL}"
aws_cli="${AWS_CLI:-/usr/bin/aws}"
python="${PYTHON:-/usr/bin/python3}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

export AWS_ACCESS_KEY_ID=AKIDCOLDVAULTLOCAL01
export AWS_SECRET_ACCESS_KEY=coldvault-local-secret-access-key
export AWS_DEFAULT_REGION=us-east-1

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
vault="cli-scenario-$(date +%s)-$$"
step="setup"

fail() {
  echo "FAIL cli: $step: $*" >&2
  exit 1
}
pass() { echo "PASS cli: $step"; }

# Runs `aws glacier ...`; stdout to $work/out, stderr to $work/err; returns the CLI's status.
glacier() {
  "$aws_cli" glacier "$@" --account-id - --endpoint-url "$endpoint" --output json >"$work/out" 2>"$work/err"
}
must() {
  glacier "$@" || fail "aws glacier $1 failed: $(cat "$work/err")"
}
# Prints one field of the JSON in $work/out.
field() {
  "$python" -c 'import json, sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], ""))' "$work/out" "$1"
}

step="create-vault"
must create-vault --vault-name "$vault"
pass

step="upload-archive"
head -c $((2 * 1024 * 1024 + 12345)) /dev/urandom >"$work/archive.bin"
must upload-archive --vault-name "$vault" --body "$work/archive.bin" --archive-description "cli scenario archive"
archive_id="$(field archiveId)"
checksum="$(field checksum)"
expected="$("$python" "$here/treehash.py" "$work/archive.bin")"
[ -n "$archive_id" ] || fail "no archiveId in $(cat "$work/out")"
[ "$checksum" = "$expected" ] || fail "checksum $checksum, expected tree hash $expected"
pass

step="describe-vault"
must describe-vault --vault-name "$vault"
[ "$(field VaultName)" = "$vault" ] || fail "VaultName is not $vault: $(cat "$work/out")"
pass

step="list-vaults"
must list-vaults
"$python" -c 'import json, sys; sys.exit(sys.argv[2] not in [v["VaultName"] for v in json.load(open(sys.argv[1]))["VaultList"]])' \
  "$work/out" "$vault" || fail "$vault not in $(cat "$work/out")"
pass

step="delete-vault while not empty"
if glacier delete-vault --vault-name "$vault"; then fail "deleting a vault holding an archive succeeded"; fi
grep -q "Vault not empty or recently written to" "$work/err" || fail "unexpected error: $(cat "$work/err")"
pass

step="delete-archive"
must delete-archive --vault-name "$vault" --archive-id "$archive_id"
pass

step="delete-vault after inventory"
deadline=$((SECONDS + 30))
until glacier delete-vault --vault-name "$vault"; do
  grep -q "Vault not empty or recently written to" "$work/err" || fail "unexpected error: $(cat "$work/err")"
  [ "$SECONDS" -lt "$deadline" ] || fail "vault still not deletable after 30 s: $(cat "$work/err")"
  sleep 1
done
pass

step="describe-vault after delete"
if glacier describe-vault --vault-name "$vault"; then fail "vault still exists: $(cat "$work/out")"; fi
grep -q "ResourceNotFoundException" "$work/err" || fail "unexpected error: $(cat "$work/err")"
pass
