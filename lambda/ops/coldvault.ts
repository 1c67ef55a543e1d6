// coldvault's own operations: extensions no Glacier client calls, each authorized by its own action.
import { listLiveArchives } from '../domain/archive-listing';
import { vaultArn } from '../domain/names';
import { limitParam, type Operation } from './operation';

export const DEFAULT_ARCHIVE_LIST_LIMIT = 100;

export const ListLiveArchives: Operation<'coldvault:ListArchives'> = async (ctx) => {
  const { svc, accountId, params, request } = ctx;
  const listing = await listLiveArchives(svc, accountId, params.vaultName, {
    limit: limitParam(ctx, DEFAULT_ARCHIVE_LIST_LIMIT),
    marker: request.query.marker,
    descriptionPrefix: request.query['description-prefix'],
  });
  return {
    json: {
      VaultARN: vaultArn(svc.region, accountId, params.vaultName),
      StorageClass: svc.storageClass ?? null,
      // How long a retrieval job takes per tier, where the deployment fixes it (null: as long as the storage class's restore takes).
      RetrievalSeconds:
        svc.retrieval.kind === 'delay'
          ? Object.fromEntries(Object.entries(svc.retrieval.delaysMs).map(([tier, ms]) => [tier, Math.round(ms / 1000)]))
          : null,
      NumberOfArchives: listing.live.numberOfArchives,
      SizeInBytes: listing.live.sizeInBytes,
      ArchiveList: listing.archives.map((archive) => ({
        ArchiveId: archive.archiveId,
        ArchiveDescription: archive.description,
        CreationDate: archive.creationDate,
        Size: archive.size,
        SHA256TreeHash: archive.treeHash,
      })),
      Marker: listing.marker ?? null,
    },
  };
};
