"""boto3 against a running coldvault: vault and archive lifecycle, and a rejected upload.

Usage: python3 boto3_scenario.py ENDPOINT_URL
"""
import os
import sys
import time

import boto3
from botocore.exceptions import ClientError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from treehash import tree_hash  # noqa: E402

DEADLINE_SECONDS = 30
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


def main(endpoint):
    global step
    glacier = boto3.client(
        'glacier',
        endpoint_url=endpoint,
        region_name='us-east-1',
        aws_access_key_id='AKIDCOLDVAULTLOCAL01',
        aws_secret_access_key='coldvault-local-secret-access-key',
    )
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

    step = 'delete_vault while not empty'
    code, message = error_code(glacier.delete_vault, vaultName=vault)
    check(code == 'InvalidParameterValueException', f'error code {code}: {message}')
    check('Vault not empty or recently written to' in message, f'message: {message}')
    passed()

    step = 'delete_archive'
    glacier.delete_archive(vaultName=vault, archiveId=archive_id)
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


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.exit('usage: boto3_scenario.py ENDPOINT_URL')
    try:
        main(sys.argv[1])
    except Exception as failure:  # noqa: BLE001 - any failure ends the scenario with its step
        print(f'FAIL boto3: {step}: {type(failure).__name__}: {failure}', file=sys.stderr)
        sys.exit(1)
