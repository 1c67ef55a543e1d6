import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTableCommand, DynamoDBClient, type TableDescription } from '@aws-sdk/client-dynamodb';
import { App, type CfnResource } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Construct } from 'constructs';
import { readConfig } from '../../lambda/config';
import { ALL_ROUTES, ROUTES } from '../../lambda/http/routes';
import { ensureTable, startEmbeddedStores } from '../../lambda/local/embedded-stores';
import { TABLE_KEYS } from '../../lambda/store/table-schema';
import { ColdvaultStack } from '../../lib/coldvault-stack';
import { readSettings } from '../../lib/settings';

type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

let outdir: string;
let stack: ColdvaultStack;
let template: Template;
let resources: Record<string, Resource>;
const logicalId = (construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as CfnResource);
const ofType = (type: string) => Object.entries(resources).filter(([, resource]) => resource.Type === type);
const functionsByName = () => {
  const { api, apiStream, inventory, janitor, jobSweeper, restoreEvents } = stack.functions;
  return { api, apiStream, inventory, janitor, jobSweeper, restoreEvents };
};

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'coldvault-cdk-'));
  const app = new App({ outdir, context: { env: 'dev', storageClass: 'DEEP_ARCHIVE' } });
  stack = new ColdvaultStack(app, 'coldvault-dev', { settings: readSettings(app.node) });
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources;
});

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('table', () => {
  it('has the keys, index, TTL, backups and billing of the schema, and goes with the dev stack', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Delete',
      Properties: {
        KeySchema: [
          { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' },
          { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: TABLE_KEYS.listIndex,
            KeySchema: [
              { AttributeName: TABLE_KEYS.listKey, KeyType: 'HASH' },
              { AttributeName: TABLE_KEYS.listOrderKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: TABLE_KEYS.ttlAttribute, Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: false,
        SSESpecification: Match.absent(),
      },
    });
  });

  it('matches the table the local bootstrap creates', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coldvault-infra-'));
    const stores = await startEmbeddedStores(dir, 'unused');
    let local: TableDescription | undefined;
    try {
      const db = new DynamoDBClient({
        region: 'us-east-1',
        endpoint: stores.dynamoEndpoint,
        credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      });
      await ensureTable(db, 'coldvault');
      local = (await db.send(new DescribeTableCommand({ TableName: 'coldvault' }))).Table;
      db.destroy();
    } finally {
      await stores.close();
      rmSync(dir, { recursive: true, force: true });
    }
    const [[, deployed]] = ofType('AWS::DynamoDB::Table');
    const byName = (a: { AttributeName?: string }, b: { AttributeName?: string }) =>
      String(a.AttributeName).localeCompare(String(b.AttributeName));
    expect([...(deployed.Properties.AttributeDefinitions as [])].sort(byName)).toEqual(
      [...(local?.AttributeDefinitions ?? [])].sort(byName),
    );
    expect(deployed.Properties.KeySchema).toEqual(local?.KeySchema);
    expect(deployed.Properties.BillingMode).toBe(local?.BillingModeSummary?.BillingMode);
    const localIndexes = (local?.GlobalSecondaryIndexes ?? []).map(({ IndexName, KeySchema, Projection }) => ({
      IndexName,
      KeySchema,
      Projection,
    }));
    expect(deployed.Properties.GlobalSecondaryIndexes).toEqual(localIndexes);
  });
});

describe('bucket', () => {
  it('blocks public access, encrypts with S3-managed keys, aborts stale multipart uploads, and is emptied and deleted with the dev stack', () => {
    template.resourceCountIs('AWS::S3::Bucket', 1);
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Delete',
      Properties: {
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        LifecycleConfiguration: {
          Rules: [
            { Id: 'abort-incomplete-multipart-uploads', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 }, Status: 'Enabled' },
          ],
        },
        VersioningConfiguration: Match.absent(),
        ObjectLockEnabled: Match.absent(),
        LoggingConfiguration: Match.absent(),
      },
    });
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 1);
    template.hasResourceProperties('Custom::S3AutoDeleteObjects', { BucketName: { Ref: logicalId(stack.storage.bucket) } });
  });

  it('denies every request not made over TLS', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logicalId(stack.storage.bucket) },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });
});

