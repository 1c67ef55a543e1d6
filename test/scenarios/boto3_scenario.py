"""boto3 against a running coldvault: vault and archive lifecycle, multipart uploads, retrieval
jobs and notifications (client and resource API), tags, vault access policies, vault locks,
account settings, and rejected requests; every operation of the service is called.

Usage: SCENARIO_NOTIFICATIONS_FILE=... python3 boto3_scenario.py ENDPOINT_URL
(the notifications file is where the local server delivers SNS notifications)
"""
import csv
import io
import json
import os
import sys
import time

import boto3
from botocore.exceptions import ClientError
from botocore.utils import calculate_tree_hash

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from treehash import tree_hash  # noqa: E402

DEADLINE_SECONDS = 30
MIB = 1024 * 1024
ACCOUNT = '123456789012'
NOTIFICATIONS_FILE = os.environ.get('SCENARIO_NOTIFICATIONS_FILE', '')
step = 'setup'


class ScenarioFailure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise ScenarioFailure(message)


def passed():
    print(f'PASS boto3: {step}', flush=True)


def error_code(call, *args, **kwargs):
    """Calls an operation that must fail; returns (code, message) of the ClientError."""
    try:
        result = call(*args, **kwargs)
    except ClientError as error:
        return error.response['Error']['Code'], error.response['Error'].get('Message', '')
    raise ScenarioFailure(f'{call.__name__} succeeded but should have failed: {result}')


def until(predicate, what):
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
        value = predicate()
        if value:
            return value
        check(time.monotonic() < deadline, f'{what} not reached within {DEADLINE_SECONDS} s')
        time.sleep(1)


def part_ranges(size, part_size):
    """(start, end) byte ranges, end inclusive, of the parts of an archive of `size` bytes."""
    return [(start, min(start + part_size, size) - 1) for start in range(0, size, part_size)]


def upload_ids(glacier, vault):
    return [u['MultipartUploadId'] for u in glacier.list_multipart_uploads(vaultName=vault)['UploadsList']]


