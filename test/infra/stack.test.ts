import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTableCommand, DynamoDBClient, type TableDescription } from '@aws-sdk/client-dynamodb';
import { App, type CfnResource } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { readConfig } from '../../lambda/config';
import { ROUTES } from '../../lambda/http/routes';
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

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'coldvault-cdk-'));
  const app = new App({ outdir, context: { env: 'test', storageClass: 'DEEP_ARCHIVE' } });
  stack = new ColdvaultStack(app, 'coldvault-test', { settings: readSettings(app.node) });
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources;
});

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('table', () => {
  it('has the keys, index, TTL, backups and billing of the schema, and outlives the stack', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        KeySchema: [
          { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' },
          { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: TABLE_KEYS.vaultIndex,
            KeySchema: [
              { AttributeName: TABLE_KEYS.vaultIndexPartitionKey, KeyType: 'HASH' },
              { AttributeName: TABLE_KEYS.vaultIndexSortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: TABLE_KEYS.ttlAttribute, Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      },
    });
  });

  it('matches the table the local bootstrap creates', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coldvault-infra-'));
    const stores = await startEmbeddedStores(dir, 'unused');
    let local: TableDescription | undefined;
    try {
      const db = new DynamoDBClient({ region: 'us-east-1', endpoint: stores.dynamoEndpoint, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
      await ensureTable(db, 'coldvault');
      local = (await db.send(new DescribeTableCommand({ TableName: 'coldvault' }))).Table;
      db.destroy();
    } finally {
      await stores.close();
      rmSync(dir, { recursive: true, force: true });
    }
    const [[, deployed]] = ofType('AWS::DynamoDB::Table');
    const byName = (a: { AttributeName?: string }, b: { AttributeName?: string }) => String(a.AttributeName).localeCompare(String(b.AttributeName));
    expect([...(deployed.Properties.AttributeDefinitions as [])].sort(byName)).toEqual([...(local?.AttributeDefinitions ?? [])].sort(byName));
    expect(deployed.Properties.KeySchema).toEqual(local?.KeySchema);
    expect(deployed.Properties.BillingMode).toBe(local?.BillingModeSummary?.BillingMode);
    const localIndexes = (local?.GlobalSecondaryIndexes ?? []).map(({ IndexName, KeySchema, Projection }) => ({ IndexName, KeySchema, Projection }));
    expect(deployed.Properties.GlobalSecondaryIndexes).toEqual(localIndexes);
  });
});

describe('bucket', () => {
  it('blocks public access, encrypts with S3-managed keys, aborts stale multipart uploads and outlives the stack', () => {
    template.resourceCountIs('AWS::S3::Bucket', 1);
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        LifecycleConfiguration: { Rules: [Match.objectLike({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 }, Status: 'Enabled' })] },
      },
    });
  });

  it('denies every request not made over TLS', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logicalId(stack.storage.bucket) },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Principal: { AWS: '*' }, Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });
});

