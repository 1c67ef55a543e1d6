# Shared by the AWS CLI scenarios (sourced, not run): the local credentials, a scratch folder,
# and helpers around `aws glacier`. The sourcing script sets `scenario`, `endpoint`, `aws_cli`
# and `python` first.

export AWS_ACCESS_KEY_ID=AKIDCOLDVAULTLOCAL01
export AWS_SECRET_ACCESS_KEY=coldvault-local-secret-access-key
export AWS_DEFAULT_REGION=us-east-1

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
step="setup"

fail() {
  echo "FAIL $scenario: $step: $*" >&2
  exit 1
}
pass() { echo "PASS $scenario: $step"; }

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
