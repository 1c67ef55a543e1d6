// Each operation's path parameters come from its route's template: these lines compile only while
// the types say so (tsc checks test/), and the runtime checks below keep the table and routes aligned.
import { ALL_ROUTES, hasPathParams, type ParamsOf } from '../../lambda/http/routes';
import { OPERATIONS } from '../../lambda/ops';
import type { Operation, OperationTable } from '../../lambda/ops/operation';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

const lockParams: Equal<
  ParamsOf<'CompleteVaultLock'>,
  { readonly accountId: string; readonly vaultName: string; readonly lockId: string }
> = true;
const accountParams: Equal<ParamsOf<'ListProvisionedCapacity'>, { readonly accountId: string }> = true;
const extensionParams: Equal<ParamsOf<'coldvault:ListArchives'>, { readonly accountId: string; readonly vaultName: string }> = true;

const readsItsOwn: Operation<'CompleteVaultLock'> = async ({ params }) => {
  void params.lockId;
};
const readsAnother: Operation<'DeleteVault'> = async ({ params }) => {
  // @ts-expect-error DeleteVault's path has no lockId
  void params.lockId;
};

// @ts-expect-error CompleteVaultLock reads a lockId that DeleteVault's path does not capture
const crossed: OperationTable = { ...OPERATIONS, DeleteVault: OPERATIONS.CompleteVaultLock };

const { ListVaults: omitted, ...withoutListVaults } = OPERATIONS;
// @ts-expect-error an operation missing from the table
const incomplete: OperationTable = withoutListVaults;

it('checks the types above', () => {
  expect([lockParams, accountParams, extensionParams]).toEqual([true, true, true]);
  expect([readsItsOwn, readsAnother, crossed, omitted, incomplete].every((value) => value !== undefined)).toBe(true);
});

it('has an operation for every route, and no other', () => {
  expect(Object.keys(OPERATIONS).sort()).toEqual(ALL_ROUTES.map((route) => route.operation).sort());
});

describe('hasPathParams', () => {
  it('holds when every parameter of the template is there', () => {
    expect(hasPathParams('/{accountId}/vaults/{vaultName}/lock-policy/{lockId}', { accountId: '1', vaultName: 'v', lockId: 'l' })).toBe(
      true,
    );
    expect(hasPathParams('/{accountId}/vaults', { accountId: '1', vaultName: 'v' })).toBe(true);
  });

  it('fails when one is missing', () => {
    expect(hasPathParams('/{accountId}/vaults/{vaultName}', { accountId: '1' })).toBe(false);
  });
});
