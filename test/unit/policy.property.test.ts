import fc from 'fast-check';
import { GlacierError } from '../../lambda/domain/errors';
import {
  ContextValue,
  Decision,
  evaluate,
  parsePolicy,
  PolicyDocument,
  PolicyKind,
  PolicyStatement,
  RequestContext,
} from '../../lambda/domain/policy';

// ---- Pools --------------------------------------------------------------------

const ACTIONS = [
  'AbortMultipartUpload',
  'AbortVaultLock',
  'AddTagsToVault',
  'CompleteMultipartUpload',
  'CompleteVaultLock',
  'CreateVault',
  'DeleteArchive',
  'DeleteVault',
  'DeleteVaultAccessPolicy',
  'DeleteVaultNotifications',
  'DescribeJob',
  'DescribeVault',
  'GetDataRetrievalPolicy',
  'GetJobOutput',
  'GetVaultAccessPolicy',
  'GetVaultLock',
  'GetVaultNotifications',
  'InitiateJob',
  'InitiateMultipartUpload',
  'InitiateVaultLock',
  'ListJobs',
  'ListMultipartUploads',
  'ListParts',
  'ListProvisionedCapacity',
  'ListTagsForVault',
  'ListVaults',
  'PurchaseProvisionedCapacity',
  'RemoveTagsFromVault',
  'SetDataRetrievalPolicy',
  'SetVaultAccessPolicy',
  'SetVaultNotifications',
  'UploadArchive',
  'UploadMultipartPart',
].map((name) => `glacier:${name}`);

const ACCOUNTS = ['123456789012', '111122223333', '444455556666'];
const RESOURCES = ['us-east-1', 'us-west-2'].flatMap((region) =>
  ACCOUNTS.slice(0, 2).flatMap((account) =>
    ['photos', 'Photos', 'logs', 'photos2'].map((vault) => `arn:aws:glacier:${region}:${account}:vaults/${vault}`),
  ),
);

type KeyType = 'string' | 'numeric' | 'date' | 'bool';
const KEYS: Record<string, KeyType> = {
  'glacier:ArchiveAgeInDays': 'numeric',
  'aws:CurrentTime': 'date',
  'aws:SecureTransport': 'bool',
  'glacier:ResourceTag/team': 'string',
  'aws:PrincipalAccount': 'string',
};
const POLICY_VALUES: Record<KeyType, (string | number | boolean)[]> = {
  string: ['backup', 'web', 'Backup', 'back*', '?eb', '123456789012', '111122223333', '365'],
  numeric: ['0', '30', '365', '1000', 365, 0.5, '-1', '364.5'],
  date: ['2024-01-01T00:00:00Z', '2024-06-01T12:00:00Z', 1717243200, '1717243200', '2025-01-01'],
  bool: ['true', 'false', true, false, 'TRUE'],
};
const CONTEXT_VALUES: Record<KeyType, ContextValue[]> = {
  string: ['backup', 'web', 'BACKUP', 'backups', '123456789012', '111122223333', ['web', 'backup']],
  numeric: [0, 30, 364, 365, 1000, '365', 'abc'],
  date: ['2023-12-31T23:59:59Z', '2024-01-01T00:00:00Z', '2024-06-01T12:00:00Z', '2024-09-01T00:00:00.500Z', 1717243200, 'soon'],
  bool: [true, false, 'true', 'false', 'yes'],
};

const OPERATOR_TYPES: Record<string, KeyType> = {
  StringEquals: 'string',
  StringNotEquals: 'string',
  StringEqualsIgnoreCase: 'string',
  StringNotEqualsIgnoreCase: 'string',
  StringLike: 'string',
  StringNotLike: 'string',
  NumericEquals: 'numeric',
  NumericNotEquals: 'numeric',
  NumericLessThan: 'numeric',
  NumericLessThanEquals: 'numeric',
  NumericGreaterThan: 'numeric',
  NumericGreaterThanEquals: 'numeric',
  DateEquals: 'date',
  DateNotEquals: 'date',
  DateLessThan: 'date',
  DateLessThanEquals: 'date',
  DateGreaterThan: 'date',
  DateGreaterThanEquals: 'date',
  Bool: 'bool',
};

// ---- Generators ---------------------------------------------------------------

function randomCase(text: string, seed: number): string {
  return Array.from(text, (c, i) => ((seed >> (i % 30)) & 1 ? c.toUpperCase() : c.toLowerCase())).join('');
}

