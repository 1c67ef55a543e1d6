import { Aws, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { EventType } from 'aws-cdk-lib/aws-s3';
import { LambdaDestination } from 'aws-cdk-lib/aws-s3-notifications';
import type { Construct } from 'constructs';
import { GlacierApi } from './api';
import { Functions } from './functions';
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
  readonly storage: Storage;
  readonly rootKey: RootKey;
  readonly functions: Functions;
  readonly api: GlacierApi;
  readonly schedules: Schedules;

  constructor(scope: Construct, id: string, props: ColdvaultStackProps) {
    super(scope, id, props);
    const { settings } = props;
    this.storage = new Storage(this, 'Storage');
    this.rootKey = new RootKey(this, 'RootKey', { accessKeyId: settings.rootAccessKeyId });
    this.functions = new Functions(this, 'Functions', {
      table: this.storage.table,
      bucket: this.storage.bucket,
      rootSecret: this.rootKey.secret,
      storageClass: settings.storageClass,
    });
    this.api = new GlacierApi(this, 'Api', { handler: this.functions.api, stageName: settings.envName });
    this.schedules = new Schedules(this, 'Schedules', {
      inventory: this.functions.inventory,
      janitor: this.functions.janitor,
      jobSweeper: this.functions.jobSweeper,
    });
    this.storage.bucket.addEventNotification(EventType.OBJECT_RESTORE_COMPLETED, new LambdaDestination(this.functions.restoreEvents));

    new CfnOutput(this, 'Endpoint', { value: this.api.endpoint, description: 'Glacier endpoint URL for clients (--endpoint-url)' });
    new CfnOutput(this, 'RootKeySecretArn', { value: this.rootKey.secret.secretArn, description: 'Secret holding the root key pair' });
    new CfnOutput(this, 'RootKeyCommand', {
      value: `aws secretsmanager get-secret-value --region ${Aws.REGION} --secret-id ${this.rootKey.secret.secretArn} --query SecretString --output text`,
      description: 'Prints the root key pair {accessKeyId, secretAccessKey}',
    });
  }
}
