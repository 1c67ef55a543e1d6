// Glacier's error codes, their HTTP status and fault type: the one table of them.

const STATUS = {
  ResourceNotFoundException: 404,
  InvalidParameterValueException: 400,
  MissingParameterValueException: 400,
  LimitExceededException: 400,
  PolicyEnforcedException: 400,
  InsufficientCapacityException: 400,
  NoLongerSupportedException: 400,
  RequestTimeoutException: 408,
  ServiceUnavailableException: 500,
  NotImplementedException: 501,
  AccessDeniedException: 403,
  InvalidSignatureException: 403,
  UnrecognizedClientException: 403,
  MissingAuthenticationTokenException: 400,
  IncompleteSignatureException: 400,
  UnknownOperationException: 400,
} as const;

export type GlacierErrorCode = keyof typeof STATUS;

export class GlacierError extends Error {
  readonly status: number;
  readonly type: 'Client' | 'Server';

  constructor(
    readonly code: GlacierErrorCode,
    message: string,
  ) {
    super(message);
    this.name = code;
    this.status = STATUS[code];
    this.type = this.status >= 500 ? 'Server' : 'Client';
  }
}

export const notFound = (message: string) => new GlacierError('ResourceNotFoundException', message);
export const invalidParameter = (message: string) => new GlacierError('InvalidParameterValueException', message);
export const missingParameter = (message: string) => new GlacierError('MissingParameterValueException', message);
export const missingHeader = (name: string) => missingParameter(`Required parameter missing: ${name}`);
export const limitExceeded = (message: string) => new GlacierError('LimitExceededException', message);
export const accessDenied = (message: string) => new GlacierError('AccessDeniedException', message);
export const serviceUnavailable = (message: string) => new GlacierError('ServiceUnavailableException', message);
