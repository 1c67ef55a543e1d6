// The container data plane (setting dataPlane): what the stack deploys for it.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type CfnResource } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import type { Construct } from 'constructs';
import {
  CONTAINER_MAX_BODY_BYTES,
  CONTAINER_PORT,
  HEALTH_CHECK_PATH,
  LOAD_BALANCER_IDLE_TIMEOUT_SECONDS,
} from '../../lambda/local/container-settings';
import { ColdvaultStack } from '../../lib/coldvault-stack';
import { DATA_PLANE_SCALING, DATA_PLANE_TASK } from '../../lib/data-plane';
import { readSettings } from '../../lib/settings';

type Resource = { Type: string; Properties: Record<string, unknown> };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

const CERTIFICATE = 'arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9';
const DOMAIN = {
  dataDomainName: 'data.example.com',
  dataCertificateArn: CERTIFICATE,
  hostedZoneId: 'Z0123456789ABCDEFGHIJ',
  hostedZoneName: 'example.com',
};

let outdir: string;
beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'coldvault-data-plane-'));
});
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

function synth(context: Record<string, unknown>) {
  // The rules read the template, not the Lambda bundles; the image asset is still staged.
  const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [], ...context } });
  const stack = new ColdvaultStack(app, `coldvault-${Object.keys(context).length}-${Math.random().toString(36).slice(2, 8)}`, {
    settings: readSettings(app.node),
  });
  const template = Template.fromStack(stack);
  const resources = template.toJSON().Resources as Record<string, Resource>;
  const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
  const logicalId = (construct: Construct) => stack.getLogicalId(construct.node.defaultChild as CfnResource);
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  return { app, stack, template, resources, outputs, logicalId, ofType };
}

let withDomain: ReturnType<typeof synth>;
let plain: ReturnType<typeof synth>;
beforeAll(() => {
  withDomain = synth({ env: 'prod', dataPlane: 'true', dataPlaneMaxTasks: '7', ...DOMAIN });
  plain = synth({ env: 'prod', dataPlane: 'true' });
});

describe('without dataPlane', () => {
  it('deploys nothing of it (dev by default)', () => {
    const dev = synth({ env: 'dev' });
    for (const type of ['AWS::ECS::Service', 'AWS::ElasticLoadBalancingV2::LoadBalancer', 'AWS::EC2::VPC'])
      dev.template.resourceCountIs(type, 0);
    expect(dev.outputs.DataEndpoint).toBeUndefined();
  });
});

describe('network', () => {
  it('is two AZs of public subnets with no NAT gateway, and gateway endpoints for S3 and DynamoDB', () => {
    const { template } = withDomain;
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::Subnet', 2);
    template.allResourcesProperties('AWS::EC2::Subnet', { MapPublicIpOnLaunch: true });
    const endpoints = withDomain.ofType('AWS::EC2::VPCEndpoint').map(([, r]) => JSON.stringify(r.Properties.ServiceName));
    expect(endpoints).toHaveLength(2);
    expect(endpoints.some((name) => name.includes('.s3'))).toBe(true);
    expect(endpoints.some((name) => name.includes('.dynamodb'))).toBe(true);
    template.allResourcesProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Gateway' });
  });

  it('lets only the load balancer reach the tasks, on the container port', () => {
    const { stack, logicalId, ofType } = withDomain;
    const dataPlane = stack.dataPlane!;
    const [[, service]] = ofType('AWS::ECS::Service');
    const taskGroups = (
      service.Properties.NetworkConfiguration as { AwsvpcConfiguration: { SecurityGroups: { 'Fn::GetAtt': string[] }[] } }
    ).AwsvpcConfiguration.SecurityGroups;
    expect(taskGroups).toHaveLength(1);
    const taskGroup = taskGroups[0]['Fn::GetAtt'][0];
    const albGroup = (dataPlane.loadBalancer.connections.securityGroups[0].node.defaultChild as CfnResource).logicalId;
    const ingress = [
      ...ofType('AWS::EC2::SecurityGroupIngress')
        .map(([, r]) => r.Properties)
        .filter((p) => JSON.stringify(p.GroupId).includes(taskGroup)),
      ...((withDomain.resources[taskGroup].Properties.SecurityGroupIngress as unknown[]) ?? []),
    ];
    expect(ingress).toEqual([
      expect.objectContaining({
        IpProtocol: 'tcp',
        FromPort: CONTAINER_PORT,
        ToPort: CONTAINER_PORT,
        SourceSecurityGroupId: { 'Fn::GetAtt': [stack.resolve(albGroup), 'GroupId'] },
      }),
    ]);
    expect(logicalId(dataPlane.loadBalancer)).toBeDefined();
  });
});

