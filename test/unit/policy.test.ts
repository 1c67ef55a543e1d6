import { GlacierError } from '../../lambda/domain/errors';
import {
  evaluate,
  MAX_POLICY_BYTES,
  parsePolicy,
  PolicyDocument,
  PolicyKind,
  PolicyStatement,
  RequestContext,
} from '../../lambda/domain/policy';
import { ACCOUNT } from '../support/accounts';

const VAULT = `arn:aws:glacier:us-east-1:${ACCOUNT}:vaults/photos`;

function parseError(text: string, kind: PolicyKind): GlacierError {
  try {
    parsePolicy(text, kind);
  } catch (e) {
    expect(e).toBeInstanceOf(GlacierError);
    expect((e as GlacierError).code).toBe('InvalidParameterValueException');
    return e as GlacierError;
  }
  throw new Error(`parsePolicy accepted ${text}`);
}

const allowAll: PolicyStatement = { Effect: 'Allow', Action: 'glacier:*', Resource: '*' };
const docWith = (statement: object) => JSON.stringify({ Version: '2012-10-17', Statement: [allowAll, statement] });
const identityWith = (extra: object) => docWith({ ...allowAll, ...extra });
const resourceWith = (extra: object) => JSON.stringify({ Statement: [{ ...allowAll, Principal: '*', ...extra }] });

function request(action: string, keys: RequestContext['keys'] = {}, resource = VAULT): RequestContext {
  return { action, resource, keys };
}

function decide(statements: PolicyStatement[], req: RequestContext, matcher?: (p: string) => boolean) {
  return evaluate({ Version: '2012-10-17', Statement: statements }, req, matcher);
}

