#!/usr/bin/env bash
# The AWS CLI against a running coldvault: vault and archive lifecycle, multipart uploads,
# retrieval jobs and notifications.
# Usage: cli.sh ENDPOINT_URL   (env: AWS_CLI, PYTHON, SCENARIO_NOTIFICATIONS_FILE: the local
# server's notifications file; credentials are the local defaults)
set -euo pipefail

endpoint="${1:?usage: cli.sh ENDPOINT_URL}"
aws_cli="${AWS_CLI:-/usr/bin/aws}"
python="${PYTHON:-/usr/bin/python3}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
notifications_file="${SCENARIO_NOTIFICATIONS_FILE:?set SCENARIO_NOTIFICATIONS_FILE to the notifications file of the server}"

scenario=cli
# shellcheck source=test/scenarios/cli-lib.sh
source "$here/cli-lib.sh"
vault="cli-scenario-$(date +%s)-$$"

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

step="initiate-multipart-upload"
part_size=2097152
mp_size=$((5 * 1024 * 1024 + 512 * 1024 + 321))
head -c "$mp_size" /dev/urandom >"$work/multipart.bin"
must initiate-multipart-upload --vault-name "$vault" --part-size "$part_size" --archive-description "cli multipart archive"
upload_id="$(field uploadId)"
[ -n "$upload_id" ] || fail "no uploadId in $(cat "$work/out")"
pass

step="upload-multipart-part"
ranges=()
for ((i = 0; i * part_size < mp_size; i++)); do
  start=$((i * part_size))
  end=$((start + part_size - 1))
  [ "$end" -lt "$mp_size" ] || end=$((mp_size - 1))
  dd if="$work/multipart.bin" of="$work/part$i" bs="$part_size" skip="$i" count=1 status=none
  [ "$(stat -c %s "$work/part$i")" -eq $((end - start + 1)) ] || fail "part $i has the wrong length"
  must upload-multipart-part --vault-name "$vault" --upload-id "$upload_id" --range "bytes $start-$end/*" --body "$work/part$i"
  [ "$(field checksum)" = "$("$python" "$here/treehash.py" "$work/part$i")" ] || fail "part $i checksum: $(cat "$work/out")"
  ranges+=("$start-$end")
done
[ "${#ranges[@]}" -eq 3 ] || fail "expected 3 parts, uploaded ${#ranges[@]}"
pass

step="list-parts"
# --no-paginate: the CLI's paginator keeps only the Parts of the response.
must list-parts --vault-name "$vault" --upload-id "$upload_id" --no-paginate
listed="$("$python" -c 'import json, sys; o = json.load(open(sys.argv[1])); print(o["PartSizeInBytes"], *[p["RangeInBytes"] for p in o["Parts"]])' "$work/out")" ||
  fail "unexpected list-parts output: $(cat "$work/out")"
[ "$listed" = "$part_size ${ranges[*]}" ] || fail "list-parts shows '$listed', expected '$part_size ${ranges[*]}'"
pass

# Prints whether upload $2 is in the list-multipart-uploads output in $work/out ("yes"/"no").
upload_listed() {
  "$python" -c 'import json, sys; print("yes" if sys.argv[2] in [u["MultipartUploadId"] for u in json.load(open(sys.argv[1]))["UploadsList"]] else "no")' \
    "$work/out" "$1"
}

step="list-multipart-uploads"
must list-multipart-uploads --vault-name "$vault"
[ "$(upload_listed "$upload_id")" = yes ] || fail "$upload_id not in $(cat "$work/out")"
pass

step="complete-multipart-upload"
expected="$("$python" "$here/treehash.py" "$work/multipart.bin")"
must complete-multipart-upload --vault-name "$vault" --upload-id "$upload_id" --checksum "$expected" --archive-size "$mp_size"
multipart_archive_id="$(field archiveId)"
[ -n "$multipart_archive_id" ] || fail "no archiveId in $(cat "$work/out")"
[ "$(field checksum)" = "$expected" ] || fail "checksum $(field checksum), expected tree hash $expected"
must list-multipart-uploads --vault-name "$vault"
[ "$(upload_listed "$upload_id")" = no ] || fail "completed upload still listed: $(cat "$work/out")"
pass