describe('root key secret', () => {
  it('generates a 40-character secret access key next to the configured access key ID', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: {
        SecretStringTemplate: JSON.stringify({ accessKeyId: 'AKIDCOLDVAULTDEV' }),
        GenerateStringKey: 'secretAccessKey',
        ExcludePunctuation: true,
        PasswordLength: 40,
      },
    });
  });

  it('is output with the command that reads it, next to the endpoint', () => {
    const secret = { Ref: logicalId(stack.rootKey.secret) };
    template.hasOutput('RootKeySecretArn', { Value: secret });
    template.hasOutput('RootKeyCommand', {
      Value: { 'Fn::Join': ['', Match.arrayWith(['aws secretsmanager get-secret-value --region ', secret])] },
    });
    template.hasOutput('Endpoint', {
      Value: {
        'Fn::Join': [
          '',
          Match.arrayWith(['https://', { Ref: logicalId(stack.api.restApi) }, '/', { Ref: logicalId(stack.api.restApi.deploymentStage) }]),
        ],
      },
    });
    expect(Object.keys(template.toJSON().Outputs).sort()).toEqual(['Endpoint', 'RootKeyCommand', 'RootKeySecretArn', 'SecretsKeyId']);
  });
});

describe('functions', () => {
  const common = () => ({
    COLDVAULT_ACCOUNT_ID: { Ref: 'AWS::AccountId' },
    COLDVAULT_REGION: { Ref: 'AWS::Region' },
    COLDVAULT_TABLE: { Ref: logicalId(stack.storage.table) },
    COLDVAULT_BUCKET: { Ref: logicalId(stack.storage.bucket) },
    COLDVAULT_STORAGE_CLASS: 'DEEP_ARCHIVE',
    NODE_OPTIONS: '--enable-source-maps',
    GLIBC_TUNABLES: 'glibc.malloc.trim_threshold=268435456:glibc.malloc.mmap_threshold=33554432',
  });
  const all = () => Object.values(functionsByName());

  it('runs the api function on nodejs22.x arm64 with the configuration it reads', () => {
    const fn = resources[logicalId(stack.functions.api)].Properties;
    expect(fn).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], MemorySize: 1024, Timeout: 29, Handler: 'index.handler' });
    expect((fn.Environment as { Variables: unknown }).Variables).toEqual({
      ...common(),
      COLDVAULT_ROOT_SECRET_ARN: { Ref: logicalId(stack.rootKey.secret) },
      COLDVAULT_SECRETS_KEY_ID: { 'Fn::GetAtt': [logicalId(stack.secretsKey), 'Arn'] },
    });
  });

  it.each([
    ['inventory', 512, 900],
    ['janitor', 512, 900],
    ['jobSweeper', 1024, 300],
    ['restoreEvents', 1024, 300],
  ] as const)(
    'runs the %s function on nodejs22.x arm64 with %i MB for up to %i seconds, with the api configuration but not the root key',
    (name, memory, timeout) => {
      const fn = resources[logicalId(stack.functions[name])].Properties;
      expect(fn).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        MemorySize: memory,
        Timeout: timeout,
        Handler: 'index.handler',
      });
      expect((fn.Environment as { Variables: unknown }).Variables).toEqual(common());
    },
  );

  it('deploys only the coldvault functions, and the bucket notification and (dev) bucket emptying handlers of CDK', () => {
    const ours = new Set(all().map((fn) => logicalId(fn)));
    expect(ours.size).toBe(6);
    const others = ofType('AWS::Lambda::Function').filter(([id]) => !ours.has(id));
    expect(others.map(([, fn]) => JSON.stringify(fn.Properties.Description)).sort()).toEqual([
      expect.stringContaining('Custom::S3BucketNotifications'),
      expect.stringContaining('Lambda function for auto-deleting objects'),
    ]);
  });

  it('gives each function its own log group', () => {
    const groups = all().map((fn) => {
      const config = resources[logicalId(fn)].Properties.LoggingConfig as { LogGroup: unknown };
      return JSON.stringify(config.LogGroup);
    });
    expect(new Set(groups).size).toBe(6);
    for (const group of groups) expect(ofType('AWS::Logs::LogGroup').map(([id]) => JSON.stringify({ Ref: id }))).toContain(group);
  });

  it('sets an environment that readConfig accepts, retrieving by restore for a cold storage class', () => {
    const variables = (resources[logicalId(stack.functions.api)].Properties.Environment as { Variables: Record<string, unknown> })
      .Variables;
    const resolved: Record<string, string> = {};
    for (const [name, value] of Object.entries(variables)) {
      const ref = (value as { Ref?: string }).Ref;
      resolved[name] = ref === 'AWS::AccountId' ? '210987654321' : ref === 'AWS::Region' ? 'eu-west-1' : (ref ?? (value as string));
    }
    const config = readConfig(resolved);
    expect(config).toMatchObject({
      accountId: '210987654321',
      region: 'eu-west-1',
      tableName: logicalId(stack.storage.table),
      bucketName: logicalId(stack.storage.bucket),
      storageClass: 'DEEP_ARCHIVE',
      rootSecretArn: logicalId(stack.rootKey.secret),
      retrieval: 'restore',
    });
  });
});

