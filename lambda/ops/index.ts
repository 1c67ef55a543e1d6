import type { Operation } from './operation';
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

/** The operations built so far; a routed operation missing here answers NotImplementedException. */
export const OPERATIONS: Readonly<Record<string, Operation>> = {
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
};