step="abort-multipart-upload"
must initiate-multipart-upload --vault-name "$vault" --part-size "$part_size"
aborted_id="$(field uploadId)"
must upload-multipart-part --vault-name "$vault" --upload-id "$aborted_id" --range "bytes 0-$((part_size - 1))/*" --body "$work/part0"
must list-multipart-uploads --vault-name "$vault"
[ "$(upload_listed "$aborted_id")" = yes ] || fail "$aborted_id not in $(cat "$work/out")"
must abort-multipart-upload --vault-name "$vault" --upload-id "$aborted_id"
must list-multipart-uploads --vault-name "$vault"
[ "$(upload_listed "$aborted_id")" = no ] || fail "aborted upload still listed: $(cat "$work/out")"
pass

# Prints the Python expression $1 over `o`, the JSON in $work/out (a tuple's items space-separated).
jq_out() {
  "$python" -c '
import json, sys
o = json.load(open(sys.argv[1]))
value = eval(sys.argv[2])
print(*value) if isinstance(value, tuple) else print(value)' "$work/out" "$1"
}

# ---- tags, access policy, vault lock, account settings ----
account=123456789012
vault_arn="arn:aws:glacier:us-east-1:$account:vaults/$vault"
# Prints {"Policy": "<$1 as a JSON string>"}, the body of set-vault-access-policy and initiate-vault-lock.
policy_body() { "$python" -c 'import json, sys; print(json.dumps({"Policy": sys.argv[1]}))' "$1"; }
# A vault lock policy refusing DeleteArchive, for everyone, of archives younger than 365 days.
lock_policy() {
  echo "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"no-early-deletes\",\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"glacier:DeleteArchive\",\"Resource\":\"$1\",\"Condition\":{\"NumericLessThan\":{\"glacier:ArchiveAgeInDays\":\"365\"}}}]}"
}

step="add-tags-to-vault, list-tags-for-vault, remove-tags-from-vault"
must add-tags-to-vault --vault-name "$vault" --tags '{"owner":"cli","purpose":"scenario","empty":""}'
must list-tags-for-vault --vault-name "$vault"
[ "$(jq_out 'sorted(o["Tags"].items())')" = "[('empty', ''), ('owner', 'cli'), ('purpose', 'scenario')]" ] || fail "list-tags-for-vault: $(cat "$work/out")"
must remove-tags-from-vault --vault-name "$vault" --tag-keys purpose empty
must list-tags-for-vault --vault-name "$vault"
[ "$(jq_out 'o["Tags"]')" = "{'owner': 'cli'}" ] || fail "list-tags-for-vault after remove: $(cat "$work/out")"
pass

step="set-vault-access-policy, get-vault-access-policy, delete-vault-access-policy"
access_policy="{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::210987654321:root\"},\"Action\":\"glacier:DescribeVault\",\"Resource\":\"$vault_arn\"}]}"
must set-vault-access-policy --vault-name "$vault" --policy "$(policy_body "$access_policy")"
must get-vault-access-policy --vault-name "$vault"
[ "$(jq_out 'o["policy"]["Policy"]')" = "$access_policy" ] || fail "get-vault-access-policy: $(cat "$work/out")"
must delete-vault-access-policy --vault-name "$vault"
if glacier get-vault-access-policy --vault-name "$vault"; then fail "the access policy is still set: $(cat "$work/out")"; fi
grep -q "ResourceNotFoundException" "$work/err" || fail "unexpected error: $(cat "$work/err")"
pass

step="initiate-vault-lock, get-vault-lock, abort-vault-lock"
must initiate-vault-lock --vault-name "$vault" --policy "$(policy_body "$(lock_policy "$vault_arn")")"
[ -n "$(field lockId)" ] || fail "no lockId in $(cat "$work/out")"
must get-vault-lock --vault-name "$vault"
[ "$(field State)" = InProgress ] || fail "get-vault-lock: $(cat "$work/out")"
[ "$(field Policy)" = "$(lock_policy "$vault_arn")" ] || fail "get-vault-lock policy: $(cat "$work/out")"
must abort-vault-lock --vault-name "$vault"
if glacier get-vault-lock --vault-name "$vault"; then fail "the lock is still there: $(cat "$work/out")"; fi
grep -q "ResourceNotFoundException" "$work/err" || fail "unexpected error: $(cat "$work/err")"
pass