describe('failed asynchronous invocations', () => {
  const queueArn = () => ({ 'Fn::GetAtt': [logicalId(stack.functions.failedInvocations), 'Arn'] });
  const invokeConfigOf = (fn: NodejsFunction) =>
    ofType('AWS::Lambda::EventInvokeConfig')
      .filter(([, config]) => JSON.stringify(config.Properties.FunctionName) === JSON.stringify({ Ref: logicalId(fn) }))
      .map(([, config]) => config.Properties);

  it('are kept 14 days in one encrypted queue that refuses requests not made over TLS', () => {
    template.resourceCountIs('AWS::SQS::Queue', 1);
    expect(resources[logicalId(stack.functions.failedInvocations)].Properties).toEqual({
      MessageRetentionPeriod: 14 * 24 * 3600,
      SqsManagedSseEnabled: true,
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: logicalId(stack.functions.failedInvocations) }],
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sqs:*',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ],
      },
    });
  });

  it.each([
    ['restoreEvents', 2],
    ['inventory', 2],
    ['janitor', 2],
    // Runs every minute: the next run does the work a retry would.
    ['jobSweeper', 0],
  ] as const)('of the %s function go to the queue after %i retries', (name, retries) => {
    expect(invokeConfigOf(stack.functions[name])).toEqual([
      {
        FunctionName: { Ref: logicalId(stack.functions[name]) },
        Qualifier: '$LATEST',
        MaximumRetryAttempts: retries,
        DestinationConfig: { OnFailure: { Destination: queueArn() } },
      },
    ]);
  });

  it('do not concern the api function, which API Gateway invokes synchronously', () => {
    expect(invokeConfigOf(stack.functions.api)).toEqual([]);
    template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 4);
  });
});

