import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Aspects, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { Monitoring, type MonitoredFunctions } from '../../lib/monitoring';

type Resource = { Type: string; Properties: Record<string, unknown> };
type MetricStat = { Metric: { Namespace: string; MetricName: string; Dimensions?: { Name: string; Value: unknown }[] }; Stat: string };
type AlarmProps = {
  MetricName?: string;
  Namespace?: string;
  Statistic?: string;
  Dimensions?: { Name: string; Value: unknown }[];
  Metrics?: { Id: string; Expression?: string; MetricStat?: MetricStat }[];
  Threshold: number;
  ComparisonOperator: string;
  AlarmActions: unknown[];
};

const EMAILS = ['ops@example.com', 'oncall@example.org'];

// Each synthesis writes its cloud assembly into a folder of its own under this one.
const outdirs = mkdtempSync(join(tmpdir(), 'coldvault-cdk-'));
afterAll(() => rmSync(outdirs, { recursive: true, force: true }));

function synth({ alarmEmails, withKey = true, nag = false }: { alarmEmails?: string[]; withKey?: boolean; nag?: boolean } = {}) {
  const stack = new Stack(new App({ outdir: mkdtempSync(join(outdirs, 'app-')) }), 'monitored');
  if (nag) {
    Aspects.of(stack).add(new AwsSolutionsChecks());
    Aspects.of(stack).add(new ServerlessChecks());
  }
  const fn = (id: string) =>
    new lambda.Function(stack, id, {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({})'),
    });
  const functions: MonitoredFunctions = {
    api: fn('Api'),
    apiStream: fn('ApiStream'),
    inventory: fn('Inventory'),
    janitor: fn('Janitor'),
    jobSweeper: fn('JobSweeper'),
    restoreEvents: fn('RestoreEvents'),
  };
  const restApi = new apigateway.RestApi(stack, 'RestApi', { restApiName: 'glacier-api' });
  restApi.root.addMethod('GET', new apigateway.LambdaIntegration(functions.api));
  const table = new dynamodb.Table(stack, 'Table', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
  const failureQueue = new sqs.Queue(stack, 'Failures');
  const key = withKey ? new kms.Key(stack, 'Key', { enableKeyRotation: true }) : undefined;
  new Monitoring(stack, 'Monitoring', { functions, restApi, table, failureQueue, alarmEmails, key });
  const template = Template.fromStack(stack);
  const ref = (construct: lambda.IFunction | dynamodb.ITable | sqs.IQueue) => ({
    Ref: stack.getLogicalId(construct.node.defaultChild as never),
  });
  return { stack, template, functions, table, failureQueue, key, ref, resources: template.toJSON().Resources as Record<string, Resource> };
}

const { stack, template, functions, table, failureQueue, key, ref, resources } = synth({ alarmEmails: EMAILS });
const alarms = Object.values(resources)
  .filter((resource) => resource.Type === 'AWS::CloudWatch::Alarm')
  .map((resource) => resource.Properties as AlarmProps);
const topicRef = { Ref: Object.keys(template.findResources('AWS::SNS::Topic'))[0] };

/** The dashboard's graphed metrics, each `[namespace, name, ...dimensions, options]`, with references written `Ref:<id>` and `<id>.<attribute>`. */
function dashboardMetrics(): unknown[][] {
  const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  const parts = (dashboard.Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
  const token = (part: { Ref?: string; 'Fn::GetAtt'?: string[] }) => (part.Ref ? `Ref:${part.Ref}` : part['Fn::GetAtt']!.join('.'));
  const body = JSON.parse(parts.map((part) => (typeof part === 'string' ? part : token(part as never))).join('')) as {
    widgets: { properties: { metrics?: unknown[][] } }[];
  };
  return body.widgets.flatMap((widget) => widget.properties.metrics ?? []);
}

describe('alarm topic', () => {
  it("is encrypted with the environment's key, which CloudWatch may use, and only accepts TLS", () => {
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [stack.getLogicalId(key!.node.defaultChild as never), 'Arn'] },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Effect: 'Allow',
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
  });

  it('is left unencrypted, and makes no key, in an environment without a key', () => {
    const { template: keyless } = synth({ withKey: false });
    keyless.resourceCountIs('AWS::KMS::Key', 0);
    keyless.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.absent() });
  });

  it('has one email subscription per address', () => {
    const subscriptions = Object.values(template.findResources('AWS::SNS::Subscription')).map((resource) => resource.Properties);
    expect(subscriptions).toEqual(EMAILS.map((email) => ({ Protocol: 'email', Endpoint: email, TopicArn: topicRef })));
  });

  it('has no subscriptions without addresses', () => {
    synth().template.resourceCountIs('AWS::SNS::Subscription', 0);
  });
});

