import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as route53Targets from 'aws-cdk-lib/aws-route53-targets';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { ALL_ROUTES, routePaths } from '../lambda/http/routes';

/**
 * Operations answered through response streaming, by the streaming function: a whole job
 * output of up to 200 MB in one GET. Only these: everything else answers in kilobytes, and
 * stays on the buffered integration and the function tested with it.
 */
export const STREAMED_OPERATIONS: readonly string[] = ['GetJobOutput'];

export interface GlacierApiProps {
  handler: lambda.IFunction;
  /** Serves STREAMED_OPERATIONS with Lambda response streaming. */
  streamingHandler: lambda.IFunction;
  stageName: string;
  throttlingRateLimit: number;
  throttlingBurstLimit: number;
  logRetentionDays: number;
  /** Of the access log group. */
  removalPolicy: RemovalPolicy;
  domain?: { domainName: string; certificateArn: string; hostedZone?: { id: string; name: string } };
}

/**
 * A REST API with one method per route of the route table, each proxied to the api function.
 * A REST API rather than an HTTP API: only REST APIs can stream responses, take a WAF web ACL,
 * and pass binary bodies by media type.
 * No gateway authorization: API Gateway's IAM auth only accepts the `execute-api` signing
 * name, so the function verifies the `glacier` SigV4 signature itself.
 */
export class GlacierApi extends Construct {
  readonly restApi: apigateway.RestApi;
  readonly accessLogs: logs.LogGroup;
  readonly domainName?: apigateway.DomainName;
  readonly aliasRecord?: route53.ARecord;
  /** The configured custom domain, as a plain string. */
  readonly customDomainName?: string;

  constructor(scope: Construct, id: string, props: GlacierApiProps) {
    super(scope, id);
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetentionDays as logs.RetentionDays,
      removalPolicy: props.removalPolicy,
    });
    this.restApi = new apigateway.RestApi(this, 'RestApi', {
      description: 'Amazon Glacier API 2012-06-01',
      endpointConfiguration: { types: [apigateway.EndpointType.REGIONAL] },
      // Bodies reach the function untouched (base64-encoded), whatever their content type.
      binaryMediaTypes: ['*/*'],
      // Stage logging needs the region's API Gateway account settings to name a role that can
      // write logs. This sets it, and keeps it when the stack goes: other APIs may rely on it.
      cloudWatchRole: true,
      deployOptions: {
        stageName: props.stageName,
        throttlingRateLimit: props.throttlingRateLimit,
        throttlingBurstLimit: props.throttlingBurstLimit,
        accessLogDestination: new apigateway.LogGroupLogDestination(this.accessLogs),
        accessLogFormat: apigateway.AccessLogFormat.jsonWithStandardFields(),
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        // Request bodies are archives.
        dataTraceEnabled: false,
      },
    });
    // The stack outputs the endpoint itself.
    this.restApi.node.tryRemoveChild('Endpoint');

    // One permission for the whole API rather than two per method: keeps the function's resource policy small.
    const integration = new apigateway.LambdaIntegration(props.handler, { proxy: true, scopePermissionToMethod: false });
    // Invoked through .../response-streaming-invocations; a stream may last 15 minutes (idle at most 5).
    const streamed = new apigateway.LambdaIntegration(props.streamingHandler, {
      proxy: true,
      scopePermissionToMethod: false,
      responseTransferMode: apigateway.ResponseTransferMode.STREAM,
      timeout: Duration.minutes(15),
    });
    const resources = new Map(routePaths(ALL_ROUTES).map((path) => [path, this.restApi.root.resourceForPath(path)]));
    const added = new Set<string>();
    for (const route of ALL_ROUTES) {
      const key = `${route.method} ${route.path}`;
      // Operations told apart by a query parameter (tags: add/remove) share one method.
      if (added.has(key)) continue;
      added.add(key);
      resources.get(route.path)?.addMethod(route.method, STREAMED_OPERATIONS.includes(route.operation) ? streamed : integration, {
        authorizationType: apigateway.AuthorizationType.NONE,
      });
    }
    // The web console's static files, served by the same function.
    const console = this.restApi.root.resourceForPath('/console');
    console.addMethod('GET', integration, { authorizationType: apigateway.AuthorizationType.NONE });
    console.addResource('{proxy+}').addMethod('GET', integration, { authorizationType: apigateway.AuthorizationType.NONE });

    if (props.domain) {
      const { domainName, certificateArn, hostedZone } = props.domain;
      this.customDomainName = domainName;
      this.domainName = new apigateway.DomainName(this, 'DomainName', {
        domainName,
        certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', certificateArn),
        endpointType: apigateway.EndpointType.REGIONAL,
        securityPolicy: apigateway.SecurityPolicy.TLS_1_2,
      });
      // No base path: clients sign and call `/-/vaults/...` as on Glacier itself.
      this.domainName.addBasePathMapping(this.restApi, { stage: this.restApi.deploymentStage });
      if (hostedZone) {
        this.aliasRecord = new route53.ARecord(this, 'AliasRecord', {
          zone: route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', { hostedZoneId: hostedZone.id, zoneName: hostedZone.name }),
          recordName: domainName,
          target: route53.RecordTarget.fromAlias(new route53Targets.ApiGatewayDomain(this.domainName)),
        });
      }
    }

    NagSuppressions.addResourceSuppressions(
      this.restApi,
      [
        {
          id: 'AwsSolutions-APIG2',
          reason: "The function validates every Glacier request and answers with Glacier's own error documents.",
        },
        {
          id: 'AwsSolutions-APIG4',
          reason:
            'Clients sign with SigV4 for the glacier service, which API Gateway IAM auth does not accept; the function verifies the signature.',
        },
        {
          id: 'AwsSolutions-COG4',
          reason: 'Glacier clients authenticate with SigV4 access keys, not Cognito tokens; the function verifies the signature.',
        },
        { id: 'AwsSolutions-APIG3', reason: 'A WAF web ACL is an account-level choice with its own cost; the REST API can take one.' },
        { id: 'Serverless-APIGWXrayEnabled', reason: 'X-Ray tracing is left off for cost; access and execution logs are on.' },
        {
          id: 'AwsSolutions-IAM4',
          reason: 'AmazonAPIGatewayPushToCloudWatchLogs is the policy API Gateway documents for its logging role; it writes logs only.',
          appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs'],
        },
      ],
      true,
    );
  }

  /** The URL for `--endpoint-url`: the custom domain when there is one, else the stage URL, without the trailing slash. */
  get endpoint(): string {
    if (this.customDomainName) return `https://${this.customDomainName}`;
    return `https://${this.restApi.restApiId}.execute-api.${this.restApi.env.region}.${this.restApi.stack.urlSuffix}/${this.restApi.deploymentStage.stageName}`;
  }
}