describe('parsePolicy refuses', () => {
  const cases: [string, string, PolicyKind, string][] = [
    ['an array document', '[]', 'identity', 'Invalid policy: the document must be a JSON object, got an array.'],
    ['a null document', 'null', 'identity', 'Invalid policy: the document must be a JSON object, got null.'],
    ['a string document', '"policy"', 'identity', 'Invalid policy: the document must be a JSON object, got "policy".'],
    [
      'an unknown top-level element',
      JSON.stringify({ Statements: [] }),
      'identity',
      'Invalid policy: unknown top-level element "Statements"; expected Version, Id and Statement.',
    ],
    [
      'an unknown Version',
      JSON.stringify({ Version: '2012-10-18', Statement: allowAll }),
      'identity',
      'Invalid policy: Version must be "2012-10-17" or "2008-10-17", got "2012-10-18".',
    ],
    [
      'a numeric Version',
      JSON.stringify({ Version: 2012, Statement: allowAll }),
      'identity',
      'Invalid policy: Version must be "2012-10-17" or "2008-10-17", got 2012.',
    ],
    ['a non-string Id', JSON.stringify({ Id: 7, Statement: allowAll }), 'identity', 'Invalid policy: Id must be a string, got 7.'],
    ['a missing Statement', JSON.stringify({ Version: '2012-10-17' }), 'identity', 'Invalid policy: the document must have a Statement.'],
    ['an empty Statement array', JSON.stringify({ Statement: [] }), 'identity', 'Invalid policy: Statement must not be an empty array.'],
    [
      'a Statement that is not an object',
      JSON.stringify({ Statement: [allowAll, 'x'] }),
      'identity',
      'Invalid policy: Statement[1] must be an object, got "x".',
    ],
    [
      'a single Statement that is not an object',
      JSON.stringify({ Statement: 3 }),
      'identity',
      'Invalid policy: Statement must be an object, got 3.',
    ],
    [
      'an unknown statement element',
      identityWith({ Actions: 'glacier:*' }),
      'identity',
      'Invalid policy: Statement[1] has an unknown element "Actions".',
    ],
    ['a non-string Sid', identityWith({ Sid: 1 }), 'identity', 'Invalid policy: Statement[1].Sid must be a string, got 1.'],
    [
      'a missing Effect',
      docWith({ Action: '*', Resource: '*' }),
      'identity',
      'Invalid policy: Statement[1] must have an Effect ("Allow" or "Deny").',
    ],
    [
      'an invalid Effect',
      identityWith({ Effect: 'Permit' }),
      'identity',
      'Invalid policy: Statement[1].Effect must be "Allow" or "Deny", got "Permit".',
    ],
    [
      'a lower-case Effect',
      identityWith({ Effect: 'allow' }),
      'identity',
      'Invalid policy: Statement[1].Effect must be "Allow" or "Deny", got "allow".',
    ],
    [
      'a Principal in an identity policy',
      identityWith({ Principal: '*' }),
      'identity',
      'Invalid policy: Statement[1].Principal is not allowed in an identity (user) policy.',
    ],
    [
      'a NotPrincipal in an identity policy',
      identityWith({ NotPrincipal: { AWS: ACCOUNT } }),
      'identity',
      'Invalid policy: Statement[1].NotPrincipal is not allowed in an identity (user) policy.',
    ],
    [
      'a resource policy statement without a principal',
      JSON.stringify({ Statement: allowAll }),
      'resource',
      'Invalid policy: Statement must have a Principal or NotPrincipal in a resource (vault) policy.',
    ],
    [
      'both Principal and NotPrincipal',
      resourceWith({ NotPrincipal: { AWS: ACCOUNT } }),
      'resource',
      'Invalid policy: Statement[0] must not have both Principal and NotPrincipal.',
    ],
    [
      'a Principal string other than "*"',
      resourceWith({ Principal: ACCOUNT }),
      'resource',
      'Invalid policy: Statement[0].Principal must be "*" or an object like {"AWS": "arn:aws:iam::123456789012:root"}, got "123456789012".',
    ],
    [
      'a NotPrincipal of "*"',
      JSON.stringify({ Statement: [{ ...allowAll, NotPrincipal: '*' }] }),
      'resource',
      'Invalid policy: Statement[0].NotPrincipal must be an object like {"AWS": "arn:aws:iam::123456789012:root"}, got "*".',
    ],
    [
      'a Service principal',
      resourceWith({ Principal: { Service: 'glacier.amazonaws.com' } }),
      'resource',
      'Invalid policy: Statement[0].Principal has the principal type "Service"; only "AWS" is supported.',
    ],
    [
      'a principal without AWS',
      resourceWith({ Principal: {} }),
      'resource',
      'Invalid policy: Statement[0].Principal must have an "AWS" element.',
    ],
    [
      'an empty AWS principal list',
      resourceWith({ Principal: { AWS: [] } }),
      'resource',
      'Invalid policy: Statement[0].Principal.AWS must not be an empty array.',
    ],
    [
      'a non-string AWS principal',
      resourceWith({ Principal: { AWS: [ACCOUNT, 5] } }),
      'resource',
      'Invalid policy: Statement[0].Principal.AWS[1] must be a string, got 5.',
    ],
    [
      'a malformed AWS principal',
      resourceWith({ Principal: { AWS: 'bob' } }),
      'resource',
      'Invalid policy: Statement[0].Principal.AWS must be "*", a 12-digit account ID or an ARN, got "bob".',
    ],
    [
      'both Action and NotAction',
      identityWith({ NotAction: 'glacier:*' }),
      'identity',
      'Invalid policy: Statement[1] must not have both Action and NotAction.',
    ],
    [
      'neither Action nor NotAction',
      docWith({ Effect: 'Allow', Resource: '*' }),
      'identity',
      'Invalid policy: Statement[1] must have Action or NotAction.',
    ],
    [
      'an Action without a service',
      identityWith({ Action: ['glacier:ListVaults', 'DeleteArchive'] }),
      'identity',
      'Invalid policy: Statement[1].Action[1] must be "*" or "service:ActionName" (e.g. "glacier:DeleteArchive"), got "DeleteArchive".',
    ],
    ['an empty Action list', identityWith({ Action: [] }), 'identity', 'Invalid policy: Statement[1].Action must not be an empty array.'],
    ['a numeric Action', identityWith({ Action: 42 }), 'identity', 'Invalid policy: Statement[1].Action must be a string, got 42.'],
    [
      'both Resource and NotResource',
      identityWith({ NotResource: VAULT }),
      'identity',
      'Invalid policy: Statement[1] must not have both Resource and NotResource.',
    ],
    [
      'a missing Resource',
      docWith({ Effect: 'Allow', Action: '*' }),
      'identity',
      'Invalid policy: Statement[1] must have Resource or NotResource.',
    ],
    [
      'a Resource that is not an ARN',
      identityWith({ Resource: 'vaults/photos' }),
      'identity',
      'Invalid policy: Statement[1].Resource must be "*" or an ARN (arn:partition:service:region:account:resource), got "vaults/photos".',
    ],
    [
      'a Condition that is not an object',
      identityWith({ Condition: [] }),
      'identity',
      'Invalid policy: Statement[1].Condition must be an object, got an array.',
    ],
    [
      'an unknown condition operator',
      identityWith({ Condition: { StringEqualz: { 'aws:PrincipalAccount': ACCOUNT } } }),
      'identity',
      'Invalid policy: Statement[1].Condition: "StringEqualz" is not a supported condition operator.',
    ],
    [
      'a set operator',
      identityWith({ Condition: { 'ForAnyValue:StringEquals': { k: 'v' } } }),
      'identity',
      'Invalid policy: Statement[1].Condition: "ForAnyValue:StringEquals" is not a supported condition operator.',
    ],
    [
      'NullIfExists',
      identityWith({ Condition: { NullIfExists: { k: 'true' } } }),
      'identity',
      'Invalid policy: Statement[1].Condition: the Null operator cannot take the IfExists suffix.',
    ],
    [
      'an operator block that is not an object',
      identityWith({ Condition: { StringEquals: 'x' } }),
      'identity',
      'Invalid policy: Statement[1].Condition.StringEquals must be an object mapping condition keys to values, got "x".',
    ],
    [
      'an empty operator block',
      identityWith({ Condition: { Bool: {} } }),
      'identity',
      'Invalid policy: Statement[1].Condition.Bool must name at least one condition key.',
    ],
    [
      'an empty condition key',
      identityWith({ Condition: { StringLike: { '': 'x' } } }),
      'identity',
      'Invalid policy: Statement[1].Condition.StringLike has an empty condition key.',
    ],
    [
      'a null condition value',
      identityWith({ Condition: { StringEquals: { k: null } } }),
      'identity',
      'Invalid policy: Statement[1].Condition.StringEquals["k"] must be a string, number, boolean or an array of them, got null.',
    ],
    [
      'an object condition value',
      identityWith({ Condition: { StringEquals: { k: ['a', {}] } } }),
      'identity',
      'Invalid policy: Statement[1].Condition.StringEquals["k"] must be a string, number, boolean or an array of them, got an object.',
    ],
    [
      'an empty condition value list',
      identityWith({ Condition: { StringEquals: { k: [] } } }),
      'identity',
      'Invalid policy: Statement[1].Condition.StringEquals["k"] must not be an empty array.',
    ],
    [
      'a non-numeric Numeric value',
      identityWith({ Condition: { NumericLessThan: { 'glacier:ArchiveAgeInDays': 'a year' } } }),
      'identity',
      'Invalid policy: Statement[1].Condition.NumericLessThan["glacier:ArchiveAgeInDays"] must be a number for NumericLessThan, got "a year".',
    ],
    [
      'a hexadecimal Numeric value',
      identityWith({ Condition: { NumericEqualsIfExists: { n: '0x10' } } }),
      'identity',
      'Invalid policy: Statement[1].Condition.NumericEqualsIfExists["n"] must be a number for NumericEqualsIfExists, got "0x10".',
    ],
    [
      'an unparseable Date value',
      identityWith({ Condition: { DateGreaterThan: { 'aws:CurrentTime': 'yesterday' } } }),
      'identity',
      'Invalid policy: Statement[1].Condition.DateGreaterThan["aws:CurrentTime"] must be an ISO 8601 date/time or epoch seconds for DateGreaterThan, got "yesterday".',
    ],
    [
      'an impossible Date value',
      identityWith({ Condition: { DateLessThan: { 'aws:CurrentTime': '2024-02-30T00:00:00Z' } } }),
      'identity',
      'Invalid policy: Statement[1].Condition.DateLessThan["aws:CurrentTime"] must be an ISO 8601 date/time or epoch seconds for DateLessThan, got "2024-02-30T00:00:00Z".',
    ],
    [
      'a Bool value other than true/false',
      identityWith({ Condition: { Bool: { 'aws:SecureTransport': 'yes' } } }),
      'identity',
      'Invalid policy: Statement[1].Condition.Bool["aws:SecureTransport"] must be "true" or "false" for Bool, got "yes".',
    ],
    [
      'a Null value other than true/false',
      identityWith({ Condition: { Null: { k: 1 } } }),
      'identity',
      'Invalid policy: Statement[1].Condition.Null["k"] must be "true" or "false" for Null, got 1.',
    ],
  ];

  it.each(cases)('%s', (_name, text, kind, message) => {
    expect(parseError(text, kind).message).toBe(message);
  });

  it('invalid JSON, with the parser’s own message', () => {
    const text = '{"Statement": [';
    let parserMessage = '';
    try {
      JSON.parse(text);
    } catch (e) {
      parserMessage = (e as Error).message;
    }
    expect(parseError(text, 'identity').message).toBe(`Invalid policy: not valid JSON (${parserMessage}).`);
    expect(parseError('', 'resource').message).toMatch(/^Invalid policy: not valid JSON \(.+\)\.$/);
  });

  it('documents over 20 KB (counted in UTF-8 bytes), and accepts exactly 20 KB', () => {
    const base = JSON.stringify({ Statement: { ...allowAll, Sid: '' } });
    const fill = (bytes: number, char: string) => base.replace('"Sid":""', `"Sid":"${char.repeat(bytes)}"`);
    const exact = fill(MAX_POLICY_BYTES - base.length, 'a');
    expect(Buffer.byteLength(exact)).toBe(MAX_POLICY_BYTES);
    expect(parsePolicy(exact, 'identity').Statement).toHaveLength(1);
    expect(parseError(`${exact} `, 'identity').message).toBe('Invalid policy: the document is 20481 bytes; the maximum is 20480 bytes.');
    // 'é' is two bytes: under 20,480 characters but over 20,480 bytes.
    const wide = fill(Math.floor((MAX_POLICY_BYTES - base.length) / 2) + 1, 'é');
    const wideBytes = Buffer.byteLength(wide);
    expect(wide.length).toBeLessThan(MAX_POLICY_BYTES);
    expect(wideBytes).toBeGreaterThan(MAX_POLICY_BYTES);
    expect(parseError(wide, 'identity').message).toBe(`Invalid policy: the document is ${wideBytes} bytes; the maximum is 20480 bytes.`);
  });
});

