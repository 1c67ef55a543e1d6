// The dev and prod environments as their config files deploy them, and the options they leave off.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type CfnResource } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ColdvaultStack } from '../../lib/coldvault-stack';
import { readSettings } from '../../lib/settings';

type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

const DOMAIN = {
  domainName: 'glacier.example.com',
  certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9',
};
const ZONE = { hostedZoneId: 'Z0123456789ABCDEFGHIJ', hostedZoneName: 'example.com' };

interface Synth {
  stack: ColdvaultStack;
  template: Template;
  resources: Record<string, Resource>;
  id: (construct: { node: { defaultChild?: unknown } }) => string;
  ofType: (type: string) => [string, Resource][];
}

let outdir: string;
const synths: Record<'dev' | 'prod' | 'custom' | 'domainOnly', Synth> = {} as never;

function synth(context: Record<string, unknown>): Synth {
  // Bundling is skipped here: stack.test.ts deploys the real bundles and lambda-bundle.test.ts runs one.
  const app = new App({ outdir, context: { ...context, 'aws:cdk:bundling-stacks': [] } });
  const settings = readSettings(app.node);
  const stack = new ColdvaultStack(app, `coldvault-${settings.envName}`, { settings });
  const template = Template.fromStack(stack);
  const resources = template.toJSON().Resources as Record<string, Resource>;
  return {
    stack,
    template,
    resources,
    id: (construct) => stack.getLogicalId(construct.node.defaultChild as CfnResource),
    ofType: (type) => Object.entries(resources).filter(([, resource]) => resource.Type === type),
  };
}

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'coldvault-envs-'));
  synths.dev = synth({ env: 'dev' });
  synths.prod = synth({ env: 'prod' });
  // Values as the command line gives them: strings.
  synths.custom = synth({
    env: 'prod',
    ...DOMAIN,
    ...ZONE,
    objectLock: 'COMPLIANCE',
    objectLockRetentionDays: '30',
    throttlingRateLimit: '7',
    throttlingBurstLimit: '9',
  });
  synths.domainOnly = synth({ env: 'dev', ...DOMAIN });
});

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const keyArn = (s: Synth) => {
  const key = s.stack.storage.key;
  if (!key) throw new Error('no key');
  return { 'Fn::GetAtt': [s.id(key), 'Arn'] };
};

const secretsKeyArn = (s: Synth) => ({ 'Fn::GetAtt': [s.id(s.stack.secretsKey), 'Arn'] });