/** A wildcard version of `text`: kept whole, cut short with `*`, or with one character (at or after `from`) made `?`. */
function wildcard(text: string, how: 'exact' | 'prefix' | 'single' | 'inner', n: number, from: number): string {
  const at = from + (n % (text.length - from));
  if (how === 'prefix') return `${text.slice(0, at)}*`;
  if (how === 'single') return `${text.slice(0, at)}?${text.slice(at + 1)}`;
  if (how === 'inner') return `${text.slice(0, at)}*${text.slice(at + 1 + (n % 3))}`;
  return text;
}

const wildcardHow = fc.constantFrom('exact' as const, 'prefix' as const, 'single' as const, 'inner' as const);

const actionPattern = fc.oneof(
  fc.constantFrom('*', 'glacier:*', 's3:*', 'glacier:Delete*', 'glacier:*Vault*'),
  fc
    .tuple(fc.constantFrom(...ACTIONS), wildcardHow, fc.nat(), fc.nat())
    .map(([a, how, n, seed]) => randomCase(wildcard(a, how, n, 'glacier:'.length), seed)),
);

const resourcePattern = fc.oneof(
  fc.constantFrom('*', 'arn:aws:glacier:*', 'arn:aws:glacier:*:123456789012:vaults/*'),
  fc.tuple(fc.constantFrom(...RESOURCES), wildcardHow, fc.nat()).map(([r, how, n]) => wildcard(r, how, n, 'arn:'.length)),
);

const principalValue = fc.constantFrom(
  '*',
  ...ACCOUNTS,
  ...ACCOUNTS.map((a) => `arn:aws:iam::${a}:root`),
  'arn:aws:iam::111122223333:user/alice',
);
const listOr = <T>(arb: fc.Arbitrary<T>) => fc.oneof(arb, fc.array(arb, { minLength: 1, maxLength: 3 }));
const principals = fc.oneof(
  fc.record({ Principal: fc.oneof(fc.constant('*' as const), fc.record({ AWS: listOr(principalValue) })) }),
  fc.record({ NotPrincipal: fc.record({ AWS: listOr(principalValue) }) }),
);

const operatorName = fc
  .tuple(fc.constantFrom(...Object.keys(OPERATOR_TYPES), 'Null'), fc.boolean())
  .map(([op, ifExists]) => (ifExists && op !== 'Null' ? `${op}IfExists` : op));

function operatorType(name: string): KeyType {
  return name === 'Null' ? 'bool' : OPERATOR_TYPES[name.replace(/IfExists$/, '')];
}

const conditionKey = fc
  .tuple(fc.constantFrom(...Object.keys(KEYS)), fc.nat())
  .map(([k, seed]) => (seed % 3 === 0 ? randomCase(k, seed) : k));

const conditionBlock = operatorName.chain((op) =>
  fc
    .dictionary(conditionKey, listOr(fc.constantFrom(...POLICY_VALUES[operatorType(op)])), { minKeys: 1, maxKeys: 2 })
    .map((block) => [op, block] as const),
);
const condition = fc.array(conditionBlock, { minLength: 1, maxLength: 3 }).map((blocks) => Object.fromEntries(blocks));

function statement(kind: PolicyKind): fc.Arbitrary<PolicyStatement> {
  return fc
    .record(
      {
        Sid: fc.string({ maxLength: 8 }),
        Effect: fc.constantFrom('Allow' as const, 'Deny' as const),
        action: fc.oneof(fc.record({ Action: listOr(actionPattern) }), fc.record({ NotAction: listOr(actionPattern) })),
        resource: fc.oneof(fc.record({ Resource: listOr(resourcePattern) }), fc.record({ NotResource: listOr(resourcePattern) })),
        principal: kind === 'resource' ? principals : fc.constant({}),
        Condition: condition,
      },
      { requiredKeys: ['Effect', 'action', 'resource', 'principal'] },
    )
    .map(({ action, resource, principal, ...rest }) => ({ ...rest, ...action, ...resource, ...principal }));
}

const kind = fc.constantFrom('identity' as const, 'resource' as const);

function policy(k: PolicyKind): fc.Arbitrary<PolicyDocument> {
  return fc.record(
    { Version: fc.constantFrom('2012-10-17', '2008-10-17'), Statement: fc.array(statement(k), { minLength: 1, maxLength: 5 }) },
    { requiredKeys: ['Statement'] },
  );
}

interface Caller {
  account: string;
  matches: (p: string) => boolean;
}

const caller = fc.constantFrom(...ACCOUNTS).map((account): Caller => ({
  account,
  matches: (p) => p === account || p === `arn:aws:iam::${account}:root` || p === `arn:aws:iam::${account}:user/alice`,
}));

