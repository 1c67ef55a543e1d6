import type { BlobStore, MetadataStore } from '../store/ports';

/** What the domain works with: its stores, its clock and where it runs. */
export interface Services {
  metadata: MetadataStore;
  blobs: BlobStore;
  region: string;
  now: () => Date;
}