step="complete-vault-lock: a locked vault refuses deleting a young archive"
# A locked vault can't be deleted while it holds the archive: it stays behind on the local server.
locked_vault="$vault-locked"
locked_arn="arn:aws:glacier:us-east-1:$account:vaults/$locked_vault"
must create-vault --vault-name "$locked_vault"
must upload-archive --vault-name "$locked_vault" --body "$work/archive.bin"
locked_archive="$(field archiveId)"
must initiate-vault-lock --vault-name "$locked_vault" --policy "$(policy_body "$(lock_policy "$locked_arn")")"
lock_id="$(field lockId)"
must complete-vault-lock --vault-name "$locked_vault" --lock-id "$lock_id"
must get-vault-lock --vault-name "$locked_vault"
[ "$(field State)" = Locked ] || fail "get-vault-lock: $(cat "$work/out")"
if glacier delete-archive --vault-name "$locked_vault" --archive-id "$locked_archive"; then fail "the root key deleted an archive of a locked vault"; fi
grep -q "AccessDeniedException" "$work/err" || fail "unexpected error: $(cat "$work/err")"
pass

step="set-data-retrieval-policy, get-data-retrieval-policy"
must set-data-retrieval-policy --policy '{"Rules":[{"Strategy":"None"}]}'
must get-data-retrieval-policy
[ "$(jq_out 'o["Policy"]["Rules"]')" = "[{'Strategy': 'None'}]" ] || fail "get-data-retrieval-policy: $(cat "$work/out")"
pass

step="purchase-provisioned-capacity, list-provisioned-capacity"
must purchase-provisioned-capacity
capacity_id="$(field capacityId)"
[ -n "$capacity_id" ] || fail "no capacityId in $(cat "$work/out")"
must list-provisioned-capacity
"$python" -c 'import json, sys; sys.exit(sys.argv[2] not in [u["CapacityId"] for u in json.load(open(sys.argv[1]))["ProvisionedCapacityList"]])' \
  "$work/out" "$capacity_id" || fail "$capacity_id not in $(cat "$work/out")"
pass

# ---- retrieval jobs and notifications ----
vault_topic="arn:aws:sns:us-east-1:$account:cli-scenario-vault-topic"
job_topic="arn:aws:sns:us-east-1:$account:cli-scenario-job-topic"

# Polls describe-job for job $1 until it is completed (at most 30 s); leaves the description in $work/out.
wait_job() {
  local deadline=$((SECONDS + 30))
  while must describe-job --vault-name "$vault" --job-id "$1" && [ "$(field Completed)" != True ]; do
    [ "$SECONDS" -lt "$deadline" ] || fail "job $1 not completed after 30 s: $(cat "$work/out")"
    sleep 1
  done
  [ "$(field StatusCode)" = Succeeded ] || fail "job $1 did not succeed: $(cat "$work/out")"
}
# Waits (at most 10 s) for a delivery to topic $1 about job $2 in the local notifications file.
wait_notification() {
  local deadline=$((SECONDS + 10))
  until "$python" -c '
import json, os, sys
path, topic, job = sys.argv[1:]
lines = [line for line in open(path) if line.endswith("\n")] if os.path.exists(path) else []
sys.exit(not any(d["topicArn"] == topic and json.loads(d["message"])["JobId"] == job
                 and json.loads(d["message"])["StatusCode"] == "Succeeded" for d in map(json.loads, lines)))' \
    "$notifications_file" "$1" "$2"; do
    [ "$SECONDS" -lt "$deadline" ] || fail "no notification to $1 for job $2 in $notifications_file"
    sleep 0.5
  done
}

step="set-vault-notifications"
must set-vault-notifications --vault-name "$vault" \
  --vault-notification-config "{\"SNSTopic\":\"$vault_topic\",\"Events\":[\"ArchiveRetrievalCompleted\"]}"
