// Lambda entry point behind API Gateway.
import { apiGatewayHandler } from '../http/apigw';
import { instrumented } from '../observability';
import { functionApi } from '../function-api';

export const handler = instrumented(apiGatewayHandler(functionApi));
