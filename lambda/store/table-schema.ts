// The single DynamoDB table's keys, shared by the CDK stack and the local bootstrap.
//
// Items:              pk                                   sk
//   vault             A#{account}                          V#{vaultName}          gsi1: VAULT, {account}#{vaultName}
//   archive           R#{account}#{vaultName}              {archiveId}
//   inventory chunk   I#{account}#{vaultName}              {inventoryId}#{index}
//   upload            M#{account}#{vaultName}              {uploadId}             gsi1: UPLOAD, {lastActivityMs}#...
//   part              P#{account}#{vaultName}#{uploadId}   {index}
//   segment list      G#{account}#{vaultName}              {archiveId}#{chunk}
//   job               J#{account}#{vaultName}              {jobId}                gsi1: JOBDUE, {readyAtMs | recheckAtMs}#... while in progress;
//                                                                                 JOBNOTIFY, {completionMs}#... finished, until notified
//   restore wait      W#{blobKey}                          {account}#{vaultName}#{jobId}   (expires with its job)
//   purge task        Q#{dueMs}#{random}                   -                      gsi1: PURGE, {dueMs}#{random}
//   account setting   C#{account}                          retrievalPolicy | retrievalLedger | capacity   (JSON in `value`)
//   access key        K#{accessKeyId}                      -
//   user              U#{account}                          {userName}

export const TABLE_KEYS = {
  partitionKey: 'pk',
  sortKey: 'sk',
  vaultIndex: 'gsi1',
  vaultIndexPartitionKey: 'gsi1pk',
  vaultIndexSortKey: 'gsi1sk',
  ttlAttribute: 'expiresAt',
} as const;
