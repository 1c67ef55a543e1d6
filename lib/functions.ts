import { join } from 'node:path';
import { Aws, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { ENV, type StorageClass } from '../lambda/config';
import { CONTAINER_MAX_BODY_BYTES as GLACIER_MAX_BODY_BYTES } from '../lambda/local/container-settings';
import { API_BUNDLING, LAMBDA_BUNDLING } from './bundling';
import { MALLOC_TUNING } from './malloc-tuning';

const ROOT = join(__dirname, '..');
/** What reading and writing objects encrypted with the bucket's key takes (deleting and restoring them takes nothing). */
const OBJECT_KEY_ACTIONS = ['kms:Decrypt', 'kms:GenerateDataKey'];
/** Writing an object larger than SINGLE_PUT_MAX_BYTES is a multipart upload, aborted when a part fails. */
const ABORT_UPLOAD_ACTIONS = ['s3:AbortMultipartUpload'];
/** The item operations lambda/store sends: no scans (the admin command's, with its own credentials), batch reads, streams or table description. */
const TABLE_ITEM_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:Query',
  'dynamodb:BatchWriteItem',
];
/** What DynamoDB asks of a table's customer-managed key on the caller's behalf (as much as grantReadWriteData grants on it). */
const TABLE_KEY_ACTIONS = ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'];

export interface FunctionsProps {
  table: dynamodb.ITable;
  bucket: s3.IBucket;
  rootSecret: secretsmanager.ISecret;
  storageClass: StorageClass;
  /** The customer-managed key of the bucket and table, if any: it encrypts the failure queue too. */
  key?: kms.IKey;
  /** The key that seals access-key secrets before they reach the table. */
  secretsKey: kms.IKey;
  logRetentionDays: number;
  /** Of the log groups and failure queue. */
  removalPolicy: RemovalPolicy;
}

/** What the API's code reaches: the table, the bucket, its key and the root key's secret. */
export interface ApiAccess {
  table: dynamodb.ITable;
  bucket: s3.IBucket;
  key?: kms.IKey;
  rootSecret: secretsmanager.ISecret;
  /** The key that seals access-key secrets: serving the API opens them. */
  secretsKey: kms.IKey;
}

/**
 * Jobs notify the topics users name, in the deployment's account and region; never this stack's
 * own topics (the alarm topic), which CloudFormation names after the stack.
 */
function publishStatements(scope: Construct): iam.PolicyStatement[] {
  const stack = Stack.of(scope);
  return [
    new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [stack.formatArn({ service: 'sns', resource: '*' })] }),
    new iam.PolicyStatement({
      effect: iam.Effect.DENY,
      actions: ['sns:Publish'],
      resources: [stack.formatArn({ service: 'sns', resource: `${stack.stackName}-*` })],
    }),
  ];
}

/** Reads and writes the table's items, and nothing else of the table. */
function grantItemAccess(grantee: iam.IGrantable, table: dynamodb.ITable): void {
  table.grant(grantee, ...TABLE_ITEM_ACTIONS);
  table.encryptionKey?.grant(grantee, ...TABLE_KEY_ACTIONS);
}

/**
 * Everything that serves the Glacier API (the api functions, the data plane's tasks) gets
 * exactly this: one grant, so that the planes cannot drift apart.
 */
export function grantApiAccess(grantee: iam.IGrantable, { table, bucket, key, rootSecret, secretsKey }: ApiAccess): void {
  const principal = grantee.grantPrincipal;
  grantItemAccess(grantee, table);
  // Archives and parts in, job outputs out, and restores of archive objects for retrieval jobs.
  principal.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:RestoreObject', ...ABORT_UPLOAD_ACTIONS],
      resources: [bucket.arnForObjects('*')],
    }),
  );
  // Aborting an upload and deleting a multipart archive list the part objects by prefix.
  principal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }));
  // Jobs complete (and notify) during DescribeJob, GetJobOutput and ListJobs, and fail at initiate.
  for (const statement of publishStatements(bucket)) principal.addToPrincipalPolicy(statement);
  // rootKeyFromSecret reads the root key pair; grantRead would add DescribeSecret, which nothing calls.
  principal.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [rootSecret.secretArn] }),
  );
  // Opens the sealed secrets of access keys (the admin command seals them with its own credentials).
  secretsKey.grant(grantee, 'kms:Decrypt');
  if (key) key.grant(grantee, ...OBJECT_KEY_ACTIONS);
}

interface NodeFunctionProps {
  memorySize: number;
  timeout: Duration;
  environment: Record<string, string>;
  /** Asynchronous invocations that still fail after their retries go to the failure queue. */
  async?: { retryAttempts: number };
  logRetentionDays: number;
  removalPolicy: RemovalPolicy;
}

