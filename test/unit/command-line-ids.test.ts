import { abortVaultLock, initiateVaultLock } from '../../lambda/domain/vault-lock';
import { newArchiveId, newJobId, newUploadId } from '../../lambda/domain/ids';
import { createVault } from '../../lambda/domain/vaults';
import { memoryServices } from '../support/memory-stores';
import { ACCOUNT } from '../support/domain-helpers';

// Users paste these IDs into command lines (`--lock-id ID`): one that starts with '-'
// is read as an option, and the AWS CLI refuses the command.
const DRAWS = 2000;

function expectNoneStartsWithDash(ids: string[]) {
  expect(ids.filter((id) => id.startsWith('-'))).toEqual([]);
}

describe('IDs a user passes on a command line', () => {
  it('archive, upload and job IDs never start with "-"', () => {
    const draws = Array.from({ length: DRAWS }, () => [newArchiveId(), newUploadId(), newJobId(new Date())]).flat();
    expectNoneStartsWithDash(draws);
  });

  it("vault lock IDs are letters and digits, like Glacier's", async () => {
    const svc = memoryServices();
    await createVault(svc, ACCOUNT, 'v');
    const policy = Buffer.from(
      JSON.stringify({
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 's',
              Effect: 'Deny',
              Principal: '*',
              Action: 'glacier:DeleteArchive',
              Resource: `arn:aws:glacier:us-east-1:${ACCOUNT}:vaults/v`,
            },
          ],
        }),
      }),
    );
    const lockIds: string[] = [];
    for (let i = 0; i < 300; i++) {
      lockIds.push(await initiateVaultLock(svc, ACCOUNT, 'v', policy));
      await abortVaultLock(svc, ACCOUNT, 'v');
    }
    expect(lockIds.filter((id) => !/^[A-Za-z0-9]{24}$/.test(id))).toEqual([]);
  });
});