/** The statements of the policies attached to the function's role, and to it alone. */
function statementsOf(s: Synth, fn: { role?: unknown }): Statement[] {
  const roleId = s.id(fn.role as never);
  return s
    .ofType('AWS::IAM::Policy')
    .filter(([, policy]) => JSON.stringify(policy.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
    .flatMap(([, policy]) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}
const kmsStatementsOf = (s: Synth, fn: { role?: unknown }) =>
  statementsOf(s, fn).filter((st) => [st.Action].flat().some((a) => a.startsWith('kms:')));

describe('what a stack delete does to data', () => {
  it('prod keeps the table, with deletion protection and point-in-time recovery', () => {
    const { resources, id, stack } = synths.prod;
    const table = resources[id(stack.storage.table)];
    expect(table).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    expect(table.Properties).toMatchObject({
      DeletionProtectionEnabled: true,
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('dev deletes the table, without deletion protection, still with point-in-time recovery', () => {
    const { resources, id, stack } = synths.dev;
    const table = resources[id(stack.storage.table)];
    expect(table).toMatchObject({ DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
    expect(table.Properties).toMatchObject({
      DeletionProtectionEnabled: false,
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('prod keeps the bucket, its access logs, the data key and every log group, and empties nothing', () => {
    const { template, ofType, resources, id, stack } = synths.prod;
    for (const type of ['AWS::S3::Bucket', 'AWS::Logs::LogGroup', 'AWS::DynamoDB::Table']) {
      const found = ofType(type);
      expect(found.length).toBeGreaterThan(0);
      for (const [name, resource] of found) expect({ name, policy: resource.DeletionPolicy }).toEqual({ name, policy: 'Retain' });
    }
    expect(resources[id(stack.storage.key as never)]).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
  });

  it('dev deletes buckets (emptying them first) and log groups', () => {
    const { template, ofType, stack, id } = synths.dev;
    for (const type of ['AWS::S3::Bucket', 'AWS::Logs::LogGroup']) {
      for (const [name, resource] of ofType(type)) expect({ name, policy: resource.DeletionPolicy }).toEqual({ name, policy: 'Delete' });
    }
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 1);
    template.hasResourceProperties('Custom::S3AutoDeleteObjects', { BucketName: { Ref: id(stack.storage.bucket) } });
  });
});

describe('encryption', () => {
  it('prod has a customer-managed key for data, rotated', () => {
    const { resources, id, stack } = synths.prod;
    expect(stack.storage.key).toBeDefined();
    expect(resources[id(stack.storage.key as never)]).toMatchObject({ Type: 'AWS::KMS::Key', Properties: { EnableKeyRotation: true } });
  });

  it('prod encrypts the bucket (with a bucket key), the table and the failure queue with it', () => {
    const s = synths.prod;
    const { resources, id, stack } = s;
    expect(resources[id(stack.storage.bucket)].Properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [
        { BucketKeyEnabled: true, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyArn(s) } },
      ],
    });
    expect(resources[id(stack.storage.table)].Properties.SSESpecification).toEqual({
      SSEEnabled: true,
      SSEType: 'KMS',
      KMSMasterKeyId: keyArn(s),
    });
    expect(resources[id(stack.functions.failedInvocations)].Properties).toMatchObject({ KmsMasterKeyId: keyArn(s) });
    expect(resources[id(stack.functions.failedInvocations)].Properties.SqsManagedSseEnabled).toBeUndefined();
  });

  it('prod lets exactly the functions that read or write objects use the key for them', () => {
    const s = synths.prod;
    const objectKeyGrant = { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: keyArn(s) };
    const { api, apiStream, inventory, janitor, jobSweeper, restoreEvents } = s.stack.functions;
    for (const fn of [api, apiStream, jobSweeper, restoreEvents]) expect(statementsOf(s, fn)).toContainEqual(objectKeyGrant);
    for (const fn of [inventory, janitor]) expect(statementsOf(s, fn)).not.toContainEqual(objectKeyGrant);
    // Every function reaches a key only through grants on it: the data key, and the secrets key (see below).
    for (const fn of [api, apiStream, inventory, janitor, jobSweeper, restoreEvents]) {
      for (const statement of kmsStatementsOf(s, fn)) expect([keyArn(s), secretsKeyArn(s)]).toContainEqual(statement.Resource);
    }
  });

  it("prod lets every function, and the data plane's tasks, use the key for the table's items", () => {
    const s = synth({ env: 'prod', dataPlane: 'true' });
    const tableKeyGrant = {
      Effect: 'Allow',
      Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'],
      Resource: keyArn(s),
    };
    const { api, apiStream, inventory, janitor, jobSweeper, restoreEvents } = s.stack.functions;
    for (const fn of [api, apiStream, inventory, janitor, jobSweeper, restoreEvents])
      expect(statementsOf(s, fn)).toContainEqual(tableKeyGrant);
    expect(statementsOf(s, { role: s.stack.dataPlane!.taskRole })).toContainEqual(tableKeyGrant);
  });

  it.each(['dev', 'prod'] as const)(
    '%s lets exactly the functions serving the API (api, apiStream) decrypt with the secrets key, and nothing more of it',
    (env) => {
      const s = synths[env];
      const secretsKeyGrant = { Effect: 'Allow', Action: 'kms:Decrypt', Resource: secretsKeyArn(s) };
      const { api, apiStream, inventory, janitor, jobSweeper, restoreEvents } = s.stack.functions;
      const onSecretsKey = (fn: { role?: unknown }) =>
        kmsStatementsOf(s, fn).filter((st) => JSON.stringify(st.Resource) === JSON.stringify(secretsKeyArn(s)));
      for (const fn of [api, apiStream]) expect(onSecretsKey(fn)).toEqual([secretsKeyGrant]);
      for (const fn of [inventory, janitor, jobSweeper, restoreEvents]) expect(onSecretsKey(fn)).toEqual([]);
      // Dev has no data key: the secrets key is the only key any function reaches.
      if (env === 'dev')
        for (const fn of [api, apiStream, inventory, janitor, jobSweeper, restoreEvents])
          expect(kmsStatementsOf(s, fn)).toEqual(onSecretsKey(fn));
    },
  );

  it('dev uses S3-managed and SQS-managed keys and no key of its own', () => {
    const { resources, id, stack } = synths.dev;
    expect(stack.storage.key).toBeUndefined();
    expect(JSON.stringify(resources[id(stack.storage.bucket)].Properties.BucketEncryption)).toContain('"SSEAlgorithm":"AES256"');
    expect(resources[id(stack.storage.table)].Properties.SSESpecification).toBeUndefined();
    expect(resources[id(stack.functions.failedInvocations)].Properties).toMatchObject({ SqsManagedSseEnabled: true });
  });
});

describe('server access logs', () => {
  it('prod logs archive bucket access into a bucket of their own, kept for the log retention, under a bucket policy', () => {
    const { template, resources, id, stack } = synths.prod;
    const logs = stack.storage.accessLogsBucket;
    if (!logs) throw new Error('no access log bucket');
    expect(resources[id(stack.storage.bucket)].Properties.LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: id(logs) },
      LogFilePrefix: 'archives/',
    });
    expect(resources[id(logs)].Properties).toMatchObject({
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      LifecycleConfiguration: { Rules: [{ Id: 'expire-logs', ExpirationInDays: 365, Status: 'Enabled' }] },
    });
    expect(resources[id(logs)].Properties.AccessControl).toBeUndefined();
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: id(logs) },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Allow', Action: 's3:PutObject', Principal: { Service: 'logging.s3.amazonaws.com' } }),
        ]),
      },
    });
  });

  it('dev has none', () => {
    const { template, resources, id, stack } = synths.dev;
    template.resourceCountIs('AWS::S3::Bucket', 1);
    expect(resources[id(stack.storage.bucket)].Properties.LoggingConfiguration).toBeUndefined();
  });
});

describe('Object Lock', () => {
  it('when configured, locks new object versions by default for the retention, with versioning, and expires deleted versions after it', () => {
    const { resources, id, stack } = synths.custom;
    expect(resources[id(stack.storage.bucket)].Properties).toMatchObject({
      ObjectLockEnabled: true,
      ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 30 } } },
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: {
        Rules: [
          { Id: 'abort-incomplete-multipart-uploads', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 }, Status: 'Enabled' },
          {
            Id: 'expire-deleted-versions',
            NoncurrentVersionExpiration: { NoncurrentDays: 30 },
            ExpiredObjectDeleteMarker: true,
            Status: 'Enabled',
          },
        ],
      },
    });
  });

  it.each(['dev', 'prod'] as const)('is off in %s, and so is versioning', (name) => {
    const { resources, id, stack } = synths[name];
    const bucket = resources[id(stack.storage.bucket)].Properties;
    expect(bucket.ObjectLockEnabled).toBeUndefined();
    expect(bucket.ObjectLockConfiguration).toBeUndefined();
    expect(bucket.VersioningConfiguration).toBeUndefined();
  });
});

