import { Aws, CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { EventType } from 'aws-cdk-lib/aws-s3';
import { LambdaDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';
import { ENV } from '../lambda/config';
import { GlacierApi } from './api';
import { DataPlane } from './data-plane';
import { Functions } from './functions';
import { Monitoring } from './monitoring';
import { RootKey } from './root-key';
import { Schedules } from './schedules';
import type { ColdvaultSettings } from './settings';
import { Storage } from './storage';

export interface ColdvaultStackProps extends StackProps {
  settings: ColdvaultSettings;
}

/**
 * One coldvault environment: storage, root key, functions, the Glacier API, the schedules, and
 * the bucket's restore events that complete retrieval jobs.
 */
export class ColdvaultStack extends Stack {
  /** The environment's settings, `alarmEmails` among them. */
  readonly settings: ColdvaultSettings;
  readonly storage: Storage;
  readonly rootKey: RootKey;
  /** Seals access-key secrets before they reach the table: always, whether or not `kms` encrypts the rest. */
  readonly secretsKey: kms.Key;
  readonly functions: Functions;
  readonly api: GlacierApi;
  readonly schedules: Schedules;
  /** With `dataPlane`: the container data plane. */
  readonly dataPlane?: DataPlane;

  constructor(scope: Construct, id: string, props: ColdvaultStackProps) {
    super(scope, id, props);
    const { settings } = props;
    this.settings = settings;
    const removalPolicy = settings.removalPolicy === 'RETAIN' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    this.storage = new Storage(this, 'Storage', settings);
    this.rootKey = new RootKey(this, 'RootKey', { accessKeyId: settings.rootAccessKeyId });
    this.secretsKey = new kms.Key(this, 'SecretsKey', {
      description: 'coldvault: seals the secrets of access keys before they reach the table',
      enableKeyRotation: true,
      // Deleting the key would make every access key unusable.
      removalPolicy,
    });
    this.functions = new Functions(this, 'Functions', {
      secretsKey: this.secretsKey,
      table: this.storage.table,
      bucket: this.storage.bucket,
      key: this.storage.key,
      rootSecret: this.rootKey.secret,
      storageClass: settings.storageClass,
      logRetentionDays: settings.logRetentionDays,
      removalPolicy,
    });
    const { domainName, certificateArn, hostedZoneId, hostedZoneName } = settings;
    this.api = new GlacierApi(this, 'Api', {
      handler: this.functions.api,
      streamingHandler: this.functions.apiStream,
      stageName: settings.envName,
      throttlingRateLimit: settings.throttlingRateLimit,
      throttlingBurstLimit: settings.throttlingBurstLimit,
      logRetentionDays: settings.logRetentionDays,
      removalPolicy,
      ...(domainName &&
        certificateArn && {
          domain: {
            domainName,
            certificateArn,
            ...(hostedZoneId && hostedZoneName && { hostedZone: { id: hostedZoneId, name: hostedZoneName } }),
          },
        }),
    });
    if (settings.dataPlane) {
      const { dataDomainName, dataCertificateArn } = settings;
      this.dataPlane = new DataPlane(this, 'DataPlane', {
        access: {
          table: this.storage.table,
          bucket: this.storage.bucket,
          key: this.storage.key,
          rootSecret: this.rootKey.secret,
          secretsKey: this.secretsKey,
        },
        environment: this.functions.apiEnvironment,
        maxTasks: settings.dataPlaneMaxTasks,
        logRetentionDays: settings.logRetentionDays,
        removalPolicy,
        ...(dataDomainName &&
          dataCertificateArn && {
            domain: {
              domainName: dataDomainName,
              certificateArn: dataCertificateArn,
              ...(hostedZoneId && hostedZoneName && { hostedZone: { id: hostedZoneId, name: hostedZoneName } }),
            },
          }),
      });
      // Job outputs too large for Lambda's response stream are pointed there.
      this.functions.apiStream.addEnvironment(ENV.dataEndpoint, this.dataPlane.endpoint);
    }
    this.schedules = new Schedules(this, 'Schedules', {
      inventory: this.functions.inventory,
      janitor: this.functions.janitor,
      jobSweeper: this.functions.jobSweeper,
      inventorySchedule: settings.inventorySchedule,
    });
    this.storage.bucket.addEventNotification(EventType.OBJECT_RESTORE_COMPLETED, new LambdaDestination(this.functions.restoreEvents));
    new Monitoring(this, 'Monitoring', {
      functions: this.functions,
      restApi: this.api.restApi,
      table: this.storage.table,
      failureQueue: this.functions.failedInvocations,
      alarmEmails: settings.alarmEmails,
      key: this.storage.key,
      dataPlane: this.dataPlane,
    });
    // CDK's handler that configures the bucket's notifications.
    for (const child of this.node.children.filter((c) => c.node.id.startsWith('BucketNotificationsHandler'))) {
      NagSuppressions.addResourceSuppressions(
        child,
        [
          {
            id: 'AwsSolutions-IAM4',
            reason: "CDK's bucket notifications handler only writes its own logs with AWSLambdaBasicExecutionRole.",
            appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
          },
        ],
        true,
      );
    }

    new CfnOutput(this, 'Endpoint', { value: this.api.endpoint, description: 'Glacier endpoint URL for clients (--endpoint-url)' });
    if (this.api.domainName && !this.api.aliasRecord) {
      new CfnOutput(this, 'DomainTarget', {
        value: this.api.domainName.domainNameAliasDomainName,
        description: `Point ${this.api.customDomainName} here (CNAME or alias record)`,
      });
    }
    if (this.dataPlane) {
      new CfnOutput(this, 'DataEndpoint', {
        value: this.dataPlane.endpoint,
        description: "Glacier endpoint URL of the data plane, with Glacier's own limits (4 GiB bodies, whole job outputs)",
      });
      if (this.dataPlane.endpoint.startsWith('https://') && !this.dataPlane.aliasRecord) {
        new CfnOutput(this, 'DataDomainTarget', {
          value: this.dataPlane.loadBalancer.loadBalancerDnsName,
          description: `Point ${settings.dataDomainName} here (CNAME or alias record)`,
        });
      }
    }
    new CfnOutput(this, 'SecretsKeyId', {
      value: this.secretsKey.keyArn,
      description: 'KMS key that seals access-key secrets (the admin command: --secrets-key)',
    });
    new CfnOutput(this, 'RootKeySecretArn', { value: this.rootKey.secret.secretArn, description: 'Secret holding the root key pair' });
    new CfnOutput(this, 'RootKeyCommand', {
      value: `aws secretsmanager get-secret-value --region ${Aws.REGION} --secret-id ${this.rootKey.secret.secretArn} --query SecretString --output text`,
      description: 'Prints the root key pair {accessKeyId, secretAccessKey}',
    });
  }
}