const requestArb: fc.Arbitrary<RequestContext> = fc
  .record({
    action: fc.tuple(fc.constantFrom(...ACTIONS), fc.nat(), fc.boolean()).map(([a, seed, mixed]) => (mixed ? randomCase(a, seed) : a)),
    resource: fc.constantFrom(...RESOURCES),
    keys: fc.tuple(
      ...Object.entries(KEYS).map(([key, type]) =>
        fc
          .record({ present: fc.boolean(), value: fc.constantFrom(...CONTEXT_VALUES[type]), seed: fc.nat() })
          .map(({ present, value, seed }) => (present ? ([seed % 4 === 0 ? randomCase(key, seed) : key, value] as const) : undefined)),
      ),
    ),
  })
  .map(({ action, resource, keys }) => ({
    action,
    resource,
    keys: Object.fromEntries(keys.filter((entry) => entry !== undefined)),
  }));

const scenario = kind.chain((k) => fc.record({ kind: fc.constant(k), policy: policy(k), request: requestArb, caller }));

// ---- The oracle: a deliberately plain, regex-based evaluator ------------------

function globRegex(pattern: string, flags: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, `s${flags}`);
}

function oracleNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  return typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : NaN;
}

function oracleDate(v: unknown): number {
  if (typeof v === 'number') return v * 1000;
  if (typeof v !== 'string') return NaN;
  return /^\d+$/.test(v) ? Number(v) * 1000 : Date.parse(v);
}

function oracleCompare(op: string, c: unknown, p: unknown): boolean {
  const cs = String(c);
  const ps = String(p);
  switch (op) {
    case 'StringEquals':
      return cs === ps;
    case 'StringEqualsIgnoreCase':
      return cs.toLowerCase() === ps.toLowerCase();
    case 'StringLike':
      return globRegex(ps, '').test(cs);
    case 'NumericEquals':
      return oracleNumber(c) === oracleNumber(p);
    case 'NumericLessThan':
      return oracleNumber(c) < oracleNumber(p);
    case 'NumericLessThanEquals':
      return oracleNumber(c) <= oracleNumber(p);
    case 'NumericGreaterThan':
      return oracleNumber(c) > oracleNumber(p);
    case 'NumericGreaterThanEquals':
      return oracleNumber(c) >= oracleNumber(p);
    case 'DateEquals':
      return oracleDate(c) === oracleDate(p);
    case 'DateLessThan':
      return oracleDate(c) < oracleDate(p);
    case 'DateLessThanEquals':
      return oracleDate(c) <= oracleDate(p);
    case 'DateGreaterThan':
      return oracleDate(c) > oracleDate(p);
    case 'DateGreaterThanEquals':
      return oracleDate(c) >= oracleDate(p);
    case 'Bool':
      return ['true', 'false'].includes(cs.toLowerCase()) && cs.toLowerCase() === ps.toLowerCase();
    default:
      throw new Error(`oracle: no operator ${op}`);
  }
}

function oracleConditionHolds(operatorWithSuffix: string, key: string, policyValue: unknown, keys: RequestContext['keys']): boolean {
  const found = Object.entries(keys).find(([k]) => k.toLowerCase() === key.toLowerCase())?.[1];
  const present = found === undefined ? undefined : ([] as unknown[]).concat(found);
  const values = ([] as unknown[]).concat(policyValue);
  if (operatorWithSuffix === 'Null') return values.some((v) => String(v).toLowerCase() === String(present === undefined));
  const ifExists = operatorWithSuffix.endsWith('IfExists');
  const op = ifExists ? operatorWithSuffix.slice(0, -'IfExists'.length) : operatorWithSuffix;
  const negated = op.includes('Not');
  if (present === undefined) return ifExists || negated;
  const any = present.some((c) => values.some((p) => oracleCompare(op.replace('Not', ''), c, p)));
  return negated ? !any : any;
}

function oracleApplies(s: PolicyStatement, req: RequestContext, who: Caller): boolean {
  const list = (v: string | string[] | undefined) => ([] as string[]).concat(v ?? []);
  const namesCaller = (v: string | string[]) => list(v).some((p) => p === '*' || who.matches(p));
  if (s.Principal !== undefined && !(s.Principal === '*' || namesCaller(s.Principal.AWS))) return false;
  if (s.NotPrincipal !== undefined && namesCaller(s.NotPrincipal.AWS)) return false;
  const actionHit = (v: string | string[] | undefined) => list(v).some((p) => globRegex(p, 'i').test(req.action));
  const resourceHit = (v: string | string[] | undefined) => list(v).some((p) => globRegex(p, '').test(req.resource));
  if (s.Action !== undefined ? !actionHit(s.Action) : actionHit(s.NotAction)) return false;
  if (s.Resource !== undefined ? !resourceHit(s.Resource) : resourceHit(s.NotResource)) return false;
  return Object.entries(s.Condition ?? {}).every(([op, block]) =>
    Object.entries(block).every(([key, value]) => oracleConditionHolds(op, key, value, req.keys)),
  );
}