must get-vault-notifications --vault-name "$vault"
got="$(jq_out 'o["vaultNotificationConfig"]["SNSTopic"], o["vaultNotificationConfig"]["Events"]')"
[ "$got" = "$vault_topic ['ArchiveRetrievalCompleted']" ] || fail "get-vault-notifications: $(cat "$work/out")"
pass

step="initiate-job archive-retrieval"
must initiate-job --vault-name "$vault" --job-parameters \
  "{\"Type\":\"archive-retrieval\",\"ArchiveId\":\"$archive_id\",\"Tier\":\"Expedited\",\"SNSTopic\":\"$job_topic\",\"Description\":\"cli single\"}"
single_job="$(field jobId)"
[ -n "$single_job" ] || fail "no jobId in $(cat "$work/out")"
[ "$(field location)" = "/$account/vaults/$vault/jobs/$single_job" ] || fail "location: $(cat "$work/out")"
must initiate-job --vault-name "$vault" --job-parameters "{\"Type\":\"archive-retrieval\",\"ArchiveId\":\"$multipart_archive_id\"}"
multipart_job="$(field jobId)"
# Bulk jobs are held back (run.sh gives them a long delay): this one stays in progress.
must initiate-job --vault-name "$vault" --job-parameters "{\"Type\":\"archive-retrieval\",\"ArchiveId\":\"$archive_id\",\"Tier\":\"Bulk\"}"
bulk_job="$(field jobId)"
[ -n "$multipart_job" ] && [ -n "$bulk_job" ] || fail "no jobId in $(cat "$work/out")"
pass

step="describe-job until completed"
wait_job "$single_job"
got="$(jq_out 'o["Action"], o["ArchiveId"], o["ArchiveSizeInBytes"], o["SHA256TreeHash"], o["Tier"], o["SNSTopic"], o["JobDescription"]')"
want="ArchiveRetrieval $archive_id $(stat -c %s "$work/archive.bin") $checksum Expedited $job_topic cli single"
[ "$got" = "$want" ] || fail "describe-job shows '$got', expected '$want'"
wait_job "$multipart_job"
mp_checksum="$("$python" "$here/treehash.py" "$work/multipart.bin")"
got="$(jq_out 'o["ArchiveId"], o["RetrievalByteRange"], o["SHA256TreeHash"], o["Tier"]')"
want="$multipart_archive_id 0-$((mp_size - 1)) $mp_checksum Standard"
[ "$got" = "$want" ] || fail "describe-job shows '$got', expected '$want'"
must describe-job --vault-name "$vault" --job-id "$bulk_job"
[ "$(field StatusCode) $(field Completed)" = "InProgress False" ] || fail "the bulk job is not in progress: $(cat "$work/out")"
pass

