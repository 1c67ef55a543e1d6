import { join } from 'node:path';
import { Annotations, Duration, IgnoreMode, type RemovalPolicy } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as route53Targets from 'aws-cdk-lib/aws-route53-targets';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import {
  CONTAINER_MAX_BODY_BYTES,
  CONTAINER_PORT,
  DRAIN_SECONDS,
  HEALTH_CHECK_PATH,
  LOAD_BALANCER_IDLE_TIMEOUT_SECONDS,
} from '../lambda/local/container-settings';
import { ENV } from '../lambda/config';
import { grantApiAccess, type ApiAccess } from './functions';

const ROOT = join(__dirname, '..');

/** Fargate task size: 1 vCPU hashes (SHA-256 and tree hash) at line rate for a few concurrent transfers; 2 GiB is the least Fargate pairs with it. */
export const DATA_PLANE_TASK = { cpu: 1024, memoryLimitMiB: 2048 } as const;
/** Autoscaling targets: average CPU across tasks, and requests per task per minute. */
export const DATA_PLANE_SCALING = { cpuPercent: 60, requestsPerTargetPerMinute: 3000 } as const;

export interface DataPlaneProps {
  access: ApiAccess;
  /** The api function's environment: the tasks are configured the same. */
  environment: Record<string, string>;
  maxTasks: number;
  logRetentionDays: number;
  removalPolicy: RemovalPolicy;
  domain?: { domainName: string; certificateArn: string; hostedZone?: { id: string; name: string } };
}

/**
 * The container data plane: the same API with Glacier's own limits (4 GiB bodies, whole job
 * outputs) on ECS Fargate (ARM64) behind an internet-facing Application Load Balancer, on the
 * same table and bucket as the functions.
 *
 * Network: two AZs of public subnets and no NAT gateway. Tasks get public IPs for what has
 * no free endpoint (Secrets Manager, SNS, CloudWatch Logs, ECR), and reach S3 and DynamoDB
 * through gateway endpoints: archive bytes never cross a NAT gateway ($0.045/GB) or the
 * internet. Only the load balancer's security group may reach the tasks.
 */
export class DataPlane extends Construct {
  readonly vpc: ec2.Vpc;
  readonly cluster: ecs.Cluster;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly service: ecs.FargateService;
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  readonly logGroup: logs.LogGroup;
  readonly scaling: ecs.ScalableTaskCount;
  /** The URL for `--endpoint-url`. */
  readonly endpoint: string;
  readonly aliasRecord?: route53.ARecord;