describe('load balancer', () => {
  it('is internet-facing in the public subnets, with an idle timeout a paused slow transfer survives', () => {
    withDomain.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internet-facing',
      Type: 'application',
      LoadBalancerAttributes: Match.arrayWith([{ Key: 'idle_timeout.timeout_seconds', Value: String(LOAD_BALANCER_IDLE_TIMEOUT_SECONDS) }]),
    });
  });

  it('serves HTTPS on 443 with the configured certificate and sends port 80 there', () => {
    const { template } = withDomain;
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 2);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Protocol: 'HTTPS',
      Certificates: [{ CertificateArn: CERTIFICATE }],
      SslPolicy: Match.stringLikeRegexp('TLS'),
      DefaultActions: [Match.objectLike({ Type: 'forward' })],
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      Protocol: 'HTTP',
      DefaultActions: [{ Type: 'redirect', RedirectConfig: { Port: '443', Protocol: 'HTTPS', StatusCode: 'HTTP_301' } }],
    });
  });

  it('gets an alias record in the hosted zone, and DataEndpoint is the domain', () => {
    withDomain.template.hasResourceProperties('AWS::Route53::RecordSet', {
      Name: 'data.example.com.',
      Type: 'A',
      HostedZoneId: DOMAIN.hostedZoneId,
      AliasTarget: Match.objectLike({ DNSName: Match.anyValue() }),
    });
    expect(withDomain.outputs.DataEndpoint.Value).toBe('https://data.example.com');
  });

  it('with a domain outside Route 53, outputs the name to point it at instead of a record', () => {
    const { dataDomainName, dataCertificateArn } = DOMAIN;
    const unzoned = synth({ env: 'prod', dataPlane: 'true', dataDomainName, dataCertificateArn });
    unzoned.template.resourceCountIs('AWS::Route53::RecordSet', 0);
    expect(unzoned.outputs.DataEndpoint.Value).toBe('https://data.example.com');
    expect(JSON.stringify(unzoned.outputs.DataDomainTarget.Value)).toMatch(/DataPlaneLoadBalancer[0-9A-F]+","DNSName"/);
    expect(withDomain.outputs.DataDomainTarget).toBeUndefined();
  });

  it('without a domain serves plain HTTP on its own name, says so at synth, and DataEndpoint is that name', () => {
    plain.template.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 1);
    plain.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      Protocol: 'HTTP',
      DefaultActions: [Match.objectLike({ Type: 'forward' })],
    });
    expect(JSON.stringify(plain.outputs.DataEndpoint.Value)).toMatch(
      /"http:\/\/",\{"Fn::GetAtt":\["DataPlaneLoadBalancer[0-9A-F]+","DNSName"\]\}/,
    );
    const warnings = Annotations.fromStack(plain.stack).findWarning('*', Match.stringLikeRegexp('serves plain HTTP'));
    expect(warnings).toHaveLength(1);
  });

  it('checks health on the process-level path, and drains a task for up to an hour', () => {
    withDomain.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: CONTAINER_PORT,
      Protocol: 'HTTP',
      TargetType: 'ip',
      HealthCheckPath: HEALTH_CHECK_PATH,
      Matcher: { HttpCode: '200' },
      TargetGroupAttributes: Match.arrayWith([{ Key: 'deregistration_delay.timeout_seconds', Value: '3600' }]),
    });
  });
});

