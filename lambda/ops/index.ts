import type { OperationTable } from './operation';
import { ListLiveArchives } from './coldvault';
import { DeleteArchive, UploadArchive } from './archives';
import {
  AbortMultipartUpload,
  CompleteMultipartUpload,
  InitiateMultipartUpload,
  ListMultipartUploads,
  ListParts,
  UploadMultipartPart,
} from './multipart';
import { CreateVault, DeleteVault, DescribeVault, ListVaults } from './vaults';
import { DescribeJob, GetJobOutput, InitiateJob, ListJobs } from './jobs';
import { DeleteVaultNotifications, GetVaultNotifications, SetVaultNotifications } from './notifications';
import { AddTagsToVault, ListTagsForVault, RemoveTagsFromVault } from './tags';
import { GetDataRetrievalPolicy, ListProvisionedCapacity, PurchaseProvisionedCapacity, SetDataRetrievalPolicy } from './account';
import {
  AbortVaultLock,
  CompleteVaultLock,
  DeleteVaultAccessPolicy,
  GetVaultAccessPolicy,
  GetVaultLock,
  InitiateVaultLock,
  SetVaultAccessPolicy,
} from './policies';

/** Every routed operation's implementation: one missing here, or one reading a parameter its path lacks, does not compile. */
export const OPERATIONS: OperationTable = {
  CreateVault,
  DescribeVault,
  ListVaults,
  DeleteVault,
  UploadArchive,
  DeleteArchive,
  InitiateMultipartUpload,
  UploadMultipartPart,
  CompleteMultipartUpload,
  AbortMultipartUpload,
  ListMultipartUploads,
  ListParts,
  InitiateJob,
  DescribeJob,
  ListJobs,
  GetJobOutput,
  SetVaultNotifications,
  GetVaultNotifications,
  DeleteVaultNotifications,
  AddTagsToVault,
  RemoveTagsFromVault,
  ListTagsForVault,
  SetDataRetrievalPolicy,
  GetDataRetrievalPolicy,
  PurchaseProvisionedCapacity,
  ListProvisionedCapacity,
  SetVaultAccessPolicy,
  GetVaultAccessPolicy,
  DeleteVaultAccessPolicy,
  InitiateVaultLock,
  CompleteVaultLock,
  AbortVaultLock,
  GetVaultLock,
  'coldvault:ListArchives': ListLiveArchives,
};