describe('least privilege', () => {
  const roleOf = (fn: NodejsFunction) => {
    if (!fn.role) throw new Error(`${fn.node.path} has no role`);
    return logicalId(fn.role);
  };
  function statementsOf(fn: NodejsFunction): Statement[] {
    const roleId = roleOf(fn);
    return ofType('AWS::IAM::Policy')
      .filter(([, policy]) => JSON.stringify(policy.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
      .flatMap(([, policy]) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
  }
  const actions = (statements: Statement[]) => statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
  const bucketArn = () => ({ 'Fn::GetAtt': [logicalId(stack.storage.bucket), 'Arn'] });
  const tableResources = () => [
    { 'Fn::GetAtt': [logicalId(stack.storage.table), 'Arn'] },
    { 'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalId(stack.storage.table), 'Arn'] }, '/index/*']] },
  ];

  /** Every action granted outside the table, as `action on resource`, with the resources this stack defines named. */
  function grants(fn: NodejsFunction): string[] {
    const named: [string, unknown][] = [
      ['bucket', bucketArn()],
      ['objects', { 'Fn::Join': ['', [bucketArn(), '/*']] }],
      [
        'topics',
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sns:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':*']] },
      ],
      ['failure queue', { 'Fn::GetAtt': [logicalId(stack.functions.failedInvocations), 'Arn'] }],
      ['root key', { Ref: logicalId(stack.rootKey.secret) }],
      ['secrets key', { 'Fn::GetAtt': [logicalId(stack.secretsKey), 'Arn'] }],
    ];
    const nameOf = (resource: unknown) =>
      named.find(([, value]) => JSON.stringify(value) === JSON.stringify(resource))?.[0] ?? JSON.stringify(resource);
    return statementsOf(fn)
      .filter((s) => s.Effect === 'Allow' && !actions([s]).every((a) => a.startsWith('dynamodb:')))
      .flatMap((s) =>
        actions([s]).flatMap((a) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]).map((r) => `${a} on ${nameOf(r)}`)),
      )
      .sort();
  }

  const tracing = ['xray:PutTelemetryRecords on "*"', 'xray:PutTraceSegments on "*"'];
  const failureQueue = [
    'sqs:GetQueueAttributes on failure queue',
    'sqs:GetQueueUrl on failure queue',
    'sqs:SendMessage on failure queue',
    ...tracing,
  ];
  const jobCompletion = [
    's3:GetObject on objects',
    's3:PutObject on objects',
    's3:AbortMultipartUpload on objects',
    'sns:Publish on topics',
  ];
  const apiGrants = [
    's3:AbortMultipartUpload on objects',
    's3:DeleteObject on objects',
    's3:GetObject on objects',
    's3:ListBucket on bucket',
    's3:PutObject on objects',
    's3:RestoreObject on objects',
    'secretsmanager:GetSecretValue on root key',
    'kms:Decrypt on secrets key',
    'sns:Publish on topics',
    ...tracing,
  ];
  const expected: Record<keyof ReturnType<typeof functionsByName>, string[]> = {
    api: apiGrants,
    // The same code path, for GetJobOutput: the same access.
    apiStream: apiGrants,
    inventory: failureQueue,
    janitor: ['s3:DeleteObject on objects', 's3:ListBucket on bucket', ...failureQueue],
    jobSweeper: [...jobCompletion, 's3:RestoreObject on objects', 's3:DeleteObject on objects', ...failureQueue],
    restoreEvents: [...jobCompletion, ...failureQueue],
  };

  it('gives every function a role of its own with only the basic execution managed policy', () => {
    const fns = Object.values(functionsByName());
    expect(new Set(fns.map(roleOf)).size).toBe(fns.length);
    for (const fn of fns) {
      const role = resources[roleOf(fn)];
      expect(JSON.stringify(role.Properties.ManagedPolicyArns)).toMatch(/AWSLambdaBasicExecutionRole"/);
      expect(role.Properties.ManagedPolicyArns).toHaveLength(1);
    }
  });

  it.each(Object.keys(expected) as (keyof typeof expected)[])(
    'grants the %s function exactly what its code calls outside the table',
    (name) => {
      expect(grants(stack.functions[name])).toEqual([...expected[name]].sort());
    },
  );

  // A job completion that loses the race to finish its job (to the api function's DescribeJob, or
  // to an overlapping sweep) deletes the inventory output it wrote (completeJob).
  it('lets the job sweeper delete the inventory output of a completion that lost its race', () => {
    expect(grants(stack.functions.jobSweeper)).toContain('s3:DeleteObject on objects');
  });

  // Bodies over SINGLE_PUT_MAX_BYTES go as a multipart upload (lib-storage's Upload), which sends
  // AbortMultipartUpload when a part fails: without it, the parts stay until the lifecycle rule.
  it.each(['api', 'apiStream', 'jobSweeper', 'restoreEvents'] as const)(
    'lets the %s function abort the multipart uploads of the objects it may write',
    (name) => {
      const granted = grants(stack.functions[name]);
      expect(granted).toContain('s3:PutObject on objects');
      expect(granted).toContain('s3:AbortMultipartUpload on objects');
    },
  );

  it.each(Object.keys(expected) as (keyof typeof expected)[])(
    'lets the %s function read and write table items, and nothing more of the table',
    (name) => {
      const statements = statementsOf(stack.functions[name]).filter((s) => actions([s]).every((a) => a.startsWith('dynamodb:')));
      for (const s of statements) expect(s.Resource).toEqual(tableResources());
      const granted = actions(statements);
      expect(granted).toEqual(
        expect.arrayContaining([
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:DeleteItem',
          'dynamodb:Query',
          'dynamodb:BatchWriteItem',
        ]),
      );
      for (const forbidden of ['dynamodb:DeleteTable', 'dynamodb:CreateTable', 'dynamodb:UpdateTable', 'dynamodb:UpdateTimeToLive'])
        expect(granted).not.toContain(forbidden);
    },
  );

  // rootKeyFromSecret sends GetSecretValue, and nothing else of Secrets Manager is called.
  it.each(['api', 'apiStream'] as const)("lets the %s function read the root key's secret value, and nothing more of it", (name) => {
    expect(grants(stack.functions[name]).filter((grant) => grant.startsWith('secretsmanager:'))).toEqual([
      'secretsmanager:GetSecretValue on root key',
    ]);
  });

  // The only DynamoDB commands lambda/store sends, bar the admin command's key listing (a Scan, run with its own credentials).
  it.each(Object.keys(expected) as (keyof typeof expected)[])(
    'lets the %s function use the table only through the item operations the stores send',
    (name) => {
      const statements = statementsOf(stack.functions[name]).filter((s) => actions([s]).some((a) => a.startsWith('dynamodb:')));
      expect(actions(statements).sort()).toEqual(
        [
          'dynamodb:BatchWriteItem',
          'dynamodb:DeleteItem',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:Query',
          'dynamodb:UpdateItem',
        ].sort(),
      );
    },
  );

  const ownTopics = {
    'Fn::Join': [
      '',
      ['arn:', { Ref: 'AWS::Partition' }, ':sns:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':coldvault-dev-*'],
    ],
  };

  it("denies every function that publishes the stack's own topics (the alarm topic), and denies nothing else", () => {
    const alarmTopic = resources[logicalId(stack.node.findChild('Monitoring').node.findChild('AlarmTopic') as Construct)];
    expect(alarmTopic.Properties.TopicName).toBeUndefined(); // named by CloudFormation after the stack: coldvault-dev-...
    // The api functions (apiStream too: GetJobOutput completes jobs, and notifies) and the job completers.
    const publishers = ['api', 'apiStream', 'jobSweeper', 'restoreEvents'];
    // Exactly the functions allowed to publish: every one that may publish is denied the stack's own topics.
    const allowedToPublish = Object.entries(functionsByName())
      .filter(([, fn]) => statementsOf(fn).some((s) => s.Effect === 'Allow' && actions([s]).includes('sns:Publish')))
      .map(([name]) => name);
    expect(allowedToPublish.sort()).toEqual([...publishers].sort());
    for (const [name, fn] of Object.entries(functionsByName())) {
      const denies = statementsOf(fn).filter((s) => s.Effect !== 'Allow');
      expect({ name, denies }).toEqual({
        name,
        denies: publishers.includes(name) ? [{ Effect: 'Deny', Action: 'sns:Publish', Resource: ownTopics }] : [],
      });
    }
  });

  it('allows without conditions (its only denial is of its own topics), and names every action without a wildcard', () => {
    for (const fn of Object.values(functionsByName())) {
      const isOwnTopicsDenial = (s: Statement) =>
        s.Effect === 'Deny' && s.Action === 'sns:Publish' && JSON.stringify(s.Resource) === JSON.stringify(ownTopics);
      const statements = statementsOf(fn).filter((s) => !isOwnTopicsDenial(s));
      expect(statements.length).toBeGreaterThan(0);
      expect(statements.every((s) => s.Effect === 'Allow' && !('Condition' in s) && !('NotAction' in s) && !('NotResource' in s))).toBe(
        true,
      );
      expect(actions(statements).filter((a) => a.includes('*'))).toEqual([]);
    }
  });

  it('lets the bucket notification handler configure the notifications of this bucket only', () => {
    const ours = new Set(Object.values(functionsByName()).map(roleOf));
    const others = ofType('AWS::IAM::Policy').filter(
      ([, policy]) => !(policy.Properties.Roles as { Ref: string }[]).some((role) => ours.has(role.Ref)),
    );
    expect(others.flatMap(([, policy]) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement)).toEqual([
      { Effect: 'Allow', Action: 's3:PutBucketNotification', Resource: bucketArn() },
    ]);
  });
});

describe('restore events', () => {
  it("sends the bucket's ObjectRestore:Completed events, and only those, to the restoreEvents function", () => {
    const restoreEventsArn = { 'Fn::GetAtt': [logicalId(stack.functions.restoreEvents), 'Arn'] };
    template.resourceCountIs('Custom::S3BucketNotifications', 1);
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: { Ref: logicalId(stack.storage.bucket) },
      NotificationConfiguration: {
        LambdaFunctionConfigurations: [{ Events: ['s3:ObjectRestore:Completed'], LambdaFunctionArn: restoreEventsArn }],
      },
    });
    const permissions = ofType('AWS::Lambda::Permission').filter(
      ([, p]) => JSON.stringify(p.Properties.FunctionName) === JSON.stringify(restoreEventsArn),
    );
    expect(permissions.map(([, p]) => p.Properties)).toEqual([
      {
        Action: 'lambda:InvokeFunction',
        FunctionName: restoreEventsArn,
        Principal: 's3.amazonaws.com',
        SourceAccount: { Ref: 'AWS::AccountId' },
        SourceArn: { 'Fn::GetAtt': [logicalId(stack.storage.bucket), 'Arn'] },
      },
    ]);
  });
});

