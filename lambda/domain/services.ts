import type { BlobStore, MetadataStore, UploadStore } from '../store/ports';

/** What the domain works with: its stores, its clock, where it runs and its request limit. */
export interface Services {
  metadata: MetadataStore;
  uploads: UploadStore;
  blobs: BlobStore;
  /** The largest request body the endpoint accepts. */
  maxBodyBytes: number;
  region: string;
  now: () => Date;
}
