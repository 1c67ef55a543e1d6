import type { AccountStore } from './account-ports';
import type { BlobStore, JobStore, MetadataStore, Notifier, PurgeQueue, Tier, UploadStore } from './ports';

/**
 * How retrieval jobs complete: after a delay per tier (instant storage classes, and local
 * mode), or when S3 reports the restore of every object the job reads (cold classes).
 */
export type RetrievalTiming = { kind: 'delay'; delaysMs: Record<Tier, number> } | { kind: 'restore' };

/** What the domain works with: its stores, its clock, where it runs and its request limit. */
export interface Services {
  metadata: MetadataStore;
  uploads: UploadStore;
  jobs: JobStore;
  purges: PurgeQueue;
  accounts: AccountStore;
  blobs: BlobStore;
  notifier: Notifier;
  retrieval: RetrievalTiming;
  /** The largest request body the endpoint accepts. */
  maxBodyBytes: number;
  region: string;
  /** The storage class archives are kept in (for cost estimates); absent where it doesn't apply. */
  storageClass?: string;
  /** Accounts, besides a vault's own, whose SNS topics a vault or job may name. */
  snsTopicAccounts?: string[];
  now: () => Date;
}