describe('parsePolicy accepts', () => {
  it('a single Statement object, returned as an array, with the fields as written', () => {
    const statement = {
      Sid: 'one',
      Effect: 'Deny',
      Principal: { AWS: ['arn:aws:iam::111122223333:root', '444455556666'] },
      NotAction: ['glacier:Delete*'],
      NotResource: VAULT,
      Condition: { NumericLessThanEquals: { 'glacier:ArchiveAgeInDays': 365 }, BoolIfExists: { 'aws:SecureTransport': false } },
    };
    expect(parsePolicy(JSON.stringify({ Version: '2008-10-17', Id: 'p1', Statement: statement }), 'resource')).toEqual({
      Version: '2008-10-17',
      Id: 'p1',
      Statement: [statement],
    });
  });

  it('no Version, wildcard principals and every operator with IfExists', () => {
    const operators = ['StringEquals', 'StringNotEqualsIgnoreCase', 'StringLike', 'NumericGreaterThan', 'DateEquals', 'Bool'];
    const Condition = Object.fromEntries(
      operators.map((op) => [`${op}IfExists`, { k: op.startsWith('Date') ? '2024-01-01' : op === 'Bool' ? 'true' : '1' }]),
    );
    const doc = parsePolicy(JSON.stringify({ Statement: [{ ...allowAll, Principal: { AWS: '*' }, Condition }] }), 'resource');
    expect(doc.Version).toBeUndefined();
    expect(doc.Statement[0].Condition).toEqual(Condition);
  });

  it('dates as ISO dates, date-times with offsets and epoch seconds', () => {
    for (const value of ['2024-06-01', '2024-06-01T12:00Z', '2024-06-01T12:00:00.250+02:00', 1717243200, '1717243200']) {
      expect(() => parsePolicy(identityWith({ Condition: { DateLessThan: { 'aws:CurrentTime': value } } }), 'identity')).not.toThrow();
    }
  });
});

