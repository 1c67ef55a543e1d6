// A tenant may name only SNS topics of its own account (unless configured otherwise): the
// service must not publish, on a tenant's behalf, into another account's topics.
import { createVault } from '../../lambda/domain/vaults';
import { initiateJob } from '../../lambda/domain/jobs';
import { parseJobRequest } from '../../lambda/ops/job-parameters';
import { inventoryAllVaults } from '../../lambda/domain/inventory';
import { getVaultNotifications, setVaultNotifications } from '../../lambda/domain/notifications';
import { memoryServices, type MemoryServices } from '../support/memory-stores';
import { ACCOUNT, OTHER_ACCOUNT } from '../support/accounts';

const OWN = ACCOUNT;
const OTHER = OTHER_ACCOUNT;
const topic = (account: string) => `arn:aws:sns:us-east-1:${account}:alarms`;

let svc: MemoryServices;
beforeEach(async () => {
  svc = memoryServices();
  await createVault(svc, OWN, 'v');
  svc.advance(1000);
  await inventoryAllVaults(svc);
});

const setNotifications = (snsTopic: string, services = svc) =>
  setVaultNotifications(services, OWN, 'v', Buffer.from(JSON.stringify({ SNSTopic: snsTopic, Events: ['ArchiveRetrievalCompleted'] })));
const inventoryJob = (snsTopic: string, services = svc) =>
  initiateJob(services, OWN, 'v', parseJobRequest(Buffer.from(JSON.stringify({ Type: 'inventory-retrieval', SNSTopic: snsTopic }))));

const refusal = {
  name: 'InvalidParameterValueException',
  message: `Invalid SNSTopic: ${topic(OTHER)}. The topic must be in this vault's account (${OWN}).`,
};

it("refuses SetVaultNotifications with another account's topic, and stores nothing", async () => {
  await expect(setNotifications(topic(OTHER))).rejects.toMatchObject(refusal);
  await expect(getVaultNotifications(svc, OWN, 'v')).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
});

it("refuses a job with another account's topic, and starts no job", async () => {
  await expect(inventoryJob(topic(OTHER))).rejects.toMatchObject(refusal);
  expect((await svc.jobs.listJobs(OWN, 'v', {}, undefined, 10)).items).toEqual([]);
});

it("accepts the vault account's own topics", async () => {
  await setNotifications(topic(OWN));
  expect((await getVaultNotifications(svc, OWN, 'v')).snsTopic).toBe(topic(OWN));
  await inventoryJob(topic(OWN));
});

it('accepts the topics of accounts configured as allowed', async () => {
  const allowing = { ...svc, snsTopicAccounts: [OTHER] };
  await setNotifications(topic(OTHER), allowing);
  await inventoryJob(topic(OTHER), allowing);
  await expect(setNotifications(topic('999999999999'), allowing)).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
});
