// The single DynamoDB table's keys, shared by the CDK stack and the local bootstrap.
//
// Items:              pk                                   sk                     list, listOrder (index `lists`)
//   vault             A#{account}                          V#{vaultName}          list VAULT, {account}#{vaultName}
//   archive           R#{account}#{vaultName}              {archiveId}
//   inventory chunk   I#{account}#{vaultName}              {inventoryId}#{index}
//   upload            M#{account}#{vaultName}              {uploadId}             list UPLOAD, {lastActivityMs}#...
//   part              P#{account}#{vaultName}#{uploadId}   {index}
//   segment list      G#{account}#{vaultName}              {archiveId}#{chunk}
//   job               J#{account}#{vaultName}              {jobId}                list JOBDUE, {readyAtMs | recheckAtMs}#... while in progress;
//                                                                                 JOBNOTIFY, {completionMs}#... finished, until notified
//   restore wait      W#{blobKey}                          {account}#{vaultName}#{jobId}   (expires with its job)
//   purge task        Q#{dueMs}#{random}                   -                      list PURGE, {dueMs}#{random}
//   account setting   C#{account}                          retrievalPolicy | retrievalLedger | capacity   (JSON in `value`)
//   access key        K#{accessKeyId}                      -
//   user              U#{account}                          {userName}

export const TABLE_KEYS = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /**
   * The index of work lists: every vault (inventory), uploads by last activity (janitor), jobs
   * by due time and finished jobs to notify (sweeper), purge tasks by due time. An item's
   * `list` names the list it is in, `listOrder` its place there.
   */
  listIndex: 'lists',
  listKey: 'list',
  listOrderKey: 'listOrder',
  ttlAttribute: 'expiresAt',
} as const;
