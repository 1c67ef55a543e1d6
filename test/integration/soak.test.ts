import { CreateVaultCommand } from '@aws-sdk/client-glacier';
import { startTestServer, type TestServer } from '../support/local-server';
import { formatReport, runSoak } from '../support/soak';

// Short in `npm test`; `npm run soak` runs it longer (SOAK_SECONDS).
const SECONDS = Number(process.env.SOAK_SECONDS ?? 20);
const CLIENTS = 32;
const VAULTS = ['soak-0', 'soak-1', 'soak-2', 'soak-3'];

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ COLDVAULT_JOB_DELAY_SECONDS: '0', COLDVAULT_INVENTORY_INTERVAL_SECONDS: '2' });
  const client = server.client();
  for (const vaultName of VAULTS) await client.send(new CreateVaultCommand({ accountId: '-', vaultName }));
});
afterAll(() => server.destroy());

it(
  `${CLIENTS} concurrent clients for ${SECONDS} s: no errors, and every archive kept is retrievable byte for byte`,
  async () => {
    expect(SECONDS).toBeGreaterThan(0);
    const result = await runSoak({ clients: CLIENTS, seconds: SECONDS, vaults: VAULTS, makeClient: () => server.client() });
    console.log(formatReport(result));

    expect({ errors: result.errors, serverLog: server.errorsLogged.slice(0, 5) }).toEqual({ errors: [], serverLog: [] });
    expect(result.errorCount).toBe(0);
    expect(result.uploaded.archives).toBeGreaterThan(0);
    expect(result.verified.archives).toBe(result.uploaded.archives - result.deleted);
  },
  // Only a guard against a hang: the run stops by itself, then the final check takes what it takes.
  (SECONDS + 600) * 1000,
);