describe('schedule', () => {
  function expectSchedule(rule: Construct, fn: NodejsFunction, expression: string, retries: number) {
    const fnArn = { 'Fn::GetAtt': [logicalId(fn), 'Arn'] };
    const properties = resources[logicalId(rule)].Properties;
    expect(properties).toMatchObject({ ScheduleExpression: expression, State: 'ENABLED' });
    const [target, ...others] = properties.Targets as { Arn: unknown; RetryPolicy: unknown }[];
    expect(others).toEqual([]);
    expect(target.Arn).toEqual(fnArn);
    expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: retries });
    const permissions = ofType('AWS::Lambda::Permission').filter(
      ([, p]) => JSON.stringify(p.Properties.FunctionName) === JSON.stringify(fnArn),
    );
    expect(permissions.map(([, p]) => p.Properties)).toEqual([
      {
        Action: 'lambda:InvokeFunction',
        FunctionName: fnArn,
        Principal: 'events.amazonaws.com',
        SourceArn: { 'Fn::GetAtt': [logicalId(rule), 'Arn'] },
      },
    ]);
  }

  it('invokes the inventory function once a day', () => {
    expectSchedule(stack.schedules.inventory, stack.functions.inventory, 'rate(1 day)', 2);
  });

  it('invokes the janitor function every hour, with the retries of the inventory rule', () => {
    expectSchedule(stack.schedules.hourlyJanitor, stack.functions.janitor, 'rate(1 hour)', 2);
  });

  it('invokes the job sweeper every minute, without retries: the next minute is one', () => {
    expectSchedule(stack.schedules.minuteJobSweeper, stack.functions.jobSweeper, 'rate(1 minute)', 0);
  });

  it('has no other rules', () => {
    template.resourceCountIs('AWS::Events::Rule', 3);
  });
});