# Prints the job IDs listed in $work/out, sorted, on one line.
listed_jobs() { jq_out '" ".join(sorted(j["JobId"] for j in o["JobList"]))'; }
sorted_ids() { printf '%s\n' "$@" | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//'; }

step="list-jobs"
must list-jobs --vault-name "$vault"
[ "$(listed_jobs)" = "$(sorted_ids "$single_job" "$multipart_job" "$bulk_job")" ] || fail "list-jobs: $(cat "$work/out")"
must list-jobs --vault-name "$vault" --completed true
[ "$(listed_jobs)" = "$(sorted_ids "$single_job" "$multipart_job")" ] || fail "list-jobs --completed true: $(cat "$work/out")"
must list-jobs --vault-name "$vault" --statuscode Succeeded
[ "$(listed_jobs)" = "$(sorted_ids "$single_job" "$multipart_job")" ] || fail "list-jobs --statuscode Succeeded: $(cat "$work/out")"
must list-jobs --vault-name "$vault" --statuscode InProgress
[ "$(listed_jobs)" = "$bulk_job" ] || fail "list-jobs --statuscode InProgress: $(cat "$work/out")"
pass

step="get-job-output"
must get-job-output --vault-name "$vault" --job-id "$single_job" "$work/single.out"
cmp -s "$work/single.out" "$work/archive.bin" || fail "the job output differs from the uploaded archive"
got="$(jq_out 'o["status"], o["checksum"], o["archiveDescription"]')"
[ "$got" = "200 $checksum cli scenario archive" ] || fail "get-job-output: $(cat "$work/out")"
pass

step="get-job-output --range"
must get-job-output --vault-name "$vault" --job-id "$multipart_job" --range bytes=0-1048575 "$work/range.out"
head -c 1048576 "$work/multipart.bin" >"$work/range.expected"
cmp -s "$work/range.out" "$work/range.expected" || fail "the ranged output differs from the archive's first MiB"
got="$(jq_out 'o["status"], o["checksum"], o["contentRange"]')"
want="206 $("$python" "$here/treehash.py" "$work/range.expected") bytes 0-1048575/$mp_size"
[ "$got" = "$want" ] || fail "get-job-output --range shows '$got', expected '$want'"
pass

step="get-job-output of a multipart archive, whole and in ranges"
# Locally Glacier's own limits hold: the whole output comes in one response (the Lambda plane's
# 4,669,440-byte limit is for COLDVAULT_LIMITS=lambda), and in ranges as well.
must get-job-output --vault-name "$vault" --job-id "$multipart_job" "$work/whole.out"
cmp -s "$work/whole.out" "$work/multipart.bin" || fail "the whole output differs from the multipart archive"
cp "$work/range.out" "$work/joined.out"
for range in 1048576-5242879 "5242880-$((mp_size - 1))"; do
  must get-job-output --vault-name "$vault" --job-id "$multipart_job" --range "bytes=$range" "$work/piece.out"
  cat "$work/piece.out" >>"$work/joined.out"
done
cmp -s "$work/joined.out" "$work/multipart.bin" || fail "the output read in ranges differs from the multipart archive"
pass

step="notifications"
wait_notification "$job_topic" "$single_job"
wait_notification "$vault_topic" "$single_job"
wait_notification "$vault_topic" "$multipart_job"
pass

step="delete-vault-notifications"
must delete-vault-notifications --vault-name "$vault"
if glacier get-vault-notifications --vault-name "$vault"; then fail "notifications still set: $(cat "$work/out")"; fi
grep -q "ResourceNotFoundException" "$work/err" || fail "unexpected error: $(cat "$work/err")"
pass

step="initiate-job inventory-retrieval (CSV)"
# The inventory runs every few seconds: wait for one that holds both archives.
deadline=$((SECONDS + 30))
until must describe-vault --vault-name "$vault" && [ "$(field NumberOfArchives)" = 2 ]; do
  [ "$SECONDS" -lt "$deadline" ] || fail "no inventory with 2 archives after 30 s: $(cat "$work/out")"
  sleep 1
done
must initiate-job --vault-name "$vault" --job-parameters "{\"Type\":\"inventory-retrieval\",\"Format\":\"CSV\",\"SNSTopic\":\"$job_topic\"}"
inventory_job="$(field jobId)"
[ -n "$inventory_job" ] || fail "no jobId in $(cat "$work/out")"
wait_job "$inventory_job"
[ "$(jq_out 'o["Action"], o["InventoryRetrievalParameters"]["Format"]')" = "InventoryRetrieval CSV" ] || fail "describe-job: $(cat "$work/out")"
must get-job-output --vault-name "$vault" --job-id "$inventory_job" "$work/inventory.csv"
[ "$(field contentType)" = text/csv ] || fail "get-job-output: $(cat "$work/out")"
got="$("$python" -c '
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
print(" ".join(sorted(r["ArchiveId"] + ":" + r["Size"] + ":" + r["SHA256TreeHash"] for r in rows)))' "$work/inventory.csv")"
want="$(sorted_ids "$archive_id:$(stat -c %s "$work/archive.bin"):$checksum" "$multipart_archive_id:$mp_size:$mp_checksum")"
[ "$got" = "$want" ] || fail "the inventory lists '$got', expected '$want'"
wait_notification "$job_topic" "$inventory_job"
pass

step="delete-vault while not empty"
if glacier delete-vault --vault-name "$vault"; then fail "deleting a vault holding an archive succeeded"; fi
grep -q "Vault not empty or recently written to" "$work/err" || fail "unexpected error: $(cat "$work/err")"
pass

step="delete-archive"
must delete-archive --vault-name "$vault" --archive-id "$archive_id"
must delete-archive --vault-name "$vault" --archive-id "$multipart_archive_id"
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