describe('evaluate: actions', () => {
  it.each([
    ['glacier:*', 'glacier:DeleteArchive', true],
    ['glacier:Delete*', 'glacier:DeleteArchive', true],
    ['glacier:Delete*', 'glacier:DeleteVaultAccessPolicy', true],
    ['glacier:Delete*', 'glacier:UploadArchive', false],
    ['*', 'glacier:ListVaults', true],
    ['GLACIER:deletearchive', 'glacier:DeleteArchive', true],
    ['glacier:DeleteArchive', 'Glacier:DELETEARCHIVE', true],
    ['glacier:Delete?rchive', 'glacier:DeleteArchive', true],
    ['glacier:Delete?rchive', 'glacier:DeleteArchive2', false],
    ['glacier:*Vault', 'glacier:CreateVault', true],
    ['glacier:*Vault', 'glacier:CreateVaults', false],
    ['glacier:DeleteArchive', 'glacier:DeleteArchives', false],
    ['glacier:Get*Output', 'glacier:GetJobOutput', true],
    ['s3:*', 'glacier:ListVaults', false],
  ])('%s on %s: %s', (pattern, action, applies) => {
    expect(decide([{ Effect: 'Allow', Action: pattern, Resource: '*' }], request(action))).toBe(applies ? 'Allow' : 'NotApplicable');
    expect(decide([{ Effect: 'Deny', NotAction: [pattern], Resource: '*' }], request(action))).toBe(applies ? 'NotApplicable' : 'Deny');
  });

  it('a list of actions matches if any does', () => {
    const statement: PolicyStatement = { Effect: 'Allow', Action: ['glacier:ListVaults', 'glacier:Upload*'], Resource: '*' };
    expect(decide([statement], request('glacier:UploadArchive'))).toBe('Allow');
    expect(decide([statement], request('glacier:DeleteArchive'))).toBe('NotApplicable');
  });
});

describe('evaluate: resources', () => {
  it.each([
    [`arn:aws:glacier:us-east-1:${ACCOUNT}:vaults/*`, VAULT, true],
    [`arn:aws:glacier:*:${ACCOUNT}:vaults/photo?`, VAULT, true],
    [`arn:aws:glacier:*:${ACCOUNT}:vaults/photo?`, `${VAULT}s`, false],
    [`arn:aws:glacier:us-east-1:${ACCOUNT}:vaults/Photos`, VAULT, false],
    [`arn:aws:glacier:us-east-1:${ACCOUNT}:vaults/PHOTO*`, VAULT, false],
    [VAULT, `${VAULT}2`, false],
    [VAULT, VAULT, true],
    ['*', VAULT, true],
    ['arn:aws:glacier:*', VAULT, true],
    [`arn:aws:glacier:us-west-2:${ACCOUNT}:vaults/*`, VAULT, false],
  ])('%s on %s: %s', (pattern, resource, applies) => {
    expect(decide([{ Effect: 'Allow', Action: '*', Resource: pattern }], request('glacier:ListParts', {}, resource))).toBe(
      applies ? 'Allow' : 'NotApplicable',
    );
    expect(decide([{ Effect: 'Allow', Action: '*', NotResource: pattern }], request('glacier:ListParts', {}, resource))).toBe(
      applies ? 'NotApplicable' : 'Allow',
    );
  });
});

