// The Location headers of created resources: the path each is read back at.

export function vaultLocation(accountId: string, vaultName: string): string {
  return `/${accountId}/vaults/${vaultName}`;
}

export function archiveLocation(accountId: string, vaultName: string, archiveId: string): string {
  return `${vaultLocation(accountId, vaultName)}/archives/${archiveId}`;
}

export function uploadLocation(accountId: string, vaultName: string, uploadId: string): string {
  return `${vaultLocation(accountId, vaultName)}/multipart-uploads/${uploadId}`;
}

export function jobLocation(accountId: string, vaultName: string, jobId: string): string {
  return `${vaultLocation(accountId, vaultName)}/jobs/${jobId}`;
}
