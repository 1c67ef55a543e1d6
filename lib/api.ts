import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { ROUTES, routePaths } from '../lambda/http/routes';

export interface GlacierApiProps {
  handler: lambda.IFunction;
  stageName: string;
}

/**
 * A REST API with one method per route of the route table, each proxied to the api function.
 * No gateway authorization: API Gateway's IAM auth only accepts the `execute-api` signing
 * name, so the function verifies the `glacier` SigV4 signature itself.
 */
export class GlacierApi extends Construct {
  readonly restApi: apigateway.RestApi;

  constructor(scope: Construct, id: string, props: GlacierApiProps) {
    super(scope, id);
    this.restApi = new apigateway.RestApi(this, 'RestApi', {
      description: 'Amazon Glacier API 2012-06-01',
      endpointConfiguration: { types: [apigateway.EndpointType.REGIONAL] },
      // Bodies reach the function untouched (base64-encoded), whatever their content type.
      binaryMediaTypes: ['*/*'],
      cloudWatchRole: false,
      deployOptions: { stageName: props.stageName },
    });
    // The stack outputs the endpoint itself.
    this.restApi.node.tryRemoveChild('Endpoint');

    // One permission for the whole API rather than two per method: keeps the function's resource policy small.
    const integration = new apigateway.LambdaIntegration(props.handler, { proxy: true, scopePermissionToMethod: false });
    const resources = new Map(routePaths().map((path) => [path, this.restApi.root.resourceForPath(path)]));
    const added = new Set<string>();
    for (const route of ROUTES) {
      const key = `${route.method} ${route.path}`;
      // Operations told apart by a query parameter (tags: add/remove) share one method.
      if (added.has(key)) continue;
      added.add(key);
      resources.get(route.path)?.addMethod(route.method, integration, { authorizationType: apigateway.AuthorizationType.NONE });
    }
  }

  /** The stage URL without the trailing slash, ready for `--endpoint-url`. */
  get endpoint(): string {
    return `https://${this.restApi.restApiId}.execute-api.${this.restApi.env.region}.${this.restApi.stack.urlSuffix}/${this.restApi.deploymentStage.stageName}`;
  }
}