describe('API stage', () => {
  const stageOf = (s: Synth) => s.resources[s.id(s.stack.api.restApi.deploymentStage)].Properties;

  it.each([
    ['dev', 20, 40],
    ['prod', 100, 200],
    ['custom', 7, 9],
  ] as const)('%s throttles every method at %i requests per second with bursts of %i, and logs errors', (name, rate, burst) => {
    expect(stageOf(synths[name]).MethodSettings).toEqual([
      {
        HttpMethod: '*',
        ResourcePath: '/*',
        ThrottlingRateLimit: rate,
        ThrottlingBurstLimit: burst,
        LoggingLevel: 'ERROR',
        DataTraceEnabled: false,
      },
    ]);
  });

  it.each([
    ['dev', 14],
    ['prod', 365],
  ] as const)('%s writes JSON access logs to a log group kept %i days, as are the function logs', (name, days) => {
    const s = synths[name];
    const accessLogs = { 'Fn::GetAtt': [s.id(s.stack.api.accessLogs), 'Arn'] };
    const setting = stageOf(s).AccessLogSetting as { DestinationArn: unknown; Format: string };
    expect(setting.DestinationArn).toEqual(accessLogs);
    expect(Object.keys(JSON.parse(setting.Format) as object)).toEqual(
      expect.arrayContaining(['requestId', 'ip', 'httpMethod', 'status', 'protocol']),
    );
    const groups = s.ofType('AWS::Logs::LogGroup');
    expect(groups).toHaveLength(7);
    for (const [, group] of groups) expect(group.Properties.RetentionInDays).toBe(days);
  });

  it("has the region's API Gateway logging role set, and kept when the stack goes", () => {
    const { template, ofType } = synths.prod;
    template.resourceCountIs('AWS::ApiGateway::Account', 1);
    const [[roleId, role]] = ofType('AWS::IAM::Role').filter(([, r]) =>
      JSON.stringify(r.Properties.ManagedPolicyArns).includes('AmazonAPIGatewayPushToCloudWatchLogs'),
    );
    expect(role.DeletionPolicy).toBe('Retain');
    template.hasResource('AWS::ApiGateway::Account', {
      DeletionPolicy: 'Retain',
      Properties: { CloudWatchRoleArn: { 'Fn::GetAtt': [roleId, 'Arn'] } },
    });
  });
});