function oracle(doc: PolicyDocument, req: RequestContext, who: Caller): Decision {
  const applicable = doc.Statement.filter((s) => oracleApplies(s, req, who));
  if (applicable.some((s) => s.Effect === 'Deny')) return 'Deny';
  return applicable.length > 0 ? 'Allow' : 'NotApplicable';
}

// ---- An explicit Deny that applies to a given request, built from it ----------

function applicableDeny(k: PolicyKind, req: RequestContext, who: Caller) {
  return fc
    .record({
      action: fc.oneof(
        fc.constant('*'),
        fc
          .tuple(wildcardHow, fc.nat(), fc.nat())
          .map(([how, n, seed]) => randomCase(wildcard(req.action, how, n, 'glacier:'.length), seed)),
      ),
      resource: fc.oneof(
        fc.constant('*'),
        fc
          .tuple(fc.constantFrom('exact' as const, 'prefix' as const, 'single' as const), fc.nat())
          .map(([how, n]) => wildcard(req.resource, how, n, 4)),
      ),
      principal: fc.constantFrom<Partial<PolicyStatement>>(
        { Principal: '*' },
        { Principal: { AWS: who.account } },
        { Principal: { AWS: ['arn:aws:iam::999999999999:root', `arn:aws:iam::${who.account}:root`] } },
        { NotPrincipal: { AWS: '999999999999' } },
      ),
      conditions: fc.subarray(Object.keys(KEYS)),
    })
    .map(({ action, resource, principal, conditions }): PolicyStatement => {
      const Condition: Record<string, Record<string, unknown>> = {};
      for (const key of conditions) {
        const found = Object.entries(req.keys).find(([name]) => name.toLowerCase() === key.toLowerCase());
        const [op, value] = found ? ['StringEquals', ([] as unknown[]).concat(found[1]).map(String)] : ['Null', 'true'];
        Condition[op] = { ...Condition[op], [key]: value };
      }
      return {
        Effect: 'Deny',
        Action: action,
        Resource: resource,
        ...(k === 'resource' ? principal : {}),
        ...(conditions.length ? { Condition } : {}),
      };
    });
}

// ---- Properties -----------------------------------------------------------------

const RUNS = { numRuns: 500 };

describe('policy evaluation properties', () => {
  it('agrees with the regex oracle, and is never Allow when no Allow statement applies', () => {
    fc.assert(
      fc.property(scenario, ({ policy: doc, request: req, caller: who }) => {
        const decision = evaluate(doc, req, who.matches);
        expect(decision).toBe(oracle(doc, req, who));
        if (!doc.Statement.some((s) => s.Effect === 'Allow' && oracleApplies(s, req, who))) expect(decision).not.toBe('Allow');
      }),
      RUNS,
    );
  });

  it('reaches every decision, and applies conditional statements, often enough to be a meaningful check', () => {
    const seen = new Map<Decision, number>();
    let conditionalApplies = 0;
    fc.assert(
      fc.property(scenario, ({ policy: doc, request: req, caller: who }) => {
        const decision = evaluate(doc, req, who.matches);
        seen.set(decision, (seen.get(decision) ?? 0) + 1);
        conditionalApplies += doc.Statement.filter((s) => s.Condition && oracleApplies(s, req, who)).length;
      }),
      { numRuns: 1000, seed: 42 },
    );
    for (const decision of ['Allow', 'Deny', 'NotApplicable'] as const) expect(seen.get(decision) ?? 0).toBeGreaterThan(50);
    expect(conditionalApplies).toBeGreaterThan(50);
  });

  it('an applicable explicit Deny added anywhere always wins', () => {
    const withDeny = scenario.chain((s) =>
      fc
        .record({ deny: applicableDeny(s.kind, s.request, s.caller), at: fc.nat(s.policy.Statement.length) })
        .map((extra) => ({ ...s, ...extra })),
    );
    fc.assert(
      fc.property(withDeny, ({ kind: k, policy: doc, request: req, caller: who, deny, at }) => {
        const statements = [...doc.Statement.slice(0, at), deny, ...doc.Statement.slice(at)];
        // The added statement must be valid policy text, and it must apply on its own.
        const parsed = parsePolicy(JSON.stringify({ ...doc, Statement: statements }), k);
        expect(evaluate({ Statement: [deny] }, req, who.matches)).toBe('Deny');
        expect(evaluate(parsed, req, who.matches)).toBe('Deny');
      }),
      RUNS,
    );
  });

  it('adding statements never undoes a Deny, nor turns an Allow into NotApplicable', () => {
    const twoPolicies = kind.chain((k) => fc.record({ first: policy(k), more: policy(k), request: requestArb, caller }));
    fc.assert(
      fc.property(twoPolicies, ({ first, more, request: req, caller: who }) => {
        const before = evaluate(first, req, who.matches);
        for (const combined of [
          [...first.Statement, ...more.Statement],
          [...more.Statement, ...first.Statement],
        ]) {
          const after = evaluate({ Statement: combined }, req, who.matches);
          if (before === 'Deny') expect(after).toBe('Deny');
          if (before === 'Allow') expect(after).not.toBe('NotApplicable');
        }
      }),
      RUNS,
    );
  });

  it('parsePolicy round-trips generated policies, with Statement as an array or a single object', () => {
    fc.assert(
      fc.property(
        kind.chain((k) => fc.tuple(fc.constant(k), policy(k))),
        ([k, doc]) => {
          expect(parsePolicy(JSON.stringify(doc), k)).toEqual(doc);
          expect(parsePolicy(JSON.stringify(doc, null, 2), k)).toEqual(doc);
          expect(parsePolicy(JSON.stringify({ ...doc, Statement: doc.Statement[0] }), k)).toEqual({
            ...doc,
            Statement: [doc.Statement[0]],
          });
          // Each kind refuses the other's statements.
          expect(() => parsePolicy(JSON.stringify(doc), k === 'identity' ? 'resource' : 'identity')).toThrow(GlacierError);
        },
      ),
      RUNS,
    );
  });
});

