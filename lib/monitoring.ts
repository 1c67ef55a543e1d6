import { Duration } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { METRIC, METRICS_NAMESPACE, OPERATION_DIMENSION, SERVICE_DIMENSION, SERVICE_NAME } from '../lambda/observability';

const FUNCTION_NAMES = ['api', 'apiStream', 'inventory', 'janitor', 'jobSweeper', 'restoreEvents'] as const;

export type MonitoredFunctions = Record<(typeof FUNCTION_NAMES)[number], lambda.IFunction>;

export interface MonitoringProps {
  functions: MonitoredFunctions;
  restApi: apigateway.RestApiBase;
  table: dynamodb.ITable;
  /** Where the events of asynchronous invocations that failed for good end up. */
  failureQueue: sqs.IQueue;
  /** Each address gets an email subscription to the alarm topic (to confirm). */
  alarmEmails?: string[];
  /**
   * The environment's customer-managed key, if it has one: it encrypts the alarm topic.
   * CloudWatch cannot publish to a topic encrypted with the AWS-managed SNS key.
   */
  key?: kms.IKey;
  /** The container data plane, if the environment has one. */
  dataPlane?: MonitoredDataPlane;
}

export interface MonitoredDataPlane {
  loadBalancer: elbv2.ApplicationLoadBalancer;
  targetGroup: elbv2.ApplicationTargetGroup;
  service: ecs.FargateService;
}

/** The data plane's tasks alarm above this average CPU (autoscaling aims below it, so this means it is at its maximum or lagging). */
export const DATA_PLANE_CPU_ALARM_PERCENT = 85;

const PERIOD = Duration.minutes(5);
/** The operations the stores call on the table: DynamoDB reports throttles per operation. */
const TABLE_OPERATIONS = [
  dynamodb.Operation.GET_ITEM,
  dynamodb.Operation.PUT_ITEM,
  dynamodb.Operation.UPDATE_ITEM,
  dynamodb.Operation.DELETE_ITEM,
  dynamodb.Operation.QUERY,
  dynamodb.Operation.SCAN,
  dynamodb.Operation.BATCH_WRITE_ITEM,
];

/** A metric the handlers emit, for the whole service (the API's are also emitted per operation). */
function serviceMetric(metricName: string, statistic = 'Sum', label?: string): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { [SERVICE_DIMENSION]: SERVICE_NAME },
    statistic,
    period: PERIOD,
    label,
  });
}

/** One line per operation, whatever operations have had requests. */
function perOperation(metricName: string, label: string): cloudwatch.MathExpression {
  return new cloudwatch.MathExpression({
    expression: `SEARCH('{${METRICS_NAMESPACE},${OPERATION_DIMENSION},${SERVICE_DIMENSION}} MetricName="${metricName}"', 'Sum', ${PERIOD.toSeconds()})`,
    label,
    period: PERIOD,
  });
}

/**
 * The dashboard of the service (requests, errors, latency, bytes, API Gateway, functions, table,
 * job backlog) and its alarms, which notify an SNS topic (encrypted with the environment's key
 * if it has one) with an email subscription per address.
 */
export class Monitoring extends Construct {
  readonly topic: sns.Topic;
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { functions, restApi, table, failureQueue } = props;