describe('evaluate: combining statements', () => {
  const allow: PolicyStatement = { Effect: 'Allow', Action: 'glacier:*', Resource: '*' };
  const deny: PolicyStatement = { Effect: 'Deny', Action: 'glacier:DeleteArchive', Resource: VAULT };

  it('an explicit Deny wins whatever the order; otherwise Allow; otherwise NotApplicable', () => {
    expect(decide([allow, deny], request('glacier:DeleteArchive'))).toBe('Deny');
    expect(decide([deny, allow], request('glacier:DeleteArchive'))).toBe('Deny');
    expect(decide([allow, deny], request('glacier:UploadArchive'))).toBe('Allow');
    expect(decide([deny], request('glacier:UploadArchive'))).toBe('NotApplicable');
    expect(decide([{ ...allow, Action: 's3:*' }], request('glacier:UploadArchive'))).toBe('NotApplicable');
  });
});

describe('evaluate: principals', () => {
  const callerAccount = '111122223333';
  const caller = (p: string) =>
    p === callerAccount || p === `arn:aws:iam::${callerAccount}:root` || p === `arn:aws:iam::${callerAccount}:user/alice`;
  const withPrincipal = (p: Partial<PolicyStatement>): PolicyStatement[] => [{ Effect: 'Allow', Action: '*', Resource: '*', ...p }];
  const req = request('glacier:UploadArchive');

  it('"*" and {"AWS": "*"} match everyone without asking the matcher', () => {
    const never = jest.fn(() => false);
    expect(decide(withPrincipal({ Principal: '*' }), req, never)).toBe('Allow');
    expect(decide(withPrincipal({ Principal: { AWS: '*' } }), req, never)).toBe('Allow');
    expect(decide(withPrincipal({ Principal: { AWS: ['444455556666', '*'] } }), req, never)).toBe('Allow');
    expect(never).not.toHaveBeenCalled();
    expect(decide(withPrincipal({ Principal: '*' }), req)).toBe('Allow');
  });

  it('named principals match through the matcher, any of a list', () => {
    expect(decide(withPrincipal({ Principal: { AWS: callerAccount } }), req, caller)).toBe('Allow');
    expect(decide(withPrincipal({ Principal: { AWS: ['444455556666', `arn:aws:iam::${callerAccount}:user/alice`] } }), req, caller)).toBe(
      'Allow',
    );
    expect(decide(withPrincipal({ Principal: { AWS: ['444455556666', `arn:aws:iam::${callerAccount}:user/bob`] } }), req, caller)).toBe(
      'NotApplicable',
    );
    const seen: string[] = [];
    decide(
      withPrincipal({ Principal: { AWS: ['444455556666', `arn:aws:iam::${callerAccount}:root`] } }),
      req,
      (p) => (seen.push(p), false),
    );
    expect(seen).toEqual(['444455556666', `arn:aws:iam::${callerAccount}:root`]);
  });

  it('NotPrincipal applies to everyone not listed, and {"AWS": "*"} lists everyone', () => {
    expect(decide(withPrincipal({ NotPrincipal: { AWS: '444455556666' } }), req, caller)).toBe('Allow');
    expect(decide(withPrincipal({ NotPrincipal: { AWS: ['444455556666', callerAccount] } }), req, caller)).toBe('NotApplicable');
    expect(decide(withPrincipal({ NotPrincipal: { AWS: '*' } }), req, caller)).toBe('NotApplicable');
    expect(
      decide(
        [{ Effect: 'Deny', NotPrincipal: { AWS: `arn:aws:iam::${callerAccount}:root` }, Action: '*', Resource: '*' }],
        req,
        () => false,
      ),
    ).toBe('Deny');
  });

  it('identity statements need no matcher; named principals without one are a programming error', () => {
    expect(decide(withPrincipal({}), req)).toBe('Allow');
    expect(() => decide(withPrincipal({ Principal: { AWS: callerAccount } }), req)).toThrow(/PrincipalMatcher/);
    expect(() => decide(withPrincipal({ NotPrincipal: { AWS: callerAccount } }), req)).toThrow(/PrincipalMatcher/);
  });
});

