// Lambda entry point behind API Gateway.
import { apiGatewayHandler } from '../http/apigw';
import { instrumented } from '../observability';
import { functionApi } from './api-builder';

export const handler = instrumented(apiGatewayHandler(functionApi));