/**
 * The api function (behind API Gateway); the inventory, janitor and job sweeper functions (on
 * schedules); and the function S3 calls when a restore completes. Each has only the access it uses.
 */
export class Functions extends Construct {
  readonly api: NodejsFunction;
  /** The api function's streaming twin, for GetJobOutput: same code path, same access. */
  readonly apiStream: NodejsFunction;
  /** What the api function is configured with; the data plane's tasks take the same. */
  readonly apiEnvironment: Record<string, string>;
  readonly inventory: NodejsFunction;
  readonly janitor: NodejsFunction;
  readonly jobSweeper: NodejsFunction;
  readonly restoreEvents: NodejsFunction;
  /** Events of asynchronous invocations that failed: a lost restore event would leave its jobs waiting for ever. */
  readonly failedInvocations: sqs.Queue;

  constructor(scope: Construct, id: string, props: FunctionsProps) {
    super(scope, id);
    const { table, bucket, key } = props;
    const environment = {
      [ENV.accountId]: Aws.ACCOUNT_ID,
      [ENV.region]: Aws.REGION,
      [ENV.table]: table.tableName,
      [ENV.bucket]: bucket.bucketName,
      [ENV.storageClass]: props.storageClass,
      NODE_OPTIONS: '--enable-source-maps',
      ...MALLOC_TUNING,
    };
    const logging = { logRetentionDays: props.logRetentionDays, removalPolicy: props.removalPolicy };
    this.failedInvocations = new sqs.Queue(this, 'FailedInvocations', {
      ...(key ? { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: key } : { encryption: sqs.QueueEncryption.SQS_MANAGED }),
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.removalPolicy,
    });
    NagSuppressions.addResourceSuppressions(this.failedInvocations, [
      {
        id: 'AwsSolutions-SQS3',
        reason:
          'This queue is where failed invocation events end up; nothing consumes it automatically, so it needs no dead-letter queue of its own.',
      },
      {
        id: 'Serverless-SQSRedrivePolicy',
        reason: 'This queue is where failed invocation events end up; nothing consumes it automatically, so it needs no redrive policy.',
      },
    ]);
    const objects = (...actions: string[]) => new iam.PolicyStatement({ actions, resources: [bucket.arnForObjects('*')] });
    const listBucket = () => new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] });
    const apiAccess: ApiAccess = { table, bucket, key, rootSecret: props.rootSecret, secretsKey: props.secretsKey };
    const apiEnvironment = { ...environment, [ENV.rootSecretArn]: props.rootSecret.secretArn, [ENV.secretsKeyId]: props.secretsKey.keyArn };
    this.apiEnvironment = apiEnvironment;

    this.api = this.nodeFunction('Api', 'api.ts', {
      memorySize: 1024,
      // API Gateway gives up on an integration after 29 seconds.
      timeout: Duration.seconds(29),
      environment: apiEnvironment,
      ...logging,
    });
    grantApiAccess(this.api, apiAccess);
    // GetJobOutput through API Gateway's response streaming: a stream may last 15 minutes.
    this.apiStream = this.nodeFunction('ApiStream', 'api-stream.ts', {
      memorySize: 1024,
      timeout: Duration.minutes(15),
      // Only GetJobOutput reaches it: a GET without a body (API Gateway refuses bodies over 10 MB
      // before any function runs). What limits its answers is the response stream, which the
      // handler enforces, naming Range and the data plane; the endpoint's body limit must not come first.
      environment: { ...apiEnvironment, [ENV.maxBodyBytes]: String(GLACIER_MAX_BODY_BYTES) },
      ...logging,
    });
    grantApiAccess(this.apiStream, apiAccess);

    this.inventory = this.nodeFunction('Inventory', 'inventory.ts', {
      memorySize: 512,
      timeout: Duration.minutes(15),
      environment,
      async: { retryAttempts: 2 },
      ...logging,
    });
    grantItemAccess(this.inventory, table);

    this.janitor = this.nodeFunction('Janitor', 'janitor.ts', {
      memorySize: 512,
      timeout: Duration.minutes(15),
      environment,
      async: { retryAttempts: 2 },
      ...logging,
    });
    grantItemAccess(this.janitor, table);
    this.janitor.addToRolePolicy(listBucket());
    // Deferred deletions: archive objects, part objects and job outputs.
    this.janitor.addToRolePolicy(objects('s3:DeleteObject'));

    // Completing a job reads archive objects (the tree hash of a range), writes inventory outputs and notifies.
    const jobCompletion = () => [objects('s3:GetObject', 's3:PutObject', ...ABORT_UPLOAD_ACTIONS), ...publishStatements(this)];
    this.jobSweeper = this.nodeFunction('JobSweeper', 'job-sweeper.ts', {
      memorySize: 1024,
      timeout: Duration.minutes(5),
      environment,
      // The next minute's run does the same work.
      async: { retryAttempts: 0 },
      ...logging,
    });
    grantItemAccess(this.jobSweeper, table);
    for (const statement of jobCompletion()) this.jobSweeper.addToRolePolicy(statement);
    // Its re-check of jobs whose restores S3 never reported asks again for a restore that never started.
    this.jobSweeper.addToRolePolicy(objects('s3:RestoreObject'));
    // An inventory job it completes while another completion finishes it first: its own output goes.
    this.jobSweeper.addToRolePolicy(objects('s3:DeleteObject'));
    if (key) key.grant(this.jobSweeper, ...OBJECT_KEY_ACTIONS);

    this.restoreEvents = this.nodeFunction('RestoreEvents', 'restore-events.ts', {
      memorySize: 1024,
      timeout: Duration.minutes(5),
      environment,
      async: { retryAttempts: 2 },
      ...logging,
    });
    grantItemAccess(this.restoreEvents, table);
    for (const statement of jobCompletion()) this.restoreEvents.addToRolePolicy(statement);
    if (key) key.grant(this.restoreEvents, ...OBJECT_KEY_ACTIONS);
    this.acknowledgeNagFindings();
  }

  private nodeFunction(
    id: string,
    handlerFile: string,
    { async, logRetentionDays, removalPolicy, ...props }: NodeFunctionProps,
  ): NodejsFunction {
    const logGroup = new logs.LogGroup(this, `${id}Logs`, { retention: logRetentionDays as logs.RetentionDays, removalPolicy });
    return new NodejsFunction(this, id, {
      entry: join(ROOT, 'lambda', 'handlers', handlerFile),
      handler: 'handler',
      projectRoot: ROOT,
      depsLockFilePath: join(ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_22_X,
      // X-Ray records each invocation: its initialisation, its run and its errors.
      tracing: lambda.Tracing.ACTIVE,
      architecture: lambda.Architecture.ARM_64,
      bundling: id === 'Api' ? API_BUNDLING : LAMBDA_BUNDLING,
      logGroup,
      ...(async && { onFailure: new SqsDestination(this.failedInvocations), retryAttempts: async.retryAttempts }),
      ...props,
    });
  }

  /** Called once every grant is made: suppressions only reach the policies that exist by then. */
  private acknowledgeNagFindings(): void {
    const wildcard = (pattern: string) => ({ regex: `/^${pattern}$/` });
    for (const fn of [this.api, this.apiStream, this.inventory, this.janitor, this.jobSweeper, this.restoreEvents]) {
      const async = fn !== this.api && fn !== this.apiStream;
      NagSuppressions.addResourceSuppressions(
        fn,
        [
          {
            id: 'AwsSolutions-IAM4',
            reason: 'AWSLambdaBasicExecutionRole only lets the function write its own logs.',
            appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
          },
          {
            id: 'AwsSolutions-IAM5',
            reason:
              'Object actions apply to the objects of the one archive bucket (vaults and archives are created at run time); index/* is the indexes of the one table; ' +
              'sns:Publish goes to the topics users name in their vault notifications, within this account and region; the KMS actions with wildcards are what CDK grants for the one key of the table and queue; ' +
              "X-Ray's PutTraceSegments and PutTelemetryRecords take no resource.",
            appliesTo: [
              wildcard('Resource::<[A-Za-z0-9]+\\.Arn>/\\*'),
              wildcard('Resource::<[A-Za-z0-9]+\\.Arn>/index/\\*'),
              'Resource::arn:<AWS::Partition>:sns:<AWS::Region>:<AWS::AccountId>:*',
              'Action::kms:ReEncrypt*',
              'Action::kms:GenerateDataKey*',
              'Resource::*',
            ],
          },
          { id: 'AwsSolutions-L1', reason: 'The functions target nodejs22.x, the runtime the bundles are built and tested for.' },
          {
            id: 'Serverless-LambdaLatestVersion',
            reason: 'The functions target nodejs22.x, the runtime the bundles are built and tested for.',
          },
          {
            id: 'Serverless-LambdaDLQ',
            reason: async
              ? 'Failed asynchronous invocations go to an on-failure destination (the failure queue), which keeps more than a dead-letter queue would.'
              : 'API Gateway invokes this function synchronously and receives its errors; a dead-letter queue only applies to asynchronous invocations.',
          },
        ],
        true,
      );
    }
  }
}