    this.topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: 'coldvault alarms',
      enforceSSL: true,
      ...(props.key && { masterKey: props.key }),
    });
    if (props.key) {
      props.key.grant(new iam.ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    } else {
      NagSuppressions.addResourceSuppressions(this.topic, [
        {
          id: 'AwsSolutions-SNS2',
          reason: 'Alarm notifications carry no customer data, and this environment has no customer-managed key to encrypt them with.',
        },
      ]);
    }
    for (const email of props.alarmEmails ?? []) {
      const subscription = this.topic.addSubscription(new subscriptions.EmailSubscription(email));
      NagSuppressions.addResourceSuppressions(subscription, [
        {
          id: 'Serverless-SNSRedrivePolicy',
          reason: 'An alarm email that cannot be delivered has nowhere better to go; the alarm itself stays on the dashboard.',
        },
      ]);
    }

    // Picked by name: the object passed may be a construct with more on it than its functions.
    const named = FUNCTION_NAMES.map((name) => [name, functions[name]] as const);
    const requests = restApi.metricCount({ period: PERIOD, statistic: 'Sum' });
    const serverErrors = restApi.metricServerError({ period: PERIOD, statistic: 'Sum' });
    const tableThrottles = table.metricThrottledRequestsForOperations({ operations: TABLE_OPERATIONS, period: PERIOD, statistic: 'Sum' });
    const queueDepth = failureQueue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum' });

    this.alarm('Api5xxRate', 'More than 5% of API requests answered 5XX over 5 minutes', 5, {
      metric: new cloudwatch.MathExpression({
        expression: 'IF(requests > 0, 100 * errors / requests, 0)',
        usingMetrics: { requests, errors: serverErrors },
        label: 'API 5XX rate (%)',
        period: PERIOD,
      }),
    });
    for (const [name, fn] of named) {
      this.alarm(`${upperFirst(name)}Errors`, `The ${name} function failed`, 1, {
        metric: fn.metricErrors({ period: PERIOD, statistic: 'Sum' }),
      });
      this.alarm(`${upperFirst(name)}Throttles`, `The ${name} function was throttled`, 1, {
        metric: fn.metricThrottles({ period: PERIOD, statistic: 'Sum' }),
      });
    }
    this.alarm('InventoryFailed', "A vault's inventory could not be regenerated, or the inventory function failed", 1, {
      metric: new cloudwatch.MathExpression({
        expression: 'FILL(failures, 0) + FILL(errors, 0)',
        usingMetrics: {
          failures: serviceMetric(METRIC.inventoryFailures),
          errors: functions.inventory.metricErrors({ period: PERIOD, statistic: 'Sum' }),
        },
        label: 'Inventory failures',
        period: PERIOD,
      }),
    });
    this.alarm('FailedInvocations', 'Asynchronous invocations failed for good: their events wait in the failure queue', 1, {
      metric: queueDepth,
    });
    this.alarm('TableThrottles', 'DynamoDB throttled requests to the table', 1, { metric: tableThrottles });

    const dataPlane = props.dataPlane && this.dataPlaneAlarms(props.dataPlane);

    const graph = (title: string, left: cloudwatch.IMetric[], right: cloudwatch.IMetric[] = []) =>
      new cloudwatch.GraphWidget({ title, left, right, width: 12, height: 6 });
    const perFunction = (metric: (fn: lambda.IFunction) => cloudwatch.Metric) =>
      named.map(([name, fn]) => metric(fn).with({ label: name, period: PERIOD }));

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    this.dashboard.addWidgets(
      graph(
        'Requests and errors',
        [serviceMetric(METRIC.requests, 'Sum', 'Requests')],
        [
          serviceMetric(METRIC.clientErrors, 'Sum', 'Client errors (4xx)'),
          serviceMetric(METRIC.serverErrors, 'Sum', 'Server errors (5xx)'),
        ],
      ),
      graph('Requests by operation', [perOperation(METRIC.requests, 'Requests')]),
      graph('Latency (ms)', [serviceMetric(METRIC.latency, 'p50', 'p50'), serviceMetric(METRIC.latency, 'p99', 'p99')]),
      graph('Bytes in and out', [serviceMetric(METRIC.bytesIn, 'Sum', 'In'), serviceMetric(METRIC.bytesOut, 'Sum', 'Out')]),
      graph(
        'API Gateway',
        [
          requests.with({ label: 'Requests' }),
          restApi.metricClientError({ period: PERIOD, statistic: 'Sum', label: '4XX' }),
          serverErrors.with({ label: '5XX' }),
        ],
        [
          restApi.metricLatency({ period: PERIOD, statistic: 'p50', label: 'Latency p50' }),
          restApi.metricLatency({ period: PERIOD, statistic: 'p99', label: 'Latency p99' }),
        ],
      ),
      graph(
        'Lambda errors',
        perFunction((fn) => fn.metricErrors({ statistic: 'Sum' })),
      ),
      graph(
        'Lambda throttles',
        perFunction((fn) => fn.metricThrottles({ statistic: 'Sum' })),
      ),
      graph(
        'Lambda duration p99 (ms)',
        perFunction((fn) => fn.metricDuration({ statistic: 'p99' })),
      ),
      graph('DynamoDB throttled requests', [tableThrottles]),
      graph(
        'Job backlog',
        [serviceMetric(METRIC.jobsCompleted, 'Sum', 'Jobs completed'), queueDepth.with({ label: 'Failed invocations waiting' })],
        [failureQueue.metricApproximateAgeOfOldestMessage({ period: PERIOD, statistic: 'Maximum', label: 'Oldest failed invocation (s)' })],
      ),
      graph('Scheduled work', [
        serviceMetric(METRIC.inventoryFailures, 'Sum', 'Inventory failures'),
        serviceMetric(METRIC.uploadsPurged, 'Sum', 'Uploads purged'),
      ]),
      ...(dataPlane
        ? [
            graph(
              'Data plane requests',
              [dataPlane.requests.with({ label: 'Requests' })],
              [
                dataPlane.target5xx.with({ label: 'Target 5XX' }),
                dataPlane.elb5xx.with({ label: 'Load balancer 5XX' }),
                dataPlane.target4xx.with({ label: 'Target 4XX' }),
              ],
            ),
            graph(
              'Data plane tasks',
              [dataPlane.healthy.with({ label: 'Healthy tasks' }), dataPlane.unhealthy.with({ label: 'Unhealthy tasks' })],
              [dataPlane.cpu.with({ label: 'CPU (%)' }), dataPlane.memory.with({ label: 'Memory (%)' })],
            ),
            graph(
              'Data plane latency and bytes',
              [
                dataPlane.responseTime.with({ statistic: 'p50', label: 'Response time p50 (s)' }),
                dataPlane.responseTime.with({ statistic: 'p99', label: 'p99 (s)' }),
              ],
              [dataPlane.bytes.with({ label: 'Bytes processed' })],
            ),
          ]
        : []),
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 12, height: 6 }),
    );
  }

  /** The data plane's load balancer and task metrics, and its alarms: 5XX rate, unhealthy tasks, CPU. */
  private dataPlaneAlarms({ loadBalancer, targetGroup, service }: MonitoredDataPlane) {
    const lb = loadBalancer.metrics;
    const sum = { period: PERIOD, statistic: 'Sum' };
    const metrics = {
      requests: lb.requestCount(sum),
      target5xx: lb.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, sum),
      target4xx: lb.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_4XX_COUNT, sum),
      elb5xx: lb.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, sum),
      healthy: targetGroup.metrics.healthyHostCount({ period: PERIOD, statistic: 'Minimum' }),
      unhealthy: targetGroup.metrics.unhealthyHostCount({ period: PERIOD, statistic: 'Maximum' }),
      responseTime: lb.targetResponseTime({ period: PERIOD }),
      bytes: lb.processedBytes(sum),
      cpu: service.metricCpuUtilization({ period: PERIOD, statistic: 'Average' }),
      memory: service.metricMemoryUtilization({ period: PERIOD, statistic: 'Average' }),
    };
    this.alarm('Data5xxRate', 'More than 5% of data plane requests answered 5XX (by the tasks or the load balancer) over 5 minutes', 5, {
      metric: new cloudwatch.MathExpression({
        expression: 'IF(requests > 0, 100 * (FILL(target, 0) + FILL(elb, 0)) / requests, 0)',
        usingMetrics: { requests: metrics.requests, target: metrics.target5xx, elb: metrics.elb5xx },
        label: 'Data plane 5XX rate (%)',
        period: PERIOD,
      }),
    });
    this.alarm('DataUnhealthyHosts', 'A data plane task failed its health checks', 1, { metric: metrics.unhealthy });
    this.alarm(
      'DataCpu',
      `The data plane's tasks averaged ${DATA_PLANE_CPU_ALARM_PERCENT}% CPU or more over 5 minutes`,
      DATA_PLANE_CPU_ALARM_PERCENT,
      {
        metric: metrics.cpu,
      },
    );
    return metrics;
  }

  private alarm(id: string, description: string, threshold: number, props: { metric: cloudwatch.IMetric }): void {
    const alarm = new cloudwatch.Alarm(this, id, {
      metric: props.metric,
      alarmDescription: description,
      threshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new actions.SnsAction(this.topic));
    this.alarms.push(alarm);
  }
}

function upperFirst(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