describe('custom domain', () => {
  it('maps the domain, on TLS 1.2 with the given certificate, to the stage with an empty base path', () => {
    const { template, ofType, id, stack } = synths.custom;
    const domain = stack.api.domainName;
    if (!domain) throw new Error('no domain');
    template.resourceCountIs('AWS::ApiGateway::DomainName', 1);
    template.hasResourceProperties('AWS::ApiGateway::DomainName', {
      DomainName: DOMAIN.domainName,
      RegionalCertificateArn: DOMAIN.certificateArn,
      EndpointConfiguration: { Types: ['REGIONAL'] },
      SecurityPolicy: 'TLS_1_2',
    });
    const mappings = ofType('AWS::ApiGateway::BasePathMapping');
    expect(mappings.map(([, m]) => m.Properties)).toEqual([
      { DomainName: { Ref: id(domain) }, RestApiId: { Ref: id(stack.api.restApi) }, Stage: { Ref: id(stack.api.restApi.deploymentStage) } },
    ]);
  });

  it('adds an alias record for it in the hosted zone, and gives it as the endpoint', () => {
    const { template, id, stack } = synths.custom;
    const domain = stack.api.domainName;
    if (!domain) throw new Error('no domain');
    template.resourceCountIs('AWS::Route53::RecordSet', 1);
    template.hasResourceProperties('AWS::Route53::RecordSet', {
      Name: 'glacier.example.com.',
      Type: 'A',
      HostedZoneId: ZONE.hostedZoneId,
      AliasTarget: {
        DNSName: { 'Fn::GetAtt': [id(domain), 'RegionalDomainName'] },
        HostedZoneId: { 'Fn::GetAtt': [id(domain), 'RegionalHostedZoneId'] },
      },
    });
    template.hasOutput('Endpoint', { Value: 'https://glacier.example.com' });
    expect(template.toJSON().Outputs.DomainTarget).toBeUndefined();
  });

  it('without a hosted zone, outputs the name to point the domain at instead of a record', () => {
    const { template, id, stack } = synths.domainOnly;
    const domain = stack.api.domainName;
    if (!domain) throw new Error('no domain');
    template.resourceCountIs('AWS::ApiGateway::DomainName', 1);
    template.resourceCountIs('AWS::ApiGateway::BasePathMapping', 1);
    template.resourceCountIs('AWS::Route53::RecordSet', 0);
    template.hasOutput('DomainTarget', { Value: { 'Fn::GetAtt': [id(domain), 'RegionalDomainName'] } });
  });

  it.each(['dev', 'prod'] as const)('is absent from %s, whose endpoint is the stage URL', (name) => {
    const { template } = synths[name];
    for (const type of ['AWS::ApiGateway::DomainName', 'AWS::ApiGateway::BasePathMapping', 'AWS::Route53::RecordSet'])
      template.resourceCountIs(type, 0);
    expect(JSON.stringify(template.toJSON().Outputs.Endpoint.Value)).toContain('.execute-api.');
    expect(Object.keys(template.toJSON().Outputs).sort()).toEqual(['Endpoint', 'RootKeyCommand', 'RootKeySecretArn', 'SecretsKeyId']);
  });
});

describe('inventory schedule', () => {
  it.each([
    ['dev', 'rate(1 day)'],
    ['prod', 'cron(0 3 * * ? *)'],
  ] as const)('%s regenerates inventories on %s', (name, expression) => {
    const s = synths[name];
    expect(s.resources[s.id(s.stack.schedules.inventory)].Properties.ScheduleExpression).toBe(expression);
  });
});

describe('settings on the stack', () => {
  it('are exposed, alarm recipients among them', () => {
    expect(synths.prod.stack.settings).toMatchObject({ envName: 'prod', alarmEmails: [] });
    expect(synths.custom.stack.settings).toMatchObject({ objectLock: 'COMPLIANCE', objectLockRetentionDays: 30, ...DOMAIN, ...ZONE });
  });
});