describe('root key secret', () => {
  it('generates a 40-character secret access key next to the configured access key ID', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: {
        SecretStringTemplate: JSON.stringify({ accessKeyId: 'AKIDCOLDVAULTTEST' }),
        GenerateStringKey: 'secretAccessKey',
        ExcludePunctuation: true,
        PasswordLength: 40,
      },
    });
  });

  it('is output with the command that reads it, next to the endpoint', () => {
    const secret = { Ref: logicalId(stack.rootKey.secret) };
    template.hasOutput('RootKeySecretArn', { Value: secret });
    template.hasOutput('RootKeyCommand', { Value: { 'Fn::Join': ['', Match.arrayWith(['aws secretsmanager get-secret-value --region ', secret])] } });
    template.hasOutput('Endpoint', {
      Value: { 'Fn::Join': ['', Match.arrayWith(['https://', { Ref: logicalId(stack.api.restApi) }, '/', { Ref: logicalId(stack.api.restApi.deploymentStage) }])] },
    });
    expect(Object.keys(template.toJSON().Outputs).sort()).toEqual(['Endpoint', 'RootKeyCommand', 'RootKeySecretArn']);
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
  });

  it('runs the api function on nodejs22.x arm64 with the configuration it reads', () => {
    const fn = resources[logicalId(stack.functions.api)].Properties;
    expect(fn).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], MemorySize: 1024, Timeout: 29, Handler: 'index.handler' });
    expect((fn.Environment as { Variables: unknown }).Variables).toEqual({ ...common(), COLDVAULT_ROOT_SECRET_ARN: { Ref: logicalId(stack.rootKey.secret) } });
  });

  it('runs the inventory function on nodejs22.x arm64 for up to 15 minutes, without the root key', () => {
    const fn = resources[logicalId(stack.functions.inventory)].Properties;
    expect(fn).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], MemorySize: 512, Timeout: 900, Handler: 'index.handler' });
    expect((fn.Environment as { Variables: unknown }).Variables).toEqual(common());
  });

  it('runs the janitor function on nodejs22.x arm64 for up to 15 minutes, without the root key', () => {
    const fn = resources[logicalId(stack.functions.janitor)].Properties;
    expect(fn).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], MemorySize: 512, Timeout: 900, Handler: 'index.handler' });
    expect((fn.Environment as { Variables: unknown }).Variables).toEqual(common());
  });

  it('gives each function its own log group', () => {
    const groups = [stack.functions.api, stack.functions.inventory, stack.functions.janitor].map((fn) => {
      const config = resources[logicalId(fn)].Properties.LoggingConfig as { LogGroup: unknown };
      return JSON.stringify(config.LogGroup);
    });
    expect(new Set(groups).size).toBe(3);
    for (const group of groups) expect(ofType('AWS::Logs::LogGroup').map(([id]) => JSON.stringify({ Ref: id }))).toContain(group);
  });

  it('sets an environment that readConfig accepts', () => {
    const variables = (resources[logicalId(stack.functions.api)].Properties.Environment as { Variables: Record<string, unknown> }).Variables;
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
    });
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
  const objectsArn = (pattern: string) => ({ 'Fn::Join': ['', [bucketArn(), pattern]] });
  const tableResources = () => [
    { 'Fn::GetAtt': [logicalId(stack.storage.table), 'Arn'] },
    { 'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalId(stack.storage.table), 'Arn'] }, '/index/*']] },
  ];

  it('gives every role only the basic execution managed policy', () => {
    const fns = [stack.functions.api, stack.functions.inventory, stack.functions.janitor];
    expect(new Set(fns.map(roleOf)).size).toBe(fns.length);
    for (const fn of fns) {
      const role = resources[roleOf(fn)];
      expect(JSON.stringify(role.Properties.ManagedPolicyArns)).toMatch(/AWSLambdaBasicExecutionRole"/);
      expect(role.Properties.ManagedPolicyArns).toHaveLength(1);
    }
  });

  it('lets the api function use table items, bucket objects, the bucket listing and the root key, and nothing else', () => {
    const statements = statementsOf(stack.functions.api);
    expect(statements.every((s) => s.Effect === 'Allow')).toBe(true);
    for (const s of statements) {
      const list = actions([s]);
      if (list.every((a) => a.startsWith('dynamodb:'))) expect(s.Resource).toEqual(tableResources());
      else if (list.every((a) => a === 's3:ListBucket')) expect(s.Resource).toEqual(bucketArn());
      else if (list.every((a) => a.startsWith('s3:') && a.endsWith('Object'))) expect(s.Resource).toEqual(objectsArn('/*'));
      else if (list.every((a) => a.startsWith('secretsmanager:'))) expect(s.Resource).toEqual({ Ref: logicalId(stack.rootKey.secret) });
      else throw new Error(`unexpected statement ${JSON.stringify(s)}`);
    }
    const granted = actions(statements);
    expect(granted.filter((a) => a.startsWith('s3:')).sort()).toEqual(['s3:DeleteObject', 's3:GetObject', 's3:ListBucket', 's3:PutObject']);
    expect(granted.filter((a) => a.startsWith('secretsmanager:')).sort()).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
    expect(granted).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query', 'dynamodb:BatchWriteItem']));
    for (const forbidden of ['dynamodb:DeleteTable', 'dynamodb:CreateTable', 'dynamodb:UpdateTable', 's3:DeleteBucket', 's3:PutBucketPolicy', 's3:*', 'dynamodb:*', '*']) {
      expect(granted).not.toContain(forbidden);
    }
    expect(granted.every((a) => !a.includes('*'))).toBe(true);
  });

  it('lets the inventory function use table items only', () => {
    const statements = statementsOf(stack.functions.inventory);
    const granted = actions(statements);
    expect(granted.length).toBeGreaterThan(0);
    expect(granted.filter((a) => !a.startsWith('dynamodb:'))).toEqual([]);
    expect(granted).toEqual(expect.arrayContaining(['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:BatchWriteItem']));
    for (const forbidden of ['dynamodb:DeleteTable', 'dynamodb:CreateTable', 'dynamodb:UpdateTable', 'dynamodb:*', '*']) expect(granted).not.toContain(forbidden);
    for (const s of statements) expect(s.Resource).toEqual(tableResources());
  });

  it('lets the janitor function use table items, list the bucket and delete upload part objects, and nothing else', () => {
    const statements = statementsOf(stack.functions.janitor);
    expect(statements.every((s) => s.Effect === 'Allow' && !('Condition' in s))).toBe(true);
    const s3 = statements.filter((s) => actions([s]).some((a) => !a.startsWith('dynamodb:')));
    expect(s3.map((s) => ({ Action: s.Action, Resource: s.Resource }))).toEqual([
      { Action: 's3:ListBucket', Resource: bucketArn() },
      { Action: 's3:DeleteObject', Resource: objectsArn('/*/uploads/*/*') },
    ]);
    const table = statements.filter((s) => !s3.includes(s));
    for (const s of table) expect(s.Resource).toEqual(tableResources());
    const granted = actions(table);
    expect(granted).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem']));
    expect(granted.filter((a) => !a.startsWith('dynamodb:'))).toEqual([]);
    expect(granted.every((a) => !a.includes('*'))).toBe(true);
  });

  it('keeps the janitor away from the root key and from reading or writing objects', () => {
    const granted = actions(statementsOf(stack.functions.janitor));
    expect(granted.filter((a) => a.startsWith('secretsmanager:') || a === 's3:PutObject' || a === 's3:GetObject')).toEqual([]);
  });
});

describe('schedule', () => {
  it('invokes the inventory function once a day', () => {
    const inventoryArn = { 'Fn::GetAtt': [logicalId(stack.functions.inventory), 'Arn'] };
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 day)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: inventoryArn })],
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: inventoryArn,
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [logicalId(stack.schedules.dailyInventory), 'Arn'] },
    });
  });

  it('invokes the janitor function every hour, with the retries of the inventory rule', () => {
    const janitorArn = { 'Fn::GetAtt': [logicalId(stack.functions.janitor), 'Arn'] };
    const rule = resources[logicalId(stack.schedules.hourlyJanitor)].Properties;
    const inventoryRule = resources[logicalId(stack.schedules.dailyInventory)].Properties;
    expect(rule).toMatchObject({ ScheduleExpression: 'rate(1 hour)', State: 'ENABLED' });
    const [target, ...others] = rule.Targets as { Arn: unknown; RetryPolicy: unknown }[];
    expect(others).toEqual([]);
    expect(target.Arn).toEqual(janitorArn);
    expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: 2 });
    expect(target.RetryPolicy).toEqual((inventoryRule.Targets as { RetryPolicy: unknown }[])[0].RetryPolicy);
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: janitorArn,
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [logicalId(stack.schedules.hourlyJanitor), 'Arn'] },
    });
  });

  it('has no other rules', () => {
    template.resourceCountIs('AWS::Events::Rule', 2);
  });
});

describe('REST API', () => {
  const restApiId = () => logicalId(stack.api.restApi);

  /** `METHOD /path` of every method in the template, with each resource's path rebuilt from its parents. */
  function methods(): string[] {
    const apiResources = Object.fromEntries(ofType('AWS::ApiGateway::Resource'));
    const pathOf = (parent: unknown): string => {
      const ref = (parent as { Ref?: string }).Ref;
      if (ref === undefined) {
        expect(parent).toEqual({ 'Fn::GetAtt': [restApiId(), 'RootResourceId'] });
        return '';
      }
      const resource = apiResources[ref].Properties;
      return `${pathOf(resource.ParentId)}/${resource.PathPart as string}`;
    };
    return ofType('AWS::ApiGateway::Method').map(([, method]) => `${method.Properties.HttpMethod as string} ${pathOf(method.Properties.ResourceId) || '/'}`);
  }

  it('is a REST API that passes every body through as binary, on a stage named after the environment', () => {
    template.resourceCountIs('AWS::ApiGateway::RestApi', 1);
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { BinaryMediaTypes: ['*/*'] });
    template.hasResourceProperties('AWS::ApiGateway::Stage', { StageName: 'test', RestApiId: { Ref: restApiId() } });
    template.resourceCountIs('AWS::ApiGateway::Authorizer', 0);
  });

  it('has exactly one method for each distinct method and path of the route table', () => {
    const expected = [...new Set(ROUTES.map((route) => `${route.method} ${route.path}`))].sort();
    expect(methods().sort()).toEqual(expected);
  });

  it('serves every operation of the route table through exactly one method', () => {
    expect(new Set(ROUTES.map((route) => route.operation)).size).toBe(ROUTES.length);
    const found = methods();
    for (const route of ROUTES) {
      expect({ operation: route.operation, methods: found.filter((m) => m === `${route.method} ${route.path}`).length }).toEqual({ operation: route.operation, methods: 1 });
    }
  });

  it('proxies every method to the api function without gateway authorization', () => {
    const apiArn = { 'Fn::GetAtt': [logicalId(stack.functions.api), 'Arn'] };
    for (const [, method] of ofType('AWS::ApiGateway::Method')) {
      const integration = method.Properties.Integration as { Type: string; IntegrationHttpMethod: string; Uri: unknown };
      expect(method.Properties.AuthorizationType).toBe('NONE');
      expect(integration.Type).toBe('AWS_PROXY');
      expect(integration.IntegrationHttpMethod).toBe('POST');
      expect(JSON.stringify(integration.Uri)).toContain(JSON.stringify(apiArn));
    }
  });

  it('grants API Gateway one invoke permission for the whole API', () => {
    const apiArn = { 'Fn::GetAtt': [logicalId(stack.functions.api), 'Arn'] };
    const permissions = ofType('AWS::Lambda::Permission').filter(([, p]) => JSON.stringify(p.Properties.FunctionName) === JSON.stringify(apiArn));
    expect(permissions).toHaveLength(1);
    expect(permissions[0][1].Properties).toMatchObject({ Principal: 'apigateway.amazonaws.com', Action: 'lambda:InvokeFunction' });
    expect(JSON.stringify(permissions[0][1].Properties.SourceArn)).toContain(`{"Ref":"${restApiId()}"},"/*/*/*"`);
  });
});
