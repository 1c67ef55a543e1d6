#!/usr/bin/env bash
# `npm run scenarios`: starts a local coldvault on a fresh data directory and drives it
# with the AWS CLI and boto3. Env: AWS_CLI (default /usr/bin/aws), PYTHON (default /usr/bin/python3).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
here="test/scenarios"
export AWS_CLI="${AWS_CLI:-/usr/bin/aws}"
export PYTHON="${PYTHON:-/usr/bin/python3}"

work="$(mktemp -d)"
data_dir="$(mktemp -d)"
log="$work/server.log"
server_pid=""
failed=0

show_log() {
  echo "---- server log ----"
  cat "$log" 2>/dev/null || true
  echo "---- end of server log ----"
}

cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    # The server runs in its own process group (setsid), so npx, tsx and node all stop.
    kill -TERM -- "-$server_pid" 2>/dev/null || true
    for _ in $(seq 50); do
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL -- "-$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work" "$data_dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for tool in "$AWS_CLI" "$PYTHON"; do
  [ -x "$tool" ] || { echo "scenarios: $tool not found (set AWS_CLI / PYTHON)" >&2; exit 1; }
done
# Keep the user's AWS configuration and Python user site out of the scenarios.
export AWS_CONFIG_FILE="$work/aws-config" AWS_SHARED_CREDENTIALS_FILE="$work/aws-credentials"
export AWS_PAGER="" AWS_EC2_METADATA_DISABLED=true PYTHONNOUSERSITE=1 PYTHONDONTWRITEBYTECODE=1
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL AWS_CA_BUNDLE

echo "scenarios: starting the local server"
# Jobs complete after 1 s, except Bulk ones: they stay in progress for the scenarios' checks.
env -u COLDVAULT_ACCESS_KEY_ID -u COLDVAULT_SECRET_ACCESS_KEY -u COLDVAULT_ACCOUNT_ID -u COLDVAULT_REGION \
  COLDVAULT_DATA_DIR="$data_dir" COLDVAULT_HOST=127.0.0.1 PORT=0 COLDVAULT_INVENTORY_INTERVAL_SECONDS=2 \
  COLDVAULT_JOB_DELAY_SECONDS=1 COLDVAULT_JOB_DELAY_BULK_SECONDS=600 \
  setsid npx tsx lambda/local/main.ts </dev/null >"$log" 2>&1 &
server_pid=$!

# PORT=0 lets the system pick a free port; the server announces its URL once it listens.
endpoint=""
deadline=$((SECONDS + 60))
until [ -n "$endpoint" ] && node -e 'fetch(process.argv[1]).then(() => process.exit(0), () => process.exit(1))' "$endpoint"; do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "scenarios: the server exited before it answered" >&2
    show_log
    exit 1
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "scenarios: the server did not answer within 60 s" >&2
    show_log
    exit 1
  fi
  sleep 0.5
  endpoint="$(sed -n 's/.*serving the Glacier API at \(http:[^ ]*\).*/\1/p' "$log" | head -n 1)"
done
echo "scenarios: server at $endpoint"
# The local server delivers SNS notifications as lines of this file.
export SCENARIO_NOTIFICATIONS_FILE="$data_dir/notifications.jsonl"

passed=0
run_scenario() {
  local name="$1"
  shift
  echo "== scenario: $name"
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "== scenario $name FAILED" >&2
  fi
}
run_scenario "aws cli" bash "$here/cli.sh" "$endpoint"
run_scenario "aws cli at Glacier's sizes" bash "$here/cli-large.sh" "$endpoint"
run_scenario "boto3" "$PYTHON" "$here/boto3_scenario.py" "$endpoint"

[ "$failed" -eq 0 ] || show_log
echo "scenarios: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
