// The single DynamoDB table's keys, shared by the CDK stack and the local bootstrap.
//
// Items:                pk                          sk
//   vault               A#{account}                 V#{vaultName}      (gsi1pk VAULT, gsi1sk {account}#{vaultName})
//   archive             R#{account}#{vaultName}     {archiveId}
//   inventory chunk     I#{account}#{vaultName}     {inventoryId}#{index}

export const TABLE_KEYS = {
  partitionKey: 'pk',
  sortKey: 'sk',
  vaultIndex: 'gsi1',
  vaultIndexPartitionKey: 'gsi1pk',
  vaultIndexSortKey: 'gsi1sk',
  ttlAttribute: 'expiresAt',
} as const;