describe('cdk-nag', () => {
  it.each([true, false])('finds nothing in the monitoring, with a key: %s', (withKey) => {
    const { stack: checked } = synth({ alarmEmails: EMAILS, withKey, nag: true });
    const findings = [
      ...Annotations.fromStack(checked).findError('*', Match.anyValue()),
      ...Annotations.fromStack(checked).findWarning('*', Match.anyValue()),
    ];
    expect(
      findings
        .filter((finding) => finding.id.startsWith('/monitored/Monitoring/'))
        .map((finding) => `${finding.id}: ${String(finding.entry.data)}`),
    ).toEqual([]);
  });
});

describe('alarms', () => {
  it('all notify the topic, at or above their threshold', () => {
    expect(alarms.length).toBe(16);
    for (const alarm of alarms) {
      expect(alarm.AlarmActions).toEqual([topicRef]);
      expect(alarm.ComparisonOperator).toBe('GreaterThanOrEqualToThreshold');
    }
  });

  it('watch the API 5XX rate: 5% of the requests', () => {
    const [alarm] = alarms.filter((candidate) => candidate.Metrics?.some((metric) => metric.MetricStat?.Metric.MetricName === '5XXError'));
    expect(alarm.Threshold).toBe(5);
    const stats = Object.fromEntries(alarm.Metrics!.filter((metric) => metric.MetricStat).map((metric) => [metric.Id, metric.MetricStat!]));
    expect(stats.errors).toMatchObject({
      Metric: { Namespace: 'AWS/ApiGateway', MetricName: '5XXError', Dimensions: [{ Name: 'ApiName', Value: 'glacier-api' }] },
      Stat: 'Sum',
    });
    expect(stats.requests).toMatchObject({ Metric: { Namespace: 'AWS/ApiGateway', MetricName: 'Count' }, Stat: 'Sum' });
    expect(alarm.Metrics!.find((metric) => metric.Expression)?.Expression).toBe('IF(requests > 0, 100 * errors / requests, 0)');
  });

  it.each(['Errors', 'Throttles'])('watch %s of every function: one is enough', (metricName) => {
    const watched = alarms.filter((alarm) => alarm.Namespace === 'AWS/Lambda' && alarm.MetricName === metricName);
    expect(watched.map((alarm) => alarm.Dimensions)).toEqual(
      Object.values(functions).map((fn) => [{ Name: 'FunctionName', Value: ref(fn) }]),
    );
    for (const alarm of watched)
      expect({ threshold: alarm.Threshold, statistic: alarm.Statistic }).toEqual({ threshold: 1, statistic: 'Sum' });
  });

  it("watch the inventory: a vault's failure or the function's", () => {
    const [alarm] = alarms.filter((candidate) =>
      candidate.Metrics?.some((metric) => metric.MetricStat?.Metric.MetricName === 'InventoryFailures'),
    );
    expect(alarm.Threshold).toBe(1);
    const stats = Object.fromEntries(alarm.Metrics!.filter((metric) => metric.MetricStat).map((metric) => [metric.Id, metric.MetricStat!]));
    expect(stats.failures).toEqual({
      Metric: { Namespace: 'Coldvault', MetricName: 'InventoryFailures', Dimensions: [{ Name: 'service', Value: 'coldvault' }] },
      Stat: 'Sum',
      Period: 300,
    });
    expect(stats.errors).toMatchObject({
      Metric: { Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: [{ Name: 'FunctionName', Value: ref(functions.inventory) }] },
    });
    expect(alarm.Metrics!.find((metric) => metric.Expression)?.Expression).toBe('FILL(failures, 0) + FILL(errors, 0)');
  });

  it('watch the failure queue: one message is enough', () => {
    const [alarm] = alarms.filter((candidate) => candidate.Namespace === 'AWS/SQS');
    expect(alarm).toMatchObject({
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [ref(failureQueue).Ref, 'QueueName'] } }],
      Statistic: 'Maximum',
      Threshold: 1,
    });
  });

  it('watch throttled requests to the table, for every operation the stores use', () => {
    const [alarm] = alarms.filter((candidate) =>
      candidate.Metrics?.some((metric) => metric.MetricStat?.Metric.MetricName === 'ThrottledRequests'),
    );
    expect(alarm.Threshold).toBe(1);
    const operations = alarm
      .Metrics!.filter((metric) => metric.MetricStat)
      .map((metric) => {
        const { Namespace, Dimensions } = metric.MetricStat!.Metric;
        expect(Namespace).toBe('AWS/DynamoDB');
        expect(Dimensions).toContainEqual({ Name: 'TableName', Value: ref(table) });
        return Dimensions!.find((dimension) => dimension.Name === 'Operation')?.Value;
      });
    expect(operations.sort()).toEqual(['BatchWriteItem', 'DeleteItem', 'GetItem', 'PutItem', 'Query', 'Scan', 'UpdateItem']);
  });
});