  constructor(scope: Construct, id: string, props: DataPlaneProps) {
    super(scope, id);
    const flowLogs = new logs.LogGroup(this, 'FlowLogs', {
      retention: props.logRetentionDays as logs.RetentionDays,
      removalPolicy: props.removalPolicy,
    });
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 }],
      gatewayEndpoints: {
        S3: { service: ec2.GatewayVpcEndpointAwsService.S3 },
        DynamoDB: { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB },
      },
      // Rejected connections only: accepted flows would log every archive transfer.
      flowLogs: {
        Rejected: { destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs), trafficType: ec2.FlowLogTrafficType.REJECT },
      },
    });

    this.cluster = new ecs.Cluster(this, 'Cluster', { vpc: this.vpc, containerInsightsV2: ecs.ContainerInsights.ENABLED });

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetentionDays as logs.RetentionDays,
      removalPolicy: props.removalPolicy,
    });
    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      ...DATA_PLANE_TASK,
      runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.ARM64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
    });
    this.taskDefinition.addContainer('Api', {
      // Built by `cdk deploy` (Docker needed); `cdk synth` only stages the context .dockerignore lets through and hashes it.
      image: ecs.ContainerImage.fromAsset(ROOT, { file: 'Dockerfile', platform: Platform.LINUX_ARM64, ignoreMode: IgnoreMode.DOCKER }),
      environment: { ...props.environment, [ENV.maxBodyBytes]: String(CONTAINER_MAX_BODY_BYTES) },
      portMappings: [{ containerPort: CONTAINER_PORT, protocol: ecs.Protocol.TCP }],
      logging: ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: 'api' }),
      readonlyRootFilesystem: true,
      // The time the server gets between SIGTERM and SIGKILL, once the load balancer has drained the task.
      stopTimeout: Duration.seconds(120),
    });
    grantApiAccess(this.taskDefinition.taskRole, props.access);

    const albSecurityGroup = new ec2.SecurityGroup(this, 'LoadBalancerSecurityGroup', {
      vpc: this.vpc,
      description: 'coldvault data plane load balancer: HTTPS (and HTTP) from anywhere',
      allowAllOutbound: false,
    });
    const taskSecurityGroup = new ec2.SecurityGroup(this, 'TaskSecurityGroup', {
      vpc: this.vpc,
      description: 'coldvault data plane tasks: only the load balancer reaches them',
      // Out to AWS APIs: S3 and DynamoDB through the gateway endpoints, the rest over the internet.
      allowAllOutbound: true,
    });
    taskSecurityGroup.addIngressRule(albSecurityGroup, ec2.Port.tcp(CONTAINER_PORT), 'From the load balancer');

    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: this.vpc,
      internetFacing: true,
      securityGroup: albSecurityGroup,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      idleTimeout: Duration.seconds(LOAD_BALANCER_IDLE_TIMEOUT_SECONDS),
      // Headers go through as sent: a signature covers them.
      dropInvalidHeaderFields: false,
      desyncMitigationMode: elbv2.DesyncMitigationMode.STRICTEST,
    });

    this.service = new ecs.FargateService(this, 'Service', {
      cluster: this.cluster,
      taskDefinition: this.taskDefinition,
      desiredCount: 1,
      // Public IPs instead of a NAT gateway (see above); the security group admits only the load balancer.
      assignPublicIp: true,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      securityGroups: [taskSecurityGroup],
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { rollback: true },
      healthCheckGracePeriod: Duration.seconds(60),
    });

    this.targetGroup = new elbv2.ApplicationTargetGroup(this, 'Targets', {
      vpc: this.vpc,
      port: CONTAINER_PORT,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targetType: elbv2.TargetType.IP,
      targets: [this.service],
      deregistrationDelay: Duration.seconds(DRAIN_SECONDS),
      healthCheck: {
        path: HEALTH_CHECK_PATH,
        healthyHttpCodes: '200',
        interval: Duration.seconds(15),
        timeout: Duration.seconds(5),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 3,
      },
    });

    if (props.domain) {
      const { domainName, certificateArn, hostedZone } = props.domain;
      this.loadBalancer.addListener('Https', {
        port: 443,
        protocol: elbv2.ApplicationProtocol.HTTPS,
        certificates: [acm.Certificate.fromCertificateArn(this, 'Certificate', certificateArn)],
        sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
        defaultTargetGroups: [this.targetGroup],
        open: true,
      });
      // Plain HTTP is only ever told to go to HTTPS: a request sent over it has already been exposed, but nothing is served on it.
      this.loadBalancer.addRedirect({ sourcePort: 80, targetPort: 443 });
      this.endpoint = `https://${domainName}`;
      if (hostedZone) {
        this.aliasRecord = new route53.ARecord(this, 'AliasRecord', {
          zone: route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', { hostedZoneId: hostedZone.id, zoneName: hostedZone.name }),
          recordName: domainName,
          target: route53.RecordTarget.fromAlias(new route53Targets.LoadBalancerTarget(this.loadBalancer)),
        });
      }
    } else {
      this.loadBalancer.addListener('Http', {
        port: 80,
        protocol: elbv2.ApplicationProtocol.HTTP,
        defaultTargetGroups: [this.targetGroup],
        open: true,
      });
      this.endpoint = `http://${this.loadBalancer.loadBalancerDnsName}`;
      Annotations.of(this).addWarningV2(
        'coldvault:data-plane-plain-http',
        'The data plane has no "dataDomainName"/"dataCertificateArn": it serves plain HTTP on the load balancer\'s name. ' +
          'Signatures keep secret keys off the wire, but archive contents, names and descriptions travel in the clear and a captured request can be replayed for 15 minutes. ' +
          'Set a domain and an ACM certificate before sending real data.',
      );
    }

    this.scaling = this.service.autoScaleTaskCount({ minCapacity: 1, maxCapacity: props.maxTasks });
    this.scaling.scaleOnCpuUtilization('Cpu', {
      targetUtilizationPercent: DATA_PLANE_SCALING.cpuPercent,
      scaleOutCooldown: Duration.minutes(1),
      scaleInCooldown: Duration.minutes(5),
    });
    this.scaling.scaleOnRequestCount('Requests', {
      requestsPerTarget: DATA_PLANE_SCALING.requestsPerTargetPerMinute,
      targetGroup: this.targetGroup,
      scaleOutCooldown: Duration.minutes(1),
      scaleInCooldown: Duration.minutes(5),
    });

    this.acknowledgeNagFindings(taskSecurityGroup, albSecurityGroup);
  }

  /** The task role, with exactly what the api function has. */
  get taskRole(): iam.IRole {
    return this.taskDefinition.taskRole;
  }

  private acknowledgeNagFindings(taskSecurityGroup: ec2.SecurityGroup, albSecurityGroup: ec2.SecurityGroup): void {
    const wildcard = (pattern: string) => ({ regex: `/^${pattern}$/` });
    NagSuppressions.addResourceSuppressions(
      this.taskDefinition,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            "The task role has exactly the api function's grants (one grant function): objects of the one archive bucket, the indexes of the one table, " +
            'sns:Publish to the topics users name in this account and region, and the KMS actions CDK grants for the one key. ' +
            'The execution role reads the one log group and pulls the one image repository (ecr:GetAuthorizationToken takes no resource).',
          appliesTo: [
            wildcard('Resource::<[A-Za-z0-9]+\\.Arn>/\\*'),
            wildcard('Resource::<[A-Za-z0-9]+\\.Arn>/index/\\*'),
            'Resource::arn:<AWS::Partition>:sns:<AWS::Region>:<AWS::AccountId>:*',
            'Action::kms:ReEncrypt*',
            'Action::kms:GenerateDataKey*',
            'Resource::*',
          ],
        },
        {
          id: 'AwsSolutions-ECS2',
          reason:
            "The environment holds only names (table, bucket, region, account) and the ARN of the root key's secret, which the task reads at start: no secret values.",
        },
      ],
      true,
    );
    NagSuppressions.addResourceSuppressions(albSecurityGroup, [
      { id: 'AwsSolutions-EC23', reason: 'The data plane is a public endpoint for Glacier clients; requests are authenticated by SigV4.' },
    ]);
    NagSuppressions.addResourceSuppressions(taskSecurityGroup, [
      { id: 'AwsSolutions-EC23', reason: "Ingress is only from the load balancer's security group." },
    ]);
    NagSuppressions.addResourceSuppressions(this.loadBalancer, [
      {
        id: 'AwsSolutions-ELB2',
        reason:
          "The tasks log every request (operation, status, latency, request ID) as the functions do; load balancer access logs would need the stack's region at synth (it is region-agnostic).",
      },
    ]);
  }
}