describe('evaluate: conditions', () => {
  function holds(operator: string, value: unknown, context: RequestContext['keys']): boolean {
    const statement = { Effect: 'Allow' as const, Action: '*', Resource: '*', Condition: { [operator]: { 'test:Key': value } } };
    // Every condition test goes through parsePolicy too: the values must be ones it accepts.
    const doc = parsePolicy(JSON.stringify({ Statement: [statement] }), 'identity');
    return evaluate(doc, request('glacier:ListVaults', context)) === 'Allow';
  }

  const T = '2024-06-01T12:00:00Z';
  const Tsec = Date.parse(T) / 1000;
  // [operator, policy value(s), context value, expected]
  const table: [string, unknown, RequestContext['keys'][string], boolean][] = [
    ['StringEquals', 'backup', 'backup', true],
    ['StringEquals', 'backup', 'Backup', false],
    ['StringEquals', ['a', 'backup'], 'backup', true],
    ['StringEquals', 365, '365', true],
    ['StringEquals', 'true', true, true],
    ['StringEquals', '7', 7, true],
    ['StringNotEquals', 'backup', 'backup', false],
    ['StringNotEquals', 'backup', 'other', true],
    ['StringNotEquals', ['a', 'b'], 'b', false],
    ['StringNotEquals', ['a', 'b'], 'c', true],
    ['StringEqualsIgnoreCase', 'BackUp', 'bACKup', true],
    ['StringEqualsIgnoreCase', 'backup', 'backups', false],
    ['StringNotEqualsIgnoreCase', 'BackUp', 'backup', false],
    ['StringNotEqualsIgnoreCase', ['x', 'y'], 'Z', true],
    ['StringLike', 'back*', 'backup', true],
    ['StringLike', 'b?ckup', 'backup', true],
    ['StringLike', 'B*', 'backup', false],
    ['StringLike', ['x*', '*up'], 'backup', true],
    ['StringLike', 'a*b*c', 'aXXbYYc', true],
    ['StringLike', 'a*b*c', 'aXXbYY', false],
    ['StringNotLike', 'back*', 'backup', false],
    ['StringNotLike', ['x*', 'y*'], 'backup', true],
    ['NumericEquals', '365', 365, true],
    ['NumericEquals', 365, '365.0', true],
    ['NumericEquals', '365', 364, false],
    ['NumericEquals', '365', 'not a number', false],
    ['NumericNotEquals', ['1', '2'], 2, false],
    ['NumericNotEquals', ['1', '2'], 3, true],
    ['NumericLessThan', '365', 364, true],
    ['NumericLessThan', '365', 365, false],
    ['NumericLessThan', '10', 9.5, true],
    ['NumericLessThan', '-1', -2, true],
    ['NumericLessThanEquals', '365', 365, true],
    ['NumericLessThanEquals', '365', 366, false],
    ['NumericGreaterThan', '365', 366, true],
    ['NumericGreaterThan', '365', 365, false],
    ['NumericGreaterThan', ['1000', '5'], 6, true],
    ['NumericGreaterThanEquals', '365', 365, true],
    ['NumericGreaterThanEquals', '365', 364, false],
    ['DateEquals', T, '2024-06-01T14:00:00+02:00', true],
    ['DateEquals', Tsec, T, true],
    ['DateEquals', String(Tsec), T, true],
    ['DateEquals', T, Tsec, true],
    ['DateEquals', '2024-06-01', '2024-06-01T00:00:00Z', true],
    ['DateEquals', T, '2024-06-01T12:00:01Z', false],
    ['DateEquals', T, 'not a date', false],
    ['DateNotEquals', T, T, false],
    ['DateNotEquals', T, '2024-06-02T12:00:00Z', true],
    ['DateLessThan', T, '2024-06-01T11:59:59Z', true],
    ['DateLessThan', T, T, false],
    ['DateLessThanEquals', T, T, true],
    ['DateLessThanEquals', T, '2024-06-01T12:00:00.001Z', false],
    ['DateGreaterThan', T, '2025-01-01T00:00:00Z', true],
    ['DateGreaterThan', T, '2023-01-01T00:00:00Z', false],
    ['DateGreaterThanEquals', T, T, true],
    ['DateGreaterThanEquals', T, '2024-06-01T11:00:00Z', false],
    ['Bool', 'true', true, true],
    ['Bool', 'true', false, false],
    ['Bool', 'false', false, true],
    ['Bool', true, 'TRUE', true],
    ['Bool', 'true', 'yes', false],
  ];

  it.each(table)('%s %j against %j: %s', (operator, value, context, expected) => {
    expect(holds(operator, value, { 'test:Key': context })).toBe(expected);
    // With IfExists, a present key behaves exactly like the plain operator.
    expect(holds(`${operator}IfExists`, value, { 'test:Key': context })).toBe(expected);
  });

  const negated = new Set(['StringNotEquals', 'StringNotEqualsIgnoreCase', 'StringNotLike', 'NumericNotEquals', 'DateNotEquals']);
  const operators = [...new Set(table.map(([op]) => op))];
  it('covers all 19 operators', () => expect(operators).toHaveLength(19));

  it.each(operators.map((op) => [op, table.find(([o]) => o === op)?.[1]]))(
    '%s with the key missing: false unless negated; IfExists: true',
    (operator, value) => {
      const expected = negated.has(operator as string);
      expect(holds(operator as string, value, {})).toBe(expected);
      expect(holds(operator as string, value, { 'test:Key': undefined })).toBe(expected);
      expect(holds(operator as string, value, { 'test:Key': [] })).toBe(expected);
      expect(holds(operator as string, value, { 'other:Key': 'x' })).toBe(expected);
      expect(holds(`${operator}IfExists`, value, {})).toBe(true);
    },
  );

  it('Null: "true" means absent, "false" means present', () => {
    expect(holds('Null', 'true', {})).toBe(true);
    expect(holds('Null', 'true', { 'test:Key': 'x' })).toBe(false);
    expect(holds('Null', 'false', { 'test:Key': 'x' })).toBe(true);
    expect(holds('Null', false, { 'test:Key': 0 })).toBe(true);
    expect(holds('Null', 'false', {})).toBe(false);
    expect(holds('Null', ['true', 'false'], {})).toBe(true);
  });

  it('matches key names case-insensitively, on both sides', () => {
    expect(holds('StringEquals', 'backup', { 'TEST:KEY': 'backup' })).toBe(true);
    const doc = parsePolicy(
      identityWith({ Effect: 'Deny', Condition: { StringEquals: { 'Glacier:resourcetag/Team': 'backup' } } }),
      'identity',
    );
    expect(evaluate(doc, request('glacier:ListVaults', { 'glacier:ResourceTag/team': 'backup' }))).toBe('Deny');
    // The key's name is case-insensitive; its value is not.
    expect(evaluate(doc, request('glacier:ListVaults', { 'glacier:ResourceTag/team': 'Backup' }))).toBe('Allow');
  });

  it('a multi-valued key matches if any of its values does; negated, if none does', () => {
    expect(holds('StringEquals', 'b', { 'test:Key': ['a', 'b'] })).toBe(true);
    expect(holds('StringEquals', 'c', { 'test:Key': ['a', 'b'] })).toBe(false);
    expect(holds('StringNotEquals', 'b', { 'test:Key': ['a', 'b'] })).toBe(false);
    expect(holds('StringNotEquals', 'c', { 'test:Key': ['a', 'b'] })).toBe(true);
  });

  it('ANDs operators and keys, ORs the values of one key', () => {
    const Condition = {
      StringEquals: { 'aws:PrincipalAccount': [ACCOUNT, '111122223333'], 'glacier:ResourceTag/team': 'backup' },
      NumericGreaterThanEquals: { 'glacier:ArchiveAgeInDays': '30' },
    };
    const statements: PolicyStatement[] = [{ Effect: 'Allow', Action: '*', Resource: '*', Condition }];
    const keys = { 'aws:PrincipalAccount': '111122223333', 'glacier:ResourceTag/team': 'backup', 'glacier:ArchiveAgeInDays': 30 };
    expect(decide(statements, request('glacier:DeleteArchive', keys))).toBe('Allow');
    expect(decide(statements, request('glacier:DeleteArchive', { ...keys, 'aws:PrincipalAccount': '444455556666' }))).toBe('NotApplicable');
    expect(decide(statements, request('glacier:DeleteArchive', { ...keys, 'glacier:ResourceTag/team': 'web' }))).toBe('NotApplicable');
    expect(decide(statements, request('glacier:DeleteArchive', { ...keys, 'glacier:ArchiveAgeInDays': 29 }))).toBe('NotApplicable');
    expect(decide(statements, request('glacier:DeleteArchive', { ...keys, 'glacier:ArchiveAgeInDays': undefined }))).toBe('NotApplicable');
  });
});