def multipart_with_client(glacier, vault):
    """Returns the archive ID and data of a completed multipart upload."""
    global step
    part_size = 2 * MIB
    data = os.urandom(5 * MIB + MIB // 2 + 789)
    ranges = part_ranges(len(data), part_size)

    step = 'initiate_multipart_upload'
    upload_id = glacier.initiate_multipart_upload(vaultName=vault, partSize=str(part_size), archiveDescription='boto3 multipart')['uploadId']
    check(upload_id, 'no uploadId')
    passed()

    step = 'upload_multipart_part'
    for start, end in ranges:
        part = data[start:end + 1]
        # No checksum argument: botocore computes the part's tree hash.
        sent = glacier.upload_multipart_part(vaultName=vault, uploadId=upload_id, range=f'bytes {start}-{end}/*', body=part)
        check(sent['checksum'] == tree_hash(part), f"part {start}-{end}: checksum {sent['checksum']}, expected {tree_hash(part)}")
    passed()

    step = 'upload_multipart_part with a misaligned range'
    start = part_size // 2
    code, message = error_code(glacier.upload_multipart_part, vaultName=vault, uploadId=upload_id,
                               range=f'bytes {start}-{start + MIB - 1}/*', body=data[start:start + MIB])
    check(code == 'InvalidParameterValueException', f'error code {code}: {message}')
    passed()

    step = 'list_parts'
    listed = glacier.list_parts(vaultName=vault, uploadId=upload_id)
    check(listed['PartSizeInBytes'] == part_size, f'PartSizeInBytes: {listed}')
    check(listed['ArchiveDescription'] == 'boto3 multipart', f'ArchiveDescription: {listed}')
    got = [(p['RangeInBytes'], p['SHA256TreeHash']) for p in listed['Parts']]
    want = [(f'{start}-{end}', tree_hash(data[start:end + 1])) for start, end in ranges]
    check(got == want, f'parts {got}, expected {want}')
    passed()

    step = 'list_multipart_uploads'
    check(upload_id in upload_ids(glacier, vault), f'{upload_id} not listed')
    passed()

    step = 'complete_multipart_upload'
    checksum = calculate_tree_hash(io.BytesIO(data))
    check(checksum == tree_hash(data), f'botocore tree hash {checksum}, independent tree hash {tree_hash(data)}')
    completed = glacier.complete_multipart_upload(vaultName=vault, uploadId=upload_id, archiveSize=str(len(data)), checksum=checksum)
    check(completed['checksum'] == tree_hash(data), f"checksum {completed['checksum']}, expected {tree_hash(data)}")
    check(completed['archiveId'], f'no archiveId: {completed}')
    check(upload_id not in upload_ids(glacier, vault), f'completed upload {upload_id} still listed')
    passed()

    step = 'abort_multipart_upload'
    aborted = glacier.initiate_multipart_upload(vaultName=vault, partSize=str(part_size))['uploadId']
    glacier.upload_multipart_part(vaultName=vault, uploadId=aborted, range=f'bytes 0-{part_size - 1}/*', body=data[:part_size])
    check(aborted in upload_ids(glacier, vault), f'{aborted} not listed')
    glacier.abort_multipart_upload(vaultName=vault, uploadId=aborted)
    check(aborted not in upload_ids(glacier, vault), f'aborted upload {aborted} still listed')
    passed()

    step = 'initiate_multipart_upload with an 8 MiB part size (Glacier allows up to 4 GiB)'
    eight = glacier.initiate_multipart_upload(vaultName=vault, partSize=str(8 * MIB))
    glacier.abort_multipart_upload(vaultName=vault, uploadId=eight['uploadId'])
    passed()

    step = 'initiate_multipart_upload with an 8 GiB part size'
    code, message = error_code(glacier.initiate_multipart_upload, vaultName=vault, partSize=str(8 * 1024 * MIB))
    check(code == 'InvalidParameterValueException', f'error code {code}: {message}')
    check('Invalid part size' in message, f'message: {message}')
    passed()

    return completed['archiveId'], data


def multipart_with_resource(session_args, vault_name):
    """The same flow through the resource API; returns the resource API and the completed Archive and its data."""
    global step
    glacier = boto3.resource('glacier', **session_args)
    vault = glacier.Vault('-', vault_name)
    data = os.urandom(2 * MIB + 4321)

    step = 'resource: Vault.initiate_multipart_upload'
    upload = vault.initiate_multipart_upload(archiveDescription='boto3 resource multipart', partSize=str(MIB))
    check(upload.id and upload.vault_name == vault_name, f'upload: {upload}')
    passed()

    step = 'resource: MultipartUpload.upload_part'
    for start, end in part_ranges(len(data), MIB):
        sent = upload.upload_part(range=f'bytes {start}-{end}/*', body=data[start:end + 1])
        check(sent['checksum'] == tree_hash(data[start:end + 1]), f'part {start}-{end}: {sent}')
    ranges = [p['RangeInBytes'] for p in upload.parts()['Parts']]
    check(ranges == [f'{s}-{e}' for s, e in part_ranges(len(data), MIB)], f'parts: {ranges}')
    passed()

    step = 'resource: MultipartUpload.complete'
    # The resource model declares no resource for Complete, so it returns the response;
    # the Archive comes from the vault and the returned archive ID.
    completed = upload.complete(archiveSize=str(len(data)), checksum=calculate_tree_hash(io.BytesIO(data)))
    check(completed['checksum'] == tree_hash(data), f"checksum {completed['checksum']}, expected {tree_hash(data)}")
    archive = vault.Archive(completed['archiveId'])
    check(archive.id and archive.vault_name == vault_name, f'archive: {archive}')
    check(upload.id not in [u.id for u in vault.multipart_uploads.all()], f'completed upload {upload.id} still listed')
    passed()
    return glacier, archive, data


def kind(resource):
    """The resource model's name of a boto3 resource object ('Archive', 'Job', ...)."""
    return resource.meta.resource_model.name


def wait_job(glacier, vault, job_id):
    """Polls DescribeJob until the job is completed; returns its description."""
    def completed():
        job = glacier.describe_job(vaultName=vault, jobId=job_id)
        return job if job['Completed'] else None

    job = until(completed, f'completion of job {job_id}')
    check(job['StatusCode'] == 'Succeeded', f'job {job_id} did not succeed: {job}')
    return job


def wait_notification(topic, job_id):
    """Waits for the local server's delivery to `topic` about the successful job `job_id`."""
    def delivered():
        if not os.path.exists(NOTIFICATIONS_FILE):
            return False
        with open(NOTIFICATIONS_FILE) as lines:
            # A line still being written has no newline yet.
            deliveries = [json.loads(line) for line in lines if line.endswith('\n')]
        return any(d['topicArn'] == topic and json.loads(d['message'])['JobId'] == job_id
                   and json.loads(d['message'])['StatusCode'] == 'Succeeded' for d in deliveries)

    until(delivered, f'a notification to {topic} for job {job_id}')


def read_in_ranges(glacier, vault, job_id, size):
    """An archive retrieval's output read in 4 MiB ranges (a response holds at most about 4.45 MB)."""
    pieces = []
    for start in range(0, size, 4 * MIB):
        end = min(start + 4 * MIB, size) - 1
        out = glacier.get_job_output(vaultName=vault, jobId=job_id, range=f'bytes={start}-{end}')
        piece = out['body'].read()
        check(len(piece) == end - start + 1, f'bytes={start}-{end}: {len(piece)} bytes')
        check(out['contentRange'] == f'bytes {start}-{end}/{size}', f'bytes={start}-{end}: Content-Range {out["contentRange"]}')
        check(out['checksum'] == tree_hash(piece), f'bytes={start}-{end}: checksum {out["checksum"]}, expected {tree_hash(piece)}')
        pieces.append(piece)
    return b''.join(pieces)


def retrieval_with_client(glacier, vault, single, multipart):
    """Archive retrieval jobs and vault notifications; `single` and `multipart` are (archive ID, data).
    Returns the IDs of the jobs started."""
    global step
    (single_id, single_data), (multipart_id, multipart_data) = single, multipart
    vault_topic = f'arn:aws:sns:us-east-1:{ACCOUNT}:boto3-scenario-vault-topic'
    job_topic = f'arn:aws:sns:us-east-1:{ACCOUNT}:boto3-scenario-job-topic'

    step = 'set_vault_notifications'
    config = {'SNSTopic': vault_topic, 'Events': ['ArchiveRetrievalCompleted', 'InventoryRetrievalCompleted']}
    glacier.set_vault_notifications(vaultName=vault, vaultNotificationConfig=config)
    got = glacier.get_vault_notifications(vaultName=vault)['vaultNotificationConfig']
    check(got == config, f'get_vault_notifications: {got}, expected {config}')
    passed()

    step = 'initiate_job archive-retrieval'
    single_job = glacier.initiate_job(vaultName=vault, jobParameters={
        'Type': 'archive-retrieval', 'ArchiveId': single_id, 'Tier': 'Expedited', 'SNSTopic': job_topic, 'Description': 'boto3 single'})
    check(single_job['location'] == f'/{ACCOUNT}/vaults/{vault}/jobs/{single_job["jobId"]}', f'initiate_job: {single_job}')
    single_job = single_job['jobId']
    multipart_job = glacier.initiate_job(vaultName=vault, jobParameters={'Type': 'archive-retrieval', 'ArchiveId': multipart_id})['jobId']
    ranged_job = glacier.initiate_job(vaultName=vault, jobParameters={
        'Type': 'archive-retrieval', 'ArchiveId': multipart_id, 'Tier': 'Expedited', 'RetrievalByteRange': f'{2 * MIB}-{4 * MIB - 1}'})['jobId']
    # Bulk jobs are held back (run.sh gives them a long delay): this one stays in progress.
    bulk_job = glacier.initiate_job(vaultName=vault, jobParameters={'Type': 'archive-retrieval', 'ArchiveId': single_id, 'Tier': 'Bulk'})['jobId']
    passed()

    step = 'describe_job until completed'
    job = wait_job(glacier, vault, single_job)
    got = [job[k] for k in ('Action', 'ArchiveId', 'ArchiveSizeInBytes', 'SHA256TreeHash', 'Tier', 'SNSTopic', 'JobDescription')]
    want = ['ArchiveRetrieval', single_id, len(single_data), tree_hash(single_data), 'Expedited', job_topic, 'boto3 single']
    check(got == want, f'describe_job: {got}, expected {want}')
    job = wait_job(glacier, vault, multipart_job)
    got = [job[k] for k in ('ArchiveId', 'RetrievalByteRange', 'SHA256TreeHash', 'Tier')]
    want = [multipart_id, f'0-{len(multipart_data) - 1}', tree_hash(multipart_data), 'Standard']
    check(got == want, f'describe_job: {got}, expected {want}')
    job = wait_job(glacier, vault, ranged_job)
    # 2-4 MiB is a node of the archive's tree, so the job carries its tree hash.
    got = [job['RetrievalByteRange'], job['SHA256TreeHash'], job['ArchiveSHA256TreeHash']]
    want = [f'{2 * MIB}-{4 * MIB - 1}', tree_hash(multipart_data[2 * MIB:4 * MIB]), tree_hash(multipart_data)]
    check(got == want, f'describe_job: {got}, expected {want}')
    job = glacier.describe_job(vaultName=vault, jobId=bulk_job)
    check((job['StatusCode'], job['Completed']) == ('InProgress', False), f'the bulk job is not in progress: {job}')
    passed()

    step = 'list_jobs'
    def listed(**filters):
        return sorted(j['JobId'] for j in glacier.list_jobs(vaultName=vault, **filters)['JobList'])

    done = sorted([single_job, multipart_job, ranged_job])
    check(listed() == sorted(done + [bulk_job]), f'list_jobs: {listed()}')
    check(listed(completed='true') == done, f"list_jobs completed=true: {listed(completed='true')}")
    check(listed(statuscode='Succeeded') == done, f"list_jobs statuscode=Succeeded: {listed(statuscode='Succeeded')}")
    check(listed(statuscode='InProgress') == [bulk_job], f"list_jobs statuscode=InProgress: {listed(statuscode='InProgress')}")
    passed()

    step = 'get_job_output of a job in progress'
    code, message = error_code(glacier.get_job_output, vaultName=vault, jobId=bulk_job)
    check(code == 'InvalidParameterValueException', f'error code {code}: {message}')
    check('The job is not currently available for download' in message, f'message: {message}')
    passed()

    step = 'get_job_output'
    out = glacier.get_job_output(vaultName=vault, jobId=single_job)
    check(out['body'].read() == single_data, 'the job output differs from the uploaded archive')
    got = [out['status'], out['checksum'], out['archiveDescription']]
    check(got == [200, tree_hash(single_data), 'boto3 scenario archive'], f'get_job_output: {got}')
    # Glacier's own GetJobOutput example passes range "" and gets the whole output with 200.
    out = glacier.get_job_output(vaultName=vault, jobId=single_job, range='')
    check(out['body'].read() == single_data, 'the output with range "" differs from the uploaded archive')
    got = [out['status'], out['checksum'], out.get('contentRange')]
    check(got == [200, tree_hash(single_data), None], f'get_job_output with range "": {got}')
    passed()

    step = 'get_job_output with a range'
    out = glacier.get_job_output(vaultName=vault, jobId=multipart_job, range=f'bytes=0-{MIB - 1}')
    check(out['body'].read() == multipart_data[:MIB], "the ranged output differs from the archive's first MiB")
    got = [out['status'], out['checksum'], out['contentRange']]
    want = [206, tree_hash(multipart_data[:MIB]), f'bytes 0-{MIB - 1}/{len(multipart_data)}']
    check(got == want, f'get_job_output: {got}, expected {want}')
    check(read_in_ranges(glacier, vault, multipart_job, len(multipart_data)) == multipart_data, 'the output read in ranges differs from the archive')
    out = glacier.get_job_output(vaultName=vault, jobId=ranged_job)
    check(out['body'].read() == multipart_data[2 * MIB:4 * MIB], 'the RetrievalByteRange output differs from the archive range')
    check(out['checksum'] == tree_hash(multipart_data[2 * MIB:4 * MIB]), f'RetrievalByteRange output checksum {out["checksum"]}')
    passed()

    step = 'notifications'
    wait_notification(job_topic, single_job)
    for job_id in done:
        wait_notification(vault_topic, job_id)
    passed()

    step = 'delete_vault_notifications'
    glacier.delete_vault_notifications(vaultName=vault)
    code, message = error_code(glacier.get_vault_notifications, vaultName=vault)
    check(code == 'ResourceNotFoundException', f'error code {code}: {message}')
    passed()
    return done + [bulk_job]


def retrieval_with_resource(vault):
    """An archive's round trip through the resource API; returns the Archive, its data and the Job."""
    global step
    data = os.urandom(MIB + 999)

    step = 'resource: Vault.upload_archive'
    archive = vault.upload_archive(archiveDescription='boto3 resource archive', body=data)
    check(kind(archive) == 'Archive', f'upload_archive returned {archive!r}')
    check(archive.id and archive.vault_name == vault.name, f'archive: {archive}')
    passed()

    step = 'resource: Archive.initiate_archive_retrieval'
    job = archive.initiate_archive_retrieval()
    check(kind(job) == 'Job' and job.id, f'initiate_archive_retrieval returned {job!r}')

    def completed():
        job.reload()
        return job.completed

    until(completed, f'completion of job {job.id}')
    got = [job.status_code, job.action, job.archive_id, job.sha256_tree_hash]
    check(got == ['Succeeded', 'ArchiveRetrieval', archive.id, tree_hash(data)], f'job: {got}')
    passed()

    step = 'resource: Job.get_output'
    out = job.get_output()
    check(out['body'].read() == data, 'the job output differs from the uploaded archive')
    check(out['checksum'] == tree_hash(data), f"checksum {out['checksum']}, expected {tree_hash(data)}")
    passed()
    return archive, data, job


def inventory_retrieval(glacier, resource_vault, archives, earlier_jobs):
    """Inventory jobs (CSV with the client, JSON with the resource API) once an inventory lists
    `archives`, a list of (archive ID, data); then the vault's job collections."""
    global step
    vault = resource_vault.name
    want = sorted((archive_id, len(data), tree_hash(data)) for archive_id, data in archives)

    step = 'initiate_job inventory-retrieval (CSV)'
    until(lambda: glacier.describe_vault(vaultName=vault).get('NumberOfArchives') == len(archives),
          f'an inventory of {len(archives)} archives')
    csv_job = glacier.initiate_job(vaultName=vault, jobParameters={'Type': 'inventory-retrieval', 'Format': 'CSV'})['jobId']
    job = wait_job(glacier, vault, csv_job)
    check(job['InventoryRetrievalParameters']['Format'] == 'CSV', f'describe_job: {job}')
    out = glacier.get_job_output(vaultName=vault, jobId=csv_job)
    check(out['contentType'] == 'text/csv', f"contentType {out['contentType']}")
    rows = list(csv.DictReader(io.StringIO(out['body'].read().decode('utf-8'))))
    got = sorted((r['ArchiveId'], int(r['Size']), r['SHA256TreeHash']) for r in rows)
    check(got == want, f'the CSV inventory lists {got}, expected {want}')
    passed()

    step = 'resource: Vault.initiate_inventory_retrieval'
    job = resource_vault.initiate_inventory_retrieval()
    check(kind(job) == 'Job' and job.id, f'initiate_inventory_retrieval returned {job!r}')

    def completed():
        job.reload()
        return job.completed

    until(completed, f'completion of job {job.id}')
    check((job.status_code, job.action) == ('Succeeded', 'InventoryRetrieval'), f'job: {job.status_code} {job.action}')
    inventory = json.loads(job.get_output()['body'].read())
    check(inventory['VaultARN'] == f'arn:aws:glacier:us-east-1:{ACCOUNT}:vaults/{vault}', f"VaultARN {inventory['VaultARN']}")
    got = sorted((a['ArchiveId'], a['Size'], a['SHA256TreeHash']) for a in inventory['ArchiveList'])
    check(got == want, f'the JSON inventory lists {got}, expected {want}')
    passed()

    step = 'resource: Vault.jobs'
    every_job = sorted(earlier_jobs + [csv_job, job.id])
    got = sorted(j.id for j in resource_vault.jobs.all())
    check(got == every_job, f'vault.jobs: {got}, expected {every_job}')
    in_progress = [j.id for j in resource_vault.jobs_in_progress.all()]
    succeeded = sorted(j.id for j in resource_vault.succeeded_jobs.all())
    check(len(in_progress) == 1 and sorted(succeeded + in_progress) == every_job, f'in progress {in_progress}, succeeded {succeeded}')
    passed()


def lock_policy(vault_arn):
    """A vault lock policy refusing DeleteArchive, for everyone, of archives younger than 365 days."""
    return json.dumps({'Version': '2012-10-17', 'Statement': [{
        'Sid': 'no-early-deletes', 'Effect': 'Deny', 'Principal': '*', 'Action': 'glacier:DeleteArchive', 'Resource': vault_arn,
        'Condition': {'NumericLessThan': {'glacier:ArchiveAgeInDays': '365'}}}]})


def settings_and_access_control(glacier, vault):
    """Tags, the vault access policy, vault locks (one aborted on `vault`, one completed on a vault
    of its own that stays behind), the data retrieval policy and provisioned capacity."""
    global step
    vault_arn = f'arn:aws:glacier:us-east-1:{ACCOUNT}:vaults/{vault}'

    step = 'add_tags_to_vault, list_tags_for_vault, remove_tags_from_vault'
    glacier.add_tags_to_vault(vaultName=vault, Tags={'owner': 'boto3', 'purpose': 'scenario', 'empty': ''})
    tags = glacier.list_tags_for_vault(vaultName=vault)['Tags']
    check(tags == {'owner': 'boto3', 'purpose': 'scenario', 'empty': ''}, f'list_tags_for_vault: {tags}')
    glacier.remove_tags_from_vault(vaultName=vault, TagKeys=['purpose', 'empty'])
    tags = glacier.list_tags_for_vault(vaultName=vault)['Tags']
    check(tags == {'owner': 'boto3'}, f'list_tags_for_vault after remove: {tags}')
    passed()

    step = 'set_vault_access_policy, get_vault_access_policy, delete_vault_access_policy'
    policy = json.dumps({'Version': '2012-10-17', 'Statement': [{
        'Effect': 'Allow', 'Principal': {'AWS': 'arn:aws:iam::210987654321:root'}, 'Action': 'glacier:DescribeVault', 'Resource': vault_arn}]})
    glacier.set_vault_access_policy(vaultName=vault, policy={'Policy': policy})
    got = glacier.get_vault_access_policy(vaultName=vault)['policy']
    check(got == {'Policy': policy}, f'get_vault_access_policy: {got}')
    glacier.delete_vault_access_policy(vaultName=vault)
    code, message = error_code(glacier.get_vault_access_policy, vaultName=vault)
    check(code == 'ResourceNotFoundException', f'error code {code}: {message}')
    passed()

    step = 'initiate_vault_lock, get_vault_lock, abort_vault_lock'
    lock_id = glacier.initiate_vault_lock(vaultName=vault, policy={'Policy': lock_policy(vault_arn)})['lockId']
    check(lock_id, 'no lockId')
    lock = glacier.get_vault_lock(vaultName=vault)
    check((lock['State'], lock['Policy']) == ('InProgress', lock_policy(vault_arn)), f'get_vault_lock: {lock}')
    glacier.abort_vault_lock(vaultName=vault)
    code, message = error_code(glacier.get_vault_lock, vaultName=vault)
    check(code == 'ResourceNotFoundException', f'error code {code}: {message}')
    passed()

    step = 'complete_vault_lock: a locked vault refuses deleting a young archive'
    # A locked vault can't be deleted while it holds the archive: it stays behind on the local server.
    locked = f'{vault}-locked'
    glacier.create_vault(vaultName=locked)
    archive_id = glacier.upload_archive(vaultName=locked, body=os.urandom(1000))['archiveId']
    locked_arn = f'arn:aws:glacier:us-east-1:{ACCOUNT}:vaults/{locked}'
    lock_id = glacier.initiate_vault_lock(vaultName=locked, policy={'Policy': lock_policy(locked_arn)})['lockId']
    glacier.complete_vault_lock(vaultName=locked, lockId=lock_id)
    check(glacier.get_vault_lock(vaultName=locked)['State'] == 'Locked', 'the vault lock is not Locked')
    code, message = error_code(glacier.delete_archive, vaultName=locked, archiveId=archive_id)
    check(code == 'AccessDeniedException', f'error code {code}: {message}')
    passed()

    step = 'set_data_retrieval_policy, get_data_retrieval_policy'
    glacier.set_data_retrieval_policy(Policy={'Rules': [{'Strategy': 'None'}]})
    got = glacier.get_data_retrieval_policy()['Policy']
    check(got == {'Rules': [{'Strategy': 'None'}]}, f'get_data_retrieval_policy: {got}')
    passed()

    step = 'purchase_provisioned_capacity, list_provisioned_capacity'
    capacity_id = glacier.purchase_provisioned_capacity()['capacityId']
    listed = [unit['CapacityId'] for unit in glacier.list_provisioned_capacity()['ProvisionedCapacityList']]
    check(capacity_id in listed, f'{capacity_id} not in {listed}')
    passed()


def track_operations(client, called):
    """Adds the name of every operation `client` calls (successfully or not) to the set `called`."""
    client.meta.events.register('before-call.glacier', lambda model, **_: called.add(model.name))


def main(endpoint):
    global step
    session_args = dict(
        endpoint_url=endpoint,
        region_name='us-east-1',
        aws_access_key_id='AKIDCOLDVAULTLOCAL01',
        aws_secret_access_key='coldvault-local-secret-access-key',
    )
    glacier = boto3.client('glacier', **session_args)
    called = set()
    track_operations(glacier, called)
    vault = f'boto3-scenario-{int(time.time())}-{os.getpid()}'
    data = os.urandom(2 * 1024 * 1024 + 54321)

    step = 'create_vault'
    created = glacier.create_vault(vaultName=vault)
    check(created['location'].endswith(f'/vaults/{vault}'), f'location: {created}')
    passed()

    step = 'upload_archive with a wrong tree hash'
    code, message = error_code(glacier.upload_archive, vaultName=vault, body=b'not what the checksum says', checksum='00' * 32)
    check(code == 'InvalidParameterValueException', f'error code {code}: {message}')
    passed()

    step = 'upload_archive'
    uploaded = glacier.upload_archive(vaultName=vault, body=data, archiveDescription='boto3 scenario archive')
    check(uploaded['checksum'] == tree_hash(data), f"checksum {uploaded['checksum']}, expected {tree_hash(data)}")
    check(uploaded['archiveId'], f'no archiveId: {uploaded}')
    archive_id = uploaded['archiveId']
    passed()

    step = 'describe_vault'
    described = glacier.describe_vault(vaultName=vault)
    check(described['VaultName'] == vault, f'VaultName: {described}')
    passed()

    step = 'list_vaults'
    names = [v['VaultName'] for v in glacier.list_vaults()['VaultList']]
    check(vault in names, f'{vault} not in {names}')
    passed()

    step = 'inventory counts only the accepted archive'
    def inventoried():
        described = glacier.describe_vault(vaultName=vault)
        return described if described.get('NumberOfArchives', 0) >= 1 else None

    described = until(inventoried, 'an inventory showing the archive')
    check(described['NumberOfArchives'] == 1, f'NumberOfArchives: {described}')
    check(described['SizeInBytes'] == len(data), f'SizeInBytes {described["SizeInBytes"]}, expected {len(data)}')
    passed()

    settings_and_access_control(glacier, vault)
    multipart_archive_id, multipart_data = multipart_with_client(glacier, vault)
    resource, resource_archive, resource_data = multipart_with_resource(session_args, vault)

    jobs = retrieval_with_client(glacier, vault, (archive_id, data), (multipart_archive_id, multipart_data))
    resource_vault = resource.Vault('-', vault)
    retrieved_archive, retrieved_data, retrieval_job = retrieval_with_resource(resource_vault)
    archives = [(archive_id, data), (multipart_archive_id, multipart_data), (resource_archive.id, resource_data), (retrieved_archive.id, retrieved_data)]
    inventory_retrieval(glacier, resource_vault, archives, jobs + [retrieval_job.id])

    step = 'delete_vault while not empty'
    code, message = error_code(glacier.delete_vault, vaultName=vault)
    check(code == 'InvalidParameterValueException', f'error code {code}: {message}')
    check('Vault not empty or recently written to' in message, f'message: {message}')
    passed()

    step = 'delete_archive'
    glacier.delete_archive(vaultName=vault, archiveId=archive_id)
    glacier.delete_archive(vaultName=vault, archiveId=multipart_archive_id)
    resource_archive.delete()
    retrieved_archive.delete()
    passed()

    step = 'delete_vault after inventory'

    def try_delete():
        try:
            glacier.delete_vault(vaultName=vault)
            return True
        except ClientError as error:
            check(error.response['Error']['Code'] == 'InvalidParameterValueException', f'unexpected error: {error}')
            return False

    until(try_delete, 'a deletable vault')
    passed()

    step = 'describe_vault after delete'
    code, message = error_code(glacier.describe_vault, vaultName=vault)
    check(code == 'ResourceNotFoundException', f'error code {code}: {message}')
    passed()

    step = 'vault_not_exists waiter'
    glacier.get_waiter('vault_not_exists').wait(vaultName=vault, WaiterConfig={'Delay': 1, 'MaxAttempts': 5})
    passed()

    step = 'every operation called'
    operations = set(glacier.meta.service_model.operation_names)
    check(called == operations, f'not called: {sorted(operations - called)}; unknown: {sorted(called - operations)}')
    check(len(operations) == 33, f'{len(operations)} operations in the service model')
    passed()


if __name__ == '__main__':
    if len(sys.argv) != 2 or not NOTIFICATIONS_FILE:
        sys.exit('usage: SCENARIO_NOTIFICATIONS_FILE=... boto3_scenario.py ENDPOINT_URL')
    try:
        main(sys.argv[1])
    except Exception as failure:  # noqa: BLE001 - any failure ends the scenario with its step
        print(f'FAIL boto3: {step}: {type(failure).__name__}: {failure}', file=sys.stderr)
        sys.exit(1)
