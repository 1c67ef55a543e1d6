#!/usr/bin/env bash
# The AWS CLI at Glacier's real sizes against a running coldvault (local defaults: Glacier's
# limits): a 100 MB upload-archive, a multipart upload with 16 MiB parts, and get-job-output
# of the whole 100 MB archive without --range.
# Usage: cli-large.sh ENDPOINT_URL   (env: AWS_CLI, PYTHON)
set -euo pipefail

endpoint="${1:?usage: cli-large.sh ENDPOINT_URL}"
aws_cli="${AWS_CLI:-/usr/bin/aws}"
python="${PYTHON:-/usr/bin/python3}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

scenario=cli-large
# shellcheck source=test/scenarios/cli-lib.sh
source "$here/cli-lib.sh"
vault="cli-large-$(date +%s)-$$"

must create-vault --vault-name "$vault"

step="upload-archive of 100 MB in one request"
size=$((100 * 1000 * 1000))
head -c "$size" /dev/urandom >"$work/big.bin"
expected="$("$python" "$here/treehash.py" "$work/big.bin")"
must upload-archive --vault-name "$vault" --body "$work/big.bin" --archive-description "cli 100 MB archive"
archive_id="$(field archiveId)"
[ -n "$archive_id" ] || fail "no archiveId in $(cat "$work/out")"
[ "$(field checksum)" = "$expected" ] || fail "checksum $(field checksum), expected tree hash $expected"
pass

step="multipart upload with 16 MiB parts"
part_size=$((16 * 1024 * 1024))
mp_size=$((40 * 1024 * 1024 + 4321))
head -c "$mp_size" /dev/urandom >"$work/multipart.bin"
must initiate-multipart-upload --vault-name "$vault" --part-size "$part_size" --archive-description "cli 16 MiB parts"
upload_id="$(field uploadId)"
[ -n "$upload_id" ] || fail "no uploadId in $(cat "$work/out")"
for ((i = 0; i * part_size < mp_size; i++)); do
  start=$((i * part_size))
  end=$((start + part_size - 1))
  [ "$end" -lt "$mp_size" ] || end=$((mp_size - 1))
  dd if="$work/multipart.bin" of="$work/part" bs="$part_size" skip="$i" count=1 status=none
  must upload-multipart-part --vault-name "$vault" --upload-id "$upload_id" --range "bytes $start-$end/*" --body "$work/part"
  [ "$(field checksum)" = "$("$python" "$here/treehash.py" "$work/part")" ] || fail "part $i checksum: $(cat "$work/out")"
done
mp_expected="$("$python" "$here/treehash.py" "$work/multipart.bin")"
must complete-multipart-upload --vault-name "$vault" --upload-id "$upload_id" --checksum "$mp_expected" --archive-size "$mp_size"
[ -n "$(field archiveId)" ] || fail "no archiveId in $(cat "$work/out")"
[ "$(field checksum)" = "$mp_expected" ] || fail "checksum $(field checksum), expected $mp_expected"
pass

step="get-job-output of the whole 100 MB archive without --range"
must initiate-job --vault-name "$vault" --job-parameters "{\"Type\":\"archive-retrieval\",\"ArchiveId\":\"$archive_id\",\"Tier\":\"Expedited\"}"
job_id="$(field jobId)"
[ -n "$job_id" ] || fail "no jobId in $(cat "$work/out")"
for _ in $(seq 120); do
  must describe-job --vault-name "$vault" --job-id "$job_id"
  [ "$(field StatusCode)" = Succeeded ] && break
  sleep 0.5
done
[ "$(field StatusCode)" = Succeeded ] || fail "job not done: $(cat "$work/out")"
must get-job-output --vault-name "$vault" --job-id "$job_id" "$work/download.bin"
cmp -s "$work/big.bin" "$work/download.bin" || fail "the downloaded bytes differ from the uploaded ones"
[ "$(field checksum)" = "$expected" ] || fail "output checksum $(field checksum), expected $expected"
[ "$(field status)" = 200 ] || fail "status $(field status): $(cat "$work/out")"
pass

echo "cli-large: all steps passed"