describe('the Glacier Developer Guide’s examples', () => {
  const vault = `arn:aws:glacier:us-west-2:${ACCOUNT}:vaults/examplevault`;

  it('a vault lock policy denying archive deletion before 365 days', () => {
    const lock = parsePolicy(
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'deny-based-on-archive-age',
            Principal: '*',
            Effect: 'Deny',
            Action: 'glacier:DeleteArchive',
            Resource: [vault],
            Condition: { NumericLessThan: { 'glacier:ArchiveAgeInDays': '365' } },
          },
        ],
      }),
      'resource',
    );
    const deleteAged = (age: number | undefined) =>
      evaluate(lock, request('glacier:DeleteArchive', { 'glacier:ArchiveAgeInDays': age }, vault), () => true);
    expect(deleteAged(0)).toBe('Deny');
    expect(deleteAged(364)).toBe('Deny');
    expect(deleteAged(365)).toBe('NotApplicable');
    expect(deleteAged(1000)).toBe('NotApplicable');
    expect(deleteAged(undefined)).toBe('NotApplicable');
    expect(evaluate(lock, request('glacier:UploadArchive', { 'glacier:ArchiveAgeInDays': 1 }, vault), () => true)).toBe('NotApplicable');
    expect(evaluate(lock, request('glacier:DeleteArchive', { 'glacier:ArchiveAgeInDays': 1 }, `${vault}2`), () => true)).toBe(
      'NotApplicable',
    );
  });

  it('a user policy granting access to vaults tagged team=backup', () => {
    const policy = parsePolicy(
      JSON.stringify({
        Version: '2012-10-17',
        Statement: {
          Effect: 'Allow',
          Action: 'glacier:*',
          Resource: 'arn:aws:glacier:*:*:vaults/*',
          Condition: { StringEquals: { 'glacier:ResourceTag/team': 'backup' } },
        },
      }),
      'identity',
    );
    expect(evaluate(policy, request('glacier:UploadArchive', { 'glacier:ResourceTag/team': 'backup' }))).toBe('Allow');
    expect(evaluate(policy, request('glacier:UploadArchive', { 'glacier:ResourceTag/team': 'web' }))).toBe('NotApplicable');
    expect(evaluate(policy, request('glacier:UploadArchive', {}))).toBe('NotApplicable');
  });

  it('a vault access policy granting another account upload access', () => {
    const policy = parsePolicy(
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'cross-account-upload',
            Principal: { AWS: ['arn:aws:iam::111122223333:root'] },
            Effect: 'Allow',
            Action: [
              'glacier:UploadArchive',
              'glacier:InitiateMultipartUpload',
              'glacier:UploadMultipartPart',
              'glacier:CompleteMultipartUpload',
            ],
            Resource: [vault],
          },
        ],
      }),
      'resource',
    );
    const callerIn = (account: string) => (p: string) => p === account || p === `arn:aws:iam::${account}:root`;
    expect(evaluate(policy, request('glacier:UploadArchive', {}, vault), callerIn('111122223333'))).toBe('Allow');
    expect(evaluate(policy, request('glacier:UploadMultipartPart', {}, vault), callerIn('111122223333'))).toBe('Allow');
    expect(evaluate(policy, request('glacier:DeleteArchive', {}, vault), callerIn('111122223333'))).toBe('NotApplicable');
    expect(evaluate(policy, request('glacier:UploadArchive', {}, vault), callerIn('444455556666'))).toBe('NotApplicable');
  });

  it('a time window on aws:CurrentTime', () => {
    const policy = parsePolicy(
      JSON.stringify({
        Statement: [
          {
            Effect: 'Allow',
            Action: 'glacier:InitiateJob',
            Resource: '*',
            Condition: {
              DateGreaterThan: { 'aws:CurrentTime': '2024-01-01T00:00:00Z' },
              DateLessThan: { 'aws:CurrentTime': '2024-06-30T23:59:59Z' },
            },
          },
        ],
      }),
      'identity',
    );
    const at = (time: string | undefined) => evaluate(policy, request('glacier:InitiateJob', { 'aws:CurrentTime': time }));
    expect(at('2024-03-15T10:00:00Z')).toBe('Allow');
    expect(at('2024-03-15T10:00:00.123Z')).toBe('Allow');
    expect(at('2023-12-31T23:59:59Z')).toBe('NotApplicable');
    expect(at('2024-01-01T00:00:00Z')).toBe('NotApplicable');
    expect(at('2024-07-01T00:00:00Z')).toBe('NotApplicable');
    expect(at(undefined)).toBe('NotApplicable');
  });

  it('a deny for callers outside the vault owner’s account, on aws:PrincipalAccount', () => {
    const policy = parsePolicy(
      JSON.stringify({
        Statement: [
          { Effect: 'Allow', Principal: '*', Action: 'glacier:*', Resource: vault },
          {
            Effect: 'Deny',
            Principal: '*',
            Action: 'glacier:Delete*',
            Resource: vault,
            Condition: { StringNotEquals: { 'aws:PrincipalAccount': ACCOUNT } },
          },
        ],
      }),
      'resource',
    );
    const call = (action: string, account: string) =>
      evaluate(policy, request(action, { 'aws:PrincipalAccount': account }, vault), () => false);
    expect(call('glacier:DeleteArchive', ACCOUNT)).toBe('Allow');
    expect(call('glacier:DeleteArchive', '111122223333')).toBe('Deny');
    expect(call('glacier:UploadArchive', '111122223333')).toBe('Allow');
  });
});

describe('documents built in code', () => {
  it('evaluate refuses an unknown operator rather than ignoring it', () => {
    const doc = { Statement: [{ Effect: 'Deny', Action: '*', Resource: '*', Condition: { Sometimes: { k: 'v' } } }] } as PolicyDocument;
    expect(() => evaluate(doc, request('glacier:ListVaults'))).toThrow(
      'Invalid policy: Condition: "Sometimes" is not a supported condition operator.',
    );
  });
});