describe('service', () => {
  it('runs Fargate tasks on Linux ARM64 with public IPs, one at least', () => {
    const { template } = withDomain;
    template.hasResourceProperties('AWS::ECS::Service', {
      LaunchType: 'FARGATE',
      DesiredCount: 1,
      NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: 'ENABLED' }) },
      DeploymentConfiguration: Match.objectLike({ DeploymentCircuitBreaker: { Enable: true, Rollback: true } }),
    });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RequiresCompatibilities: ['FARGATE'],
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
      Cpu: String(DATA_PLANE_TASK.cpu),
      Memory: String(DATA_PLANE_TASK.memoryLimitMiB),
    });
  });

  it("configures the container as the api function, with Glacier's body limit, logging to CloudWatch", () => {
    const { resources, stack, logicalId, ofType } = withDomain;
    const [[, task]] = ofType('AWS::ECS::TaskDefinition');
    const [container] = task.Properties.ContainerDefinitions as {
      Environment: { Name: string; Value: unknown }[];
      PortMappings: unknown[];
      LogConfiguration: { LogDriver: string; Options: Record<string, unknown> };
      ReadonlyRootFilesystem: boolean;
    }[];
    const apiVariables = (resources[logicalId(stack.functions.api)].Properties.Environment as { Variables: Record<string, unknown> })
      .Variables;
    expect(Object.fromEntries(container.Environment.map((v) => [v.Name, v.Value]))).toEqual({
      ...apiVariables,
      COLDVAULT_MAX_BODY_BYTES: String(CONTAINER_MAX_BODY_BYTES),
    });
    expect(container.PortMappings).toEqual([{ ContainerPort: CONTAINER_PORT, Protocol: 'tcp' }]);
    expect(container.LogConfiguration.LogDriver).toBe('awslogs');
    expect(container.LogConfiguration.Options['awslogs-group']).toEqual({ Ref: logicalId(stack.dataPlane!.logGroup) });
    expect(container.ReadonlyRootFilesystem).toBe(true);
  });

  it("gives the task role exactly the api function's permissions", () => {
    const { resources, stack, logicalId } = withDomain;
    const statementsOf = (roleId: string) =>
      Object.values(resources)
        .filter((r) => r.Type === 'AWS::IAM::Policy' && (r.Properties.Roles as { Ref: string }[]).some((role) => role.Ref === roleId))
        .flatMap((r) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
    const taskRole = logicalId(stack.dataPlane!.taskDefinition.taskRole as never);
    const apiRole = logicalId(stack.functions.api.role as never);
    // The function also writes traces (X-Ray), which the task does not.
    const apiStatements = statementsOf(apiRole).filter((s) => ![s.Action].flat().every((a) => a.startsWith('xray:')));
    expect(statementsOf(taskRole)).toEqual(apiStatements);
    const actions = statementsOf(taskRole).flatMap((s) => [s.Action].flat());
    expect(actions).toEqual(
      expect.arrayContaining([
        's3:GetObject',
        's3:PutObject',
        's3:DeleteObject',
        's3:RestoreObject',
        's3:ListBucket',
        'sns:Publish',
        'secretsmanager:GetSecretValue',
        'kms:Decrypt',
        'kms:GenerateDataKey',
      ]),
    );
    expect((resources[taskRole].Properties.ManagedPolicyArns as unknown[] | undefined) ?? []).toEqual([]);
  });

  // Its bodies reach 4 GiB: those over SINGLE_PUT_MAX_BYTES go as a multipart upload, aborted when a part fails.
  it('lets the task role abort the multipart uploads of archive objects', () => {
    const { resources, stack, logicalId } = withDomain;
    const taskRole = logicalId(stack.dataPlane!.taskDefinition.taskRole as never);
    const objects = { 'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalId(stack.storage.bucket), 'Arn'] }, '/*']] };
    const onObjects = Object.values(resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy' && (r.Properties.Roles as { Ref: string }[]).some((role) => role.Ref === taskRole))
      .flatMap((r) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement)
      .filter((s) => s.Effect === 'Allow' && JSON.stringify(s.Resource) === JSON.stringify(objects))
      .flatMap((s) => [s.Action].flat());
    expect(onObjects).toContain('s3:AbortMultipartUpload');
  });

  it('scales between 1 and dataPlaneMaxTasks on CPU and on requests per target', () => {
    const { template, stack, logicalId } = withDomain;
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 1,
      MaxCapacity: 7,
      ScalableDimension: 'ecs:service:DesiredCount',
    });
    const policies = withDomain.ofType('AWS::ApplicationAutoScaling::ScalingPolicy').map(
      ([, r]) =>
        r.Properties.TargetTrackingScalingPolicyConfiguration as {
          TargetValue: number;
          PredefinedMetricSpecification: { PredefinedMetricType: string; ResourceLabel?: unknown };
        },
    );
    expect(policies.map((p) => [p.PredefinedMetricSpecification.PredefinedMetricType, p.TargetValue]).sort()).toEqual([
      ['ALBRequestCountPerTarget', DATA_PLANE_SCALING.requestsPerTargetPerMinute],
      ['ECSServiceAverageCPUUtilization', DATA_PLANE_SCALING.cpuPercent],
    ]);
    const label = JSON.stringify(
      policies.find((p) => p.PredefinedMetricSpecification.ResourceLabel)!.PredefinedMetricSpecification.ResourceLabel,
    );
    expect(label).toContain(logicalId(stack.dataPlane!.targetGroup as never));
  });

  it('builds its image from the Dockerfile for linux/arm64, staging only what .dockerignore lets through', () => {
    const assembly = withDomain.app.synth();
    const manifest = JSON.parse(readFileSync(join(assembly.directory, `${withDomain.stack.artifactId}.assets.json`), 'utf8')) as {
      dockerImages: Record<string, { source: { directory: string; dockerFile: string; platform: string } }>;
    };
    const images = Object.values(manifest.dockerImages);
    expect(images).toHaveLength(1);
    expect(images[0].source).toMatchObject({ dockerFile: 'Dockerfile', platform: 'linux/arm64' });
    const staged = join(assembly.directory, images[0].source.directory);
    expect(readdirSync(staged).sort()).toEqual([
      '.dockerignore',
      'Dockerfile',
      'lambda',
      'lib',
      'package-lock.json',
      'package.json',
      'tsconfig.json',
    ]);
    expect(readdirSync(join(staged, 'lib')).sort()).toEqual(['bundling.ts', 'container-bundle.ts']);
    expect(existsSync(join(staged, 'node_modules'))).toBe(false);
    const [[, task]] = withDomain.ofType('AWS::ECS::TaskDefinition');
    expect(JSON.stringify(task.Properties.ContainerDefinitions)).toContain(Object.keys(manifest.dockerImages)[0]);
  });
});

describe('logs', () => {
  it("keeps the tasks' logs and the rejected-flow logs as long as the environment's other logs", () => {
    const groups = withDomain.ofType('AWS::Logs::LogGroup').filter(([id]) => id.startsWith('DataPlane'));
    expect(groups).toHaveLength(2);
    for (const [, group] of groups) expect(group.Properties.RetentionInDays).toBe(365);
    withDomain.template.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'REJECT' });
  });
});

describe('monitoring', () => {
  type Alarm = {
    MetricName?: string;
    Namespace?: string;
    Threshold: number;
    Metrics?: { Expression?: string; MetricStat?: { Metric: { MetricName: string } } }[];
  };
  const alarms = () => withDomain.ofType('AWS::CloudWatch::Alarm').map(([, r]) => r.Properties as Alarm);

  it('alarms on the 5XX rate of the tasks and the load balancer', () => {
    const [alarm] = alarms().filter((a) => a.Metrics?.some((m) => m.MetricStat?.Metric.MetricName === 'HTTPCode_Target_5XX_Count'));
    expect(alarm.Threshold).toBe(5);
    expect(alarm.Metrics!.map((m) => m.MetricStat?.Metric.MetricName ?? m.Expression).sort()).toEqual(
      [
        'HTTPCode_ELB_5XX_Count',
        'HTTPCode_Target_5XX_Count',
        'IF(requests > 0, 100 * (FILL(target, 0) + FILL(elb, 0)) / requests, 0)',
        'RequestCount',
      ].sort(),
    );
  });

  it('alarms on an unhealthy task and on CPU', () => {
    expect(
      alarms()
        .filter((a) => a.Namespace === 'AWS/ApplicationELB' && a.MetricName === 'UnHealthyHostCount')
        .map((a) => a.Threshold),
    ).toEqual([1]);
    expect(
      alarms()
        .filter((a) => a.Namespace === 'AWS/ECS' && a.MetricName === 'CPUUtilization')
        .map((a) => a.Threshold),
    ).toEqual([85]);
  });

  it('puts the plane on the dashboard', () => {
    const [[, dashboard]] = withDomain.ofType('AWS::CloudWatch::Dashboard');
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    for (const title of ['Data plane requests', 'Data plane tasks', 'Data plane latency and bytes']) expect(body).toContain(title);
  });

  it('points the streaming function at the data plane for outputs too large for Lambda', () => {
    const { resources, stack, logicalId } = withDomain;
    const variables = (resources[logicalId(stack.functions.apiStream)].Properties.Environment as { Variables: Record<string, unknown> })
      .Variables;
    expect(variables.COLDVAULT_DATA_ENDPOINT).toBe('https://data.example.com');
  });
});
