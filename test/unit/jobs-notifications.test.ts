// Job notifications: the job's and the vault's topics, published once, retried by the sweep.
import { deleteArchive } from '../../lambda/domain/archives';
import { inventoryVault } from '../../lambda/domain/inventory';
import { completeDueJobs, getJob, sweepJobs } from '../../lambda/domain/jobs';
import { disableFailpoints, enableFailpoints } from '../../lambda/domain/failpoints';
import { getVaultNotifications, removeVaultNotifications, setVaultNotifications } from '../../lambda/domain/notifications';
import type { VaultRecord } from '../../lambda/domain/ports';
import { createVault, deleteVault } from '../../lambda/domain/vaults';
import { MEMORY_JOB_DELAYS_MS } from '../support/memory-stores';
import { ACCOUNT, arn, upload } from '../support/domain-helpers';
import { HOUR, VAULT_TOPIC, JOB_TOPIC, svc, error, invalid, initiate, retrieve, described, deliveries } from '../support/jobs-fixture';

describe('notifications', () => {
  const configure = (events: string[], topic = VAULT_TOPIC) =>
    setVaultNotifications(svc, ACCOUNT, 'v', Buffer.from(JSON.stringify({ SNSTopic: topic, Events: events })));
  const takeInventory = async () => inventoryVault(svc, (await svc.metadata.getVault(ACCOUNT, 'v')) as VaultRecord);

  async function completedJobs(archiveExtra: Record<string, unknown> = {}, inventoryExtra: Record<string, unknown> = {}) {
    const { archiveId } = await upload(svc, 'v', 'bytes');
    svc.advance(1000);
    await takeInventory();
    const archiveJob = await retrieve(archiveId, { Tier: 'Expedited', ...archiveExtra });
    const inventoryJob = await initiate({ Type: 'inventory-retrieval', Tier: 'Expedited', ...inventoryExtra });
    expect(deliveries()).toEqual([]);
    svc.advance(MEMORY_JOB_DELAYS_MS.Expedited);
    expect(await completeDueJobs(svc)).toBe(2);
    return { archiveJob, inventoryJob };
  }

  const topicsFor = (jobId: string) =>
    deliveries()
      .filter((delivery) => delivery.message.JobId === jobId)
      .map((delivery) => delivery.topicArn)
      .sort();

  it('delivers to the vault topic only the events it is configured for', async () => {
    await configure(['ArchiveRetrievalCompleted']);
    const { archiveJob, inventoryJob } = await completedJobs();
    expect(topicsFor(archiveJob)).toEqual([VAULT_TOPIC]);
    expect(topicsFor(inventoryJob)).toEqual([]);
    expect(deliveries()).toEqual([
      {
        topicArn: VAULT_TOPIC,
        subject: 'Notification from Amazon Glacier: ArchiveRetrievalCompleted',
        message: await described(archiveJob),
      },
    ]);
  });

  it('delivers inventory jobs to a vault configured for InventoryRetrievalCompleted', async () => {
    await configure(['InventoryRetrievalCompleted']);
    const { archiveJob, inventoryJob } = await completedJobs();
    expect(topicsFor(archiveJob)).toEqual([]);
    expect(deliveries()).toEqual([
      {
        topicArn: VAULT_TOPIC,
        subject: 'Notification from Amazon Glacier: InventoryRetrievalCompleted',
        message: await described(inventoryJob),
      },
    ]);
  });

  it("always delivers to the job's own topic", async () => {
    const { archiveJob, inventoryJob } = await completedJobs({ SNSTopic: JOB_TOPIC }, { SNSTopic: JOB_TOPIC });
    expect(topicsFor(archiveJob)).toEqual([JOB_TOPIC]);
    expect(topicsFor(inventoryJob)).toEqual([JOB_TOPIC]);
  });

  it('delivers to both topics when both are set, and once when they are the same', async () => {
    await configure(['ArchiveRetrievalCompleted', 'InventoryRetrievalCompleted']);
    const { archiveJob, inventoryJob } = await completedJobs({ SNSTopic: JOB_TOPIC }, { SNSTopic: VAULT_TOPIC });
    expect(topicsFor(archiveJob)).toEqual([JOB_TOPIC, VAULT_TOPIC].sort());
    expect(topicsFor(inventoryJob)).toEqual([VAULT_TOPIC]);
    for (const delivery of deliveries())
      expect(delivery.message).toEqual(expect.objectContaining({ StatusCode: 'Succeeded', Completed: true }));
  });

  it('notifies failed jobs too, when they fail', async () => {
    await configure(['ArchiveRetrievalCompleted']);
    const { archiveId } = await upload(svc, 'v', 'bytes');
    const pending = await retrieve(archiveId, { SNSTopic: JOB_TOPIC });
    await deleteArchive(svc, ACCOUNT, 'v', archiveId);
    expect(deliveries()).toEqual([]);
    svc.advance(MEMORY_JOB_DELAYS_MS.Standard);
    expect(await completeDueJobs(svc)).toBe(1);
    expect(topicsFor(pending)).toEqual([JOB_TOPIC, VAULT_TOPIC].sort());
    expect(deliveries().map((delivery) => delivery.message.StatusCode)).toEqual(['Failed', 'Failed']);
  });

  it("does not deliver an earlier vault's job to the configuration of a vault created again under its name", async () => {
    // Each vault's configuration is for events that happen to that vault; the earlier vault is gone.
    const { archiveId } = await upload(svc, 'v', 'bytes');
    const archiveJob = await retrieve(archiveId, { SNSTopic: JOB_TOPIC });
    await deleteArchive(svc, ACCOUNT, 'v', archiveId);
    svc.advance(1000);
    await takeInventory();
    const inventoryJob = await initiate({ Type: 'inventory-retrieval', SNSTopic: JOB_TOPIC });
    svc.advance(1000);
    await deleteVault(svc, ACCOUNT, 'v');
    svc.advance(1000);
    await createVault(svc, ACCOUNT, 'v');
    await configure(['ArchiveRetrievalCompleted', 'InventoryRetrievalCompleted']);
    svc.advance(1000);
    await takeInventory();

    svc.advance(MEMORY_JOB_DELAYS_MS.Standard);
    expect(await completeDueJobs(svc)).toBe(2);
    expect(topicsFor(archiveJob)).toEqual([JOB_TOPIC]);
    expect(topicsFor(inventoryJob)).toEqual([JOB_TOPIC]);
    for (const delivery of deliveries())
      expect(delivery.message).toEqual(
        expect.objectContaining({ StatusCode: 'Failed', StatusMessage: 'The vault was deleted before the job completed.' }),
      );
  });

  describe('interrupted between finishing a job and publishing', () => {
    afterEach(() => disableFailpoints());

    it('publishes, once, from the sweep five minutes later when the process died after the job was finished', async () => {
      await configure(['ArchiveRetrievalCompleted']);
      const { archiveId } = await upload(svc, 'v', 'bytes');
      const jobId = await retrieve(archiveId, { SNSTopic: JOB_TOPIC });
      svc.advance(MEMORY_JOB_DELAYS_MS.Standard);
      enableFailpoints((name) => {
        if (name === 'job:after-finish') throw new Error('crash');
      });
      await expect(completeDueJobs(svc)).rejects.toThrow('crash');
      disableFailpoints();
      expect((await described(jobId)).StatusCode).toBe('Succeeded');
      expect(deliveries()).toEqual([]);

      svc.advance(5 * 60_000 - 1);
      expect(await sweepJobs(svc)).toEqual({ completed: 0, notified: 0 });
      svc.advance(1);
      expect(await sweepJobs(svc)).toEqual({ completed: 0, notified: 1 });
      const message = await described(jobId);
      expect(deliveries()).toEqual(
        [JOB_TOPIC, VAULT_TOPIC].map((topicArn) => ({
          topicArn,
          subject: 'Notification from Amazon Glacier: ArchiveRetrievalCompleted',
          message,
        })),
      );
      svc.advance(HOUR);
      expect(await sweepJobs(svc)).toEqual({ completed: 0, notified: 0 });
      expect(deliveries()).toHaveLength(2);
    });

    it('finishes the job when SNS fails for now, and publishes from a later sweep', async () => {
      const { archiveId } = await upload(svc, 'v', 'bytes');
      const jobId = await retrieve(archiveId, { SNSTopic: JOB_TOPIC });
      const publish = svc.notifier.publish.bind(svc.notifier);
      svc.notifier.publish = async () => {
        throw new Error('SNS is unavailable');
      };
      svc.advance(MEMORY_JOB_DELAYS_MS.Standard);
      // DescribeJob completes it, and is not failed by SNS.
      expect((await getJob(svc, ACCOUNT, 'v', jobId)).status).toBe('Succeeded');
      svc.advance(5 * 60_000);
      expect(await sweepJobs(svc)).toEqual({ completed: 0, notified: 0 });
      expect(deliveries()).toEqual([]);

      svc.notifier.publish = publish;
      svc.advance(60_000);
      expect(await sweepJobs(svc)).toEqual({ completed: 0, notified: 1 });
      expect(topicsFor(jobId)).toEqual([JOB_TOPIC]);
      expect(await sweepJobs(svc)).toEqual({ completed: 0, notified: 0 });
    });

    it('offers nothing to the sweep once a job is notified, nor for a job nobody listens to', async () => {
      await completedJobs({ SNSTopic: JOB_TOPIC });
      expect(deliveries()).toHaveLength(1);
      svc.advance(HOUR);
      expect(await sweepJobs(svc)).toEqual({ completed: 0, notified: 0 });
      expect(deliveries()).toHaveLength(1);
    });
  });

  it('sets, reads, replaces and removes the configuration of a vault', async () => {
    await expect(getVaultNotifications(svc, ACCOUNT, 'v')).rejects.toEqual(
      error('ResourceNotFoundException', `No notification configuration is set for the vault: ${arn('v')}`),
    );
    await configure(['ArchiveRetrievalCompleted', 'ArchiveRetrievalCompleted']);
    expect(await getVaultNotifications(svc, ACCOUNT, 'v')).toEqual({ snsTopic: VAULT_TOPIC, events: ['ArchiveRetrievalCompleted'] });
    await configure(['InventoryRetrievalCompleted', 'ArchiveRetrievalCompleted'], JOB_TOPIC);
    expect(await getVaultNotifications(svc, ACCOUNT, 'v')).toEqual({
      snsTopic: JOB_TOPIC,
      events: ['InventoryRetrievalCompleted', 'ArchiveRetrievalCompleted'],
    });
    await removeVaultNotifications(svc, ACCOUNT, 'v');
    await expect(getVaultNotifications(svc, ACCOUNT, 'v')).rejects.toEqual(
      error('ResourceNotFoundException', /^No notification configuration/),
    );
    await expect(removeVaultNotifications(svc, ACCOUNT, 'v')).resolves.toBeUndefined();

    const ghost = error('ResourceNotFoundException', `Vault not found for ARN: ${arn('ghost')}`);
    await expect(
      setVaultNotifications(
        svc,
        ACCOUNT,
        'ghost',
        Buffer.from(JSON.stringify({ SNSTopic: VAULT_TOPIC, Events: ['ArchiveRetrievalCompleted'] })),
      ),
    ).rejects.toEqual(ghost);
    await expect(getVaultNotifications(svc, ACCOUNT, 'ghost')).rejects.toEqual(ghost);
    await expect(removeVaultNotifications(svc, ACCOUNT, 'ghost')).rejects.toEqual(ghost);
  });

  it.each([
    ['a body that is not JSON', '{"SNSTopic":', /^The request body is not valid JSON\.$/],
    ['a JSON null', 'null', /^The request body must be a JSON object\.$/],
    ['no SNSTopic', JSON.stringify({ Events: ['ArchiveRetrievalCompleted'] }), /SNSTopic must be the ARN of an SNS topic/],
    [
      'an SNSTopic that is not a topic ARN',
      JSON.stringify({ SNSTopic: 'my-topic', Events: ['ArchiveRetrievalCompleted'] }),
      /^Invalid SNSTopic: my-topic\./,
    ],
    [
      'an SQS ARN',
      JSON.stringify({ SNSTopic: `arn:aws:sqs:us-east-1:${ACCOUNT}:queue`, Events: ['ArchiveRetrievalCompleted'] }),
      /^Invalid SNSTopic/,
    ],
    [
      'no Events',
      JSON.stringify({ SNSTopic: VAULT_TOPIC }),
      /Events must list one or more of ArchiveRetrievalCompleted, InventoryRetrievalCompleted/,
    ],
    ['empty Events', JSON.stringify({ SNSTopic: VAULT_TOPIC, Events: [] }), /Events must list one or more/],
    [
      'an unknown event',
      JSON.stringify({ SNSTopic: VAULT_TOPIC, Events: ['ArchiveRetrievalCompleted', 'VaultDeleted'] }),
      /Events must list one or more/,
    ],
    [
      'Events that is not a list',
      JSON.stringify({ SNSTopic: VAULT_TOPIC, Events: 'ArchiveRetrievalCompleted' }),
      /Events must list one or more/,
    ],
  ])('refuses %s, keeping the configuration it has', async (_what, body, message) => {
    await configure(['ArchiveRetrievalCompleted']);
    await expect(setVaultNotifications(svc, ACCOUNT, 'v', Buffer.from(body))).rejects.toEqual(invalid(message));
    expect(await getVaultNotifications(svc, ACCOUNT, 'v')).toEqual({ snsTopic: VAULT_TOPIC, events: ['ArchiveRetrievalCompleted'] });
  });
});