describe('dashboard', () => {
  it('exists once', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  it("graphs the service's own metrics, latency as p50 and p99, and requests per operation", () => {
    const lines = dashboardMetrics();
    for (const name of [
      'Requests',
      'ClientErrors',
      'ServerErrors',
      'BytesIn',
      'BytesOut',
      'JobsCompleted',
      'InventoryFailures',
      'UploadsPurged',
    ]) {
      expect(lines).toContainEqual(['Coldvault', name, 'service', 'coldvault', expect.objectContaining({ stat: 'Sum' })]);
    }
    for (const stat of ['p50', 'p99'])
      expect(lines).toContainEqual(['Coldvault', 'Latency', 'service', 'coldvault', expect.objectContaining({ stat })]);
    expect(lines).toContainEqual([
      expect.objectContaining({ expression: `SEARCH('{Coldvault,Operation,service} MetricName="Requests"', 'Sum', 300)` }),
    ]);
  });

  it('graphs API Gateway, every function, the table and the failure queue', () => {
    const lines = dashboardMetrics();
    for (const name of ['Count', '4XXError', '5XXError']) {
      expect(lines).toContainEqual(['AWS/ApiGateway', name, 'ApiName', 'glacier-api', expect.objectContaining({ stat: 'Sum' })]);
    }
    for (const stat of ['p50', 'p99'])
      expect(lines).toContainEqual(['AWS/ApiGateway', 'Latency', 'ApiName', 'glacier-api', expect.objectContaining({ stat })]);
    for (const [name, stat] of [
      ['Errors', 'Sum'],
      ['Throttles', 'Sum'],
      ['Duration', 'p99'],
    ]) {
      for (const fn of Object.values(functions))
        expect(lines).toContainEqual(['AWS/Lambda', name, 'FunctionName', `Ref:${ref(fn).Ref}`, expect.objectContaining({ stat })]);
    }
    for (const operation of ['GetItem', 'Query', 'BatchWriteItem']) {
      expect(lines).toContainEqual([
        'AWS/DynamoDB',
        'ThrottledRequests',
        'Operation',
        operation,
        'TableName',
        `Ref:${ref(table).Ref}`,
        expect.anything(),
      ]);
    }
    for (const name of ['ApproximateNumberOfMessagesVisible', 'ApproximateAgeOfOldestMessage']) {
      expect(lines).toContainEqual([
        'AWS/SQS',
        name,
        'QueueName',
        `${ref(failureQueue).Ref}.QueueName`,
        expect.objectContaining({ stat: 'Maximum' }),
      ]);
    }
  });
});