describe('parsePolicy fuzzing', () => {
  function onlyGlacierErrors(text: string, k: PolicyKind, who: Caller, req: RequestContext) {
    let doc: PolicyDocument;
    try {
      doc = parsePolicy(text, k);
    } catch (e) {
      expect(e).toBeInstanceOf(GlacierError);
      expect((e as GlacierError).code).toBe('InvalidParameterValueException');
      expect((e as GlacierError).message).toMatch(/^Invalid policy: ./);
      return;
    }
    // Whatever it accepts, evaluate can run.
    expect(['Allow', 'Deny', 'NotApplicable']).toContain(evaluate(doc, req, who.matches));
  }

  it('arbitrary strings', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: fc.constantFrom(...'{}[]":,0123456789.eE+-tfnul \\') })),
        kind,
        caller,
        requestArb,
        (text, k, who, req) => onlyGlacierErrors(text, k, who, req),
      ),
      { numRuns: 1000 },
    );
  });

  it('arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), kind, caller, requestArb, (value, k, who, req) => onlyGlacierErrors(JSON.stringify(value), k, who, req)),
      { numRuns: 1000 },
    );
  });

  /** `value` with the node that `picks` leads to (a child index per level) replaced; undefined drops it from the JSON. */
  function mutate(value: unknown, picks: number[], replacement: unknown): unknown {
    if (picks.length === 0 || typeof value !== 'object' || value === null) return replacement;
    const entries = Object.entries(value);
    if (entries.length === 0) return replacement;
    const chosen = picks[0] % entries.length;
    const changed = entries.map(([k, v], i): [string, unknown] => [k, i === chosen ? mutate(v, picks.slice(1), replacement) : v]);
    return Array.isArray(value) ? changed.map(([, v]) => v) : Object.fromEntries(changed);
  }

  it('generated policies with arbitrary JSON put in, or elements taken out, at random places', () => {
    const edit = fc.tuple(fc.array(fc.nat(), { maxLength: 6 }), fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant(undefined)));
    const nearlyValid = kind.chain((k) => fc.record({ kind: fc.constant(k), doc: policy(k), edits: fc.array(edit, { maxLength: 2 }) }));
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(nearlyValid, caller, requestArb, ({ kind: k, doc, edits }, who, req) => {
        const text = JSON.stringify(edits.reduce<unknown>((d, [picks, replacement]) => mutate(d, picks, replacement), doc)) ?? '';
        onlyGlacierErrors(text, k, who, req);
        try {
          parsePolicy(text, k);
          accepted += 1;
        } catch {
          refused += 1;
        }
      }),
      { numRuns: 2000 },
    );
    // Both halves of the check must be exercised.
    expect(accepted).toBeGreaterThan(200);
    expect(refused).toBeGreaterThan(200);
  });
});