describe('REST API', () => {
  const restApiId = () => logicalId(stack.api.restApi);

  /** A resource's path, rebuilt from its parents. */
  function resourcePathOf(parent: unknown): string {
    const ref = (parent as { Ref?: string }).Ref;
    if (ref === undefined) {
      expect(parent).toEqual({ 'Fn::GetAtt': [restApiId(), 'RootResourceId'] });
      return '';
    }
    const resource = resources[ref].Properties;
    return `${resourcePathOf(resource.ParentId)}/${resource.PathPart as string}`;
  }

  /** `METHOD /path` of every method in the template. */
  function methods(): string[] {
    return ofType('AWS::ApiGateway::Method').map(
      ([, method]) => `${method.Properties.HttpMethod as string} ${resourcePathOf(method.Properties.ResourceId) || '/'}`,
    );
  }

  it('is a REST API that passes every body through as binary, on a stage named after the environment', () => {
    template.resourceCountIs('AWS::ApiGateway::RestApi', 1);
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { BinaryMediaTypes: ['*/*'] });
    template.hasResourceProperties('AWS::ApiGateway::Stage', { StageName: 'dev', RestApiId: { Ref: restApiId() } });
    template.resourceCountIs('AWS::ApiGateway::Authorizer', 0);
  });

  it("has exactly one method for each distinct method and path of the route table, its extensions and the console's files", () => {
    const expected = [
      ...new Set(ALL_ROUTES.map((route) => `${route.method} ${route.path}`)),
      'GET /console',
      'GET /console/{proxy+}',
    ].sort();
    expect(methods().sort()).toEqual(expected);
  });

  it('serves every operation of the route table through exactly one method', () => {
    expect(new Set(ROUTES.map((route) => route.operation)).size).toBe(ROUTES.length);
    const found = methods();
    for (const route of ROUTES) {
      expect({ operation: route.operation, methods: found.filter((m) => m === `${route.method} ${route.path}`).length }).toEqual({
        operation: route.operation,
        methods: 1,
      });
    }
  });

  it('proxies every method without gateway authorization: GetJobOutput streamed from the streaming function, the rest buffered from the api function', () => {
    const apiArn = JSON.stringify({ 'Fn::GetAtt': [logicalId(stack.functions.api), 'Arn'] });
    const streamArn = JSON.stringify({ 'Fn::GetAtt': [logicalId(stack.functions.apiStream), 'Arn'] });
    const streamedPath = ROUTES.find((route) => route.operation === 'GetJobOutput')!.path;
    const seen = { streamed: 0, buffered: 0 };
    for (const [, method] of ofType('AWS::ApiGateway::Method')) {
      const integration = method.Properties.Integration as {
        Type: string;
        IntegrationHttpMethod: string;
        Uri: unknown;
        ResponseTransferMode?: string;
        TimeoutInMillis?: number;
      };
      expect(method.Properties.AuthorizationType).toBe('NONE');
      expect(integration.Type).toBe('AWS_PROXY');
      expect(integration.IntegrationHttpMethod).toBe('POST');
      const uri = JSON.stringify(integration.Uri);
      const path = resourcePathOf(method.Properties.ResourceId);
      if (method.Properties.HttpMethod === 'GET' && path === streamedPath) {
        seen.streamed++;
        expect(integration.ResponseTransferMode).toBe('STREAM');
        expect(integration.TimeoutInMillis).toBe(15 * 60 * 1000);
        expect(uri).toContain(streamArn);
        expect(uri).toContain('/response-streaming-invocations');
      } else {
        seen.buffered++;
        expect(integration.ResponseTransferMode).toBeUndefined();
        expect(uri).toContain(apiArn);
        expect(uri).toContain('/invocations');
        expect(uri).not.toContain('response-streaming');
      }
    }
    expect(seen).toEqual({ streamed: 1, buffered: methods().length - 1 });
  });

  it("gives the streaming function the 15 minutes a stream may last, and the api function's configuration with Glacier's body limit", () => {
    const config = (fn: NodejsFunction) => resources[logicalId(fn)].Properties;
    expect(config(stack.functions.apiStream).Timeout).toBe(900);
    const variables = (fn: NodejsFunction) => (config(fn).Environment as { Variables: Record<string, unknown> }).Variables;
    // Its answers are limited by the response stream, not by the endpoint's body limit.
    expect(variables(stack.functions.apiStream)).toEqual({
      ...variables(stack.functions.api),
      COLDVAULT_MAX_BODY_BYTES: String(4 * 1024 ** 3),
    });
  });

  it('grants API Gateway one invoke permission for the whole API', () => {
    const apiArn = { 'Fn::GetAtt': [logicalId(stack.functions.api), 'Arn'] };
    const permissions = ofType('AWS::Lambda::Permission').filter(
      ([, p]) => JSON.stringify(p.Properties.FunctionName) === JSON.stringify(apiArn),
    );
    expect(permissions).toHaveLength(1);
    expect(permissions[0][1].Properties).toMatchObject({ Principal: 'apigateway.amazonaws.com', Action: 'lambda:InvokeFunction' });
    expect(JSON.stringify(permissions[0][1].Properties.SourceArn)).toContain(`{"Ref":"${restApiId()}"},"/*/*/*"`);
  });
});
