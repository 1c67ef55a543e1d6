import { join } from 'node:path';
import { Aws, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { StorageClass } from '../lambda/config';
import { LAMBDA_BUNDLING } from './bundling';

const ROOT = join(__dirname, '..');

export interface FunctionsProps {
  table: dynamodb.ITable;
  bucket: s3.IBucket;
  rootSecret: secretsmanager.ISecret;
  storageClass: StorageClass;
}

interface NodeFunctionProps {
  memorySize: number;
  timeout: Duration;
  environment: Record<string, string>;
  /** Asynchronous invocations that still fail after their retries go to the failure queue. */
  async?: { retryAttempts: number };
}

/**
 * The api function (behind API Gateway); the inventory, janitor and job sweeper functions (on
 * schedules); and the function S3 calls when a restore completes. Each has only the access it uses.
 */
export class Functions extends Construct {
  readonly api: NodejsFunction;
  readonly inventory: NodejsFunction;
  readonly janitor: NodejsFunction;
  readonly jobSweeper: NodejsFunction;
  readonly restoreEvents: NodejsFunction;
  /** Events of asynchronous invocations that failed: a lost restore event would leave its jobs waiting for ever. */
  readonly failedInvocations: sqs.Queue;

  constructor(scope: Construct, id: string, props: FunctionsProps) {
    super(scope, id);
    const { table, bucket } = props;
    const environment = {
      COLDVAULT_ACCOUNT_ID: Aws.ACCOUNT_ID,
      COLDVAULT_REGION: Aws.REGION,
      COLDVAULT_TABLE: table.tableName,
      COLDVAULT_BUCKET: bucket.bucketName,
      COLDVAULT_STORAGE_CLASS: props.storageClass,
      NODE_OPTIONS: '--enable-source-maps',
    };
    this.failedInvocations = new sqs.Queue(this, 'FailedInvocations', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    // Jobs notify the topics users name, in the deployment's account and region.
    const publish = () => new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [Stack.of(this).formatArn({ service: 'sns', resource: '*' })] });
    const objects = (...actions: string[]) => new iam.PolicyStatement({ actions, resources: [bucket.arnForObjects('*')] });
    const listBucket = () => new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] });

    this.api = this.nodeFunction('Api', 'api.ts', {
      memorySize: 1024,
      // API Gateway gives up on an integration after 29 seconds.
      timeout: Duration.seconds(29),
      environment: { ...environment, COLDVAULT_ROOT_SECRET_ARN: props.rootSecret.secretArn },
    });
    table.grantReadWriteData(this.api);
    // Archives and parts in, job outputs out, and restores of archive objects for retrieval jobs.
    this.api.addToRolePolicy(objects('s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:RestoreObject'));
    // Aborting an upload and deleting a multipart archive list the part objects by prefix.
    this.api.addToRolePolicy(listBucket());
    // Jobs complete (and notify) during DescribeJob, GetJobOutput and ListJobs, and fail at initiate.
    this.api.addToRolePolicy(publish());
    props.rootSecret.grantRead(this.api);

    this.inventory = this.nodeFunction('Inventory', 'inventory.ts', { memorySize: 512, timeout: Duration.minutes(15), environment, async: { retryAttempts: 2 } });
    table.grantReadWriteData(this.inventory);

    this.janitor = this.nodeFunction('Janitor', 'janitor.ts', { memorySize: 512, timeout: Duration.minutes(15), environment, async: { retryAttempts: 2 } });
    table.grantReadWriteData(this.janitor);
    this.janitor.addToRolePolicy(listBucket());
    // Deferred deletions: archive objects, part objects and job outputs.
    this.janitor.addToRolePolicy(objects('s3:DeleteObject'));

    // Completing a job reads archive objects (the tree hash of a range), writes inventory outputs and notifies.
    const jobCompletion = () => [objects('s3:GetObject', 's3:PutObject'), publish()];
    this.jobSweeper = this.nodeFunction('JobSweeper', 'job-sweeper.ts', {
      memorySize: 1024,
      timeout: Duration.minutes(5),
      environment,
      // The next minute's run does the same work.
      async: { retryAttempts: 0 },
    });
    table.grantReadWriteData(this.jobSweeper);
    for (const statement of jobCompletion()) this.jobSweeper.addToRolePolicy(statement);

    this.restoreEvents = this.nodeFunction('RestoreEvents', 'restore-events.ts', { memorySize: 1024, timeout: Duration.minutes(5), environment, async: { retryAttempts: 2 } });
    table.grantReadWriteData(this.restoreEvents);
    for (const statement of jobCompletion()) this.restoreEvents.addToRolePolicy(statement);
  }

  private nodeFunction(id: string, handlerFile: string, { async, ...props }: NodeFunctionProps): NodejsFunction {
    const logGroup = new logs.LogGroup(this, `${id}Logs`, { retention: logs.RetentionDays.THREE_MONTHS, removalPolicy: RemovalPolicy.DESTROY });
    return new NodejsFunction(this, id, {
      entry: join(ROOT, 'lambda', 'handlers', handlerFile),
      handler: 'handler',
      projectRoot: ROOT,
      depsLockFilePath: join(ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      bundling: LAMBDA_BUNDLING,
      logGroup,
      ...(async && { onFailure: new SqsDestination(this.failedInvocations), retryAttempts: async.retryAttempts }),
      ...props,
    });
  }
}
