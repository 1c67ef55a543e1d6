import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { TABLE_KEYS as K } from '../lambda/store/table-schema';
import type { ColdvaultSettings } from './settings';

export type StorageProps = Pick<
  ColdvaultSettings,
  'removalPolicy' | 'kms' | 'objectLock' | 'objectLockRetentionDays' | 'serverAccessLogs' | 'logRetentionDays'
>;

/**
 * The metadata table, the archive bucket and, when configured, the key encrypting them and the
 * bucket receiving the archive bucket's server access logs.
 */
export class Storage extends Construct {
  readonly table: dynamodb.Table;
  readonly bucket: s3.Bucket;
  readonly key?: kms.Key;
  readonly accessLogsBucket?: s3.Bucket;

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id);
    // Server access logs are delivered under a bucket policy rather than an ACL, whatever the app's feature flags.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    const retain = props.removalPolicy === 'RETAIN';
    const removalPolicy = retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    if (props.kms) {
      this.key = new kms.Key(this, 'Key', {
        description: 'coldvault: encrypts archives, metadata (with the secrets of access keys) and failed invocation events',
        enableKeyRotation: true,
        // Deleting the key would make every archive and item it encrypted unreadable.
        removalPolicy,
      });
    }

    // Keep in step with ensureTable in lambda/local/embedded-stores.ts (a test compares them).
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: K.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: K.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: K.ttlAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: retain,
      removalPolicy,
      ...(this.key && { encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED, encryptionKey: this.key }),
    });
    this.table.addGlobalSecondaryIndex({
      indexName: K.listIndex,
      partitionKey: { name: K.listKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: K.listOrderKey, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });

    if (props.serverAccessLogs) {
      this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        enforceSSL: true,
        // Server access logging cannot deliver to a bucket encrypted with a customer-managed key.
        encryption: s3.BucketEncryption.S3_MANAGED,
        lifecycleRules: [{ id: 'expire-logs', expiration: Duration.days(props.logRetentionDays) }],
        removalPolicy,
        autoDeleteObjects: !retain,
      });
      NagSuppressions.addResourceSuppressions(this.accessLogsBucket, [
        {
          id: 'AwsSolutions-S1',
          reason: 'This bucket receives the server access logs of the archive bucket; logging its own access would log the logging.',
        },
      ]);
    }

    const lockedDays = props.objectLockRetentionDays ?? 0;
    this.bucket = new s3.Bucket(this, 'Archives', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // A bucket key spares one KMS request per object operation.
      ...(this.key
        ? { encryption: s3.BucketEncryption.KMS, encryptionKey: this.key, bucketKeyEnabled: true }
        : { encryption: s3.BucketEncryption.S3_MANAGED }),
      ...(props.objectLock && {
        // Object Lock works on object versions: it needs versioning, which is otherwise off.
        versioned: true,
        objectLockEnabled: true,
        objectLockDefaultRetention:
          props.objectLock === 'COMPLIANCE'
            ? s3.ObjectLockRetention.compliance(Duration.days(lockedDays))
            : s3.ObjectLockRetention.governance(Duration.days(lockedDays)),
      }),
      ...(this.accessLogsBucket && { serverAccessLogsBucket: this.accessLogsBucket, serverAccessLogsPrefix: 'archives/' }),
      lifecycleRules: [
        { id: 'abort-incomplete-multipart-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
        // A deleted archive leaves a locked version behind: remove it once its retention has passed.
        ...(props.objectLock
          ? [{ id: 'expire-deleted-versions', noncurrentVersionExpiration: Duration.days(lockedDays), expiredObjectDeleteMarker: true }]
          : []),
      ],
      removalPolicy,
      // A throwaway environment empties its bucket on delete.
      autoDeleteObjects: !retain,
    });
    if (!this.accessLogsBucket) {
      NagSuppressions.addResourceSuppressions(this.bucket, [
        { id: 'AwsSolutions-S1', reason: 'Server access logs are off in this environment ("serverAccessLogs": false).' },
      ]);
    }
  }
}
