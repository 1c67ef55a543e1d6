// The subset of the IAM policy language that Glacier uses: vault access and vault lock
// policies (resource policies) and user policies (identity policies).

import { invalidParameter } from './errors';
import { globMatch, resolveOperator, toBool, toList, type Scalar } from './policy-operators';

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: '*' | { AWS: string | string[] };
  NotPrincipal?: { AWS: string | string[] };
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}
export interface PolicyDocument {
  Version?: string;
  Id?: string;
  Statement: PolicyStatement[];
}
export type PolicyKind = 'identity' | 'resource';

export type ContextValue = string | number | boolean | string[];
export interface RequestContext {
  /** e.g. 'glacier:DeleteArchive' */
  action: string;
  /** e.g. 'arn:aws:glacier:us-east-1:123456789012:vaults/photos' */
  resource: string;
  /** Condition keys, e.g. 'aws:PrincipalAccount', 'aws:CurrentTime' (ISO string), 'aws:SecureTransport' (boolean), 'glacier:ArchiveAgeInDays' (number), 'glacier:ResourceTag/team' (string). Missing = not present. Key names match case-insensitively. */
  keys: Record<string, ContextValue | undefined>;
}
/** For resource policies: does a Principal value (already normalised to a string: '*', an account ID, 'arn:aws:iam::ACCOUNT:root', a user ARN) name the caller? Supplied by the authorizer. */
export type PrincipalMatcher = (principal: string) => boolean;

export type Decision = 'Allow' | 'Deny' | 'NotApplicable';

export const MAX_POLICY_BYTES = 20 * 1024;
const VERSIONS = ['2012-10-17', '2008-10-17'];
const TOP_LEVEL = ['Version', 'Id', 'Statement'];
const STATEMENT_ELEMENTS = ['Sid', 'Effect', 'Principal', 'NotPrincipal', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition'];

// ---- Parsing ------------------------------------------------------------------

function shown(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...` : value);
  return String(value);
}

function fail(message: string): never {
  throw invalidParameter(`Invalid policy: ${message}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A string or a non-empty array of strings, each checked by `check` (which returns a complaint or undefined). */
function parseStrings(value: unknown, path: string, check: (s: string) => string | undefined): string | string[] {
  const items = Array.isArray(value) ? value : [value];
  if (Array.isArray(value) && value.length === 0) fail(`${path} must not be an empty array.`);
  items.forEach((item, i) => {
    const where = Array.isArray(value) ? `${path}[${i}]` : path;
    if (typeof item !== 'string') fail(`${where} must be a string, got ${shown(item)}.`);
    const complaint = check(item);
    if (complaint) fail(`${where} ${complaint}, got ${shown(item)}.`);
  });
  return Array.isArray(value) ? [...(value as string[])] : (value as string);
}

const checkAction = (s: string) =>
  s === '*' || /^[A-Za-z0-9*?-]+:[A-Za-z0-9*?]+$/.test(s)
    ? undefined
    : 'must be "*" or "service:ActionName" (e.g. "glacier:DeleteArchive")';
const checkResource = (s: string) =>
  s === '*' || s.startsWith('arn:') ? undefined : 'must be "*" or an ARN (arn:partition:service:region:account:resource)';
const checkPrincipal = (s: string) =>
  s === '*' || /^\d{12}$/.test(s) || s.startsWith('arn:') ? undefined : 'must be "*", a 12-digit account ID or an ARN';

function parsePrincipal(value: unknown, path: string, allowStar: boolean): { AWS: string | string[] } | '*' {
  if (allowStar && value === '*') return '*';
  if (!isObject(value))
    fail(`${path} must be ${allowStar ? '"*" or ' : ''}an object like {"AWS": "arn:aws:iam::123456789012:root"}, got ${shown(value)}.`);
  const other = Object.keys(value).find((k) => k !== 'AWS');
  if (other !== undefined) fail(`${path} has the principal type "${other}"; only "AWS" is supported.`);
  if (!('AWS' in value)) fail(`${path} must have an "AWS" element.`);
  return { AWS: parseStrings(value.AWS, `${path}.AWS`, checkPrincipal) };
}

function parseCondition(value: unknown, path: string): Record<string, Record<string, unknown>> {
  if (!isObject(value)) fail(`${path} must be an object, got ${shown(value)}.`);
  const operators: [string, Record<string, unknown>][] = [];
  for (const [name, block] of Object.entries(value)) {
    const where = `${path}.${name}`;
    const resolved = resolveOperator(name);
    if (typeof resolved === 'string') fail(`${path}: ${resolved}.`);
    if (!isObject(block)) fail(`${where} must be an object mapping condition keys to values, got ${shown(block)}.`);
    if (Object.keys(block).length === 0) fail(`${where} must name at least one condition key.`);
    const keys: [string, unknown][] = [];
    for (const [key, raw] of Object.entries(block)) {
      const at = `${where}["${key}"]`;
      if (key === '') fail(`${where} has an empty condition key.`);
      if (Array.isArray(raw) && raw.length === 0) fail(`${at} must not be an empty array.`);
      for (const item of toList(raw)) {
        if (typeof item !== 'string' && typeof item !== 'number' && typeof item !== 'boolean') {
          fail(`${at} must be a string, number, boolean or an array of them, got ${shown(item)}.`);
        }
        if ('op' in resolved ? !resolved.op.valid(item) : toBool(item) === undefined) {
          const expects = 'op' in resolved ? resolved.op.expects : '"true" or "false"';
          fail(`${at} must be ${expects} for ${name}, got ${shown(item)}.`);
        }
      }
      keys.push([key, Array.isArray(raw) ? [...raw] : raw]);
    }
    operators.push([name, Object.fromEntries(keys)]);
  }
  return Object.fromEntries(operators);
}

function parseStatement(value: unknown, path: string, kind: PolicyKind): PolicyStatement {
  if (!isObject(value)) fail(`${path} must be an object, got ${shown(value)}.`);
  const unknown = Object.keys(value).find((k) => !STATEMENT_ELEMENTS.includes(k));
  if (unknown !== undefined) fail(`${path} has an unknown element "${unknown}".`);
  const has = (k: string) => Object.hasOwn(value, k);
  const out: Partial<PolicyStatement> = {};

  if (has('Sid')) {
    if (typeof value.Sid !== 'string') fail(`${path}.Sid must be a string, got ${shown(value.Sid)}.`);
    out.Sid = value.Sid;
  }
  if (!has('Effect')) fail(`${path} must have an Effect ("Allow" or "Deny").`);
  if (value.Effect !== 'Allow' && value.Effect !== 'Deny') fail(`${path}.Effect must be "Allow" or "Deny", got ${shown(value.Effect)}.`);
  out.Effect = value.Effect;

  if (kind === 'identity') {
    for (const k of ['Principal', 'NotPrincipal']) if (has(k)) fail(`${path}.${k} is not allowed in an identity (user) policy.`);
  } else {
    if (has('Principal') && has('NotPrincipal')) fail(`${path} must not have both Principal and NotPrincipal.`);
    if (has('Principal')) out.Principal = parsePrincipal(value.Principal, `${path}.Principal`, true);
    else if (has('NotPrincipal'))
      out.NotPrincipal = parsePrincipal(value.NotPrincipal, `${path}.NotPrincipal`, false) as { AWS: string | string[] };
    else fail(`${path} must have a Principal or NotPrincipal in a resource (vault) policy.`);
  }

  for (const [positive, negative, check] of [
    ['Action', 'NotAction', checkAction],
    ['Resource', 'NotResource', checkResource],
  ] as const) {
    if (has(positive) && has(negative)) fail(`${path} must not have both ${positive} and ${negative}.`);
    if (!has(positive) && !has(negative)) fail(`${path} must have ${positive} or ${negative}.`);
    const name = has(positive) ? positive : negative;
    out[name] = parseStrings(value[name], `${path}.${name}`, check);
  }

  if (has('Condition')) out.Condition = parseCondition(value.Condition, `${path}.Condition`);
  return out as PolicyStatement;
}

/** Parses and validates; `kind` 'resource' (vault access/lock policies) requires Principal or NotPrincipal in every statement; 'identity' (user policies) forbids them. Statement may be one object or an array. */
export function parsePolicy(text: string, kind: PolicyKind): PolicyDocument {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_POLICY_BYTES) fail(`the document is ${bytes} bytes; the maximum is ${MAX_POLICY_BYTES} bytes.`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    fail(`not valid JSON (${(e as Error).message}).`);
  }
  if (!isObject(json)) fail(`the document must be a JSON object, got ${shown(json)}.`);
  const unknown = Object.keys(json).find((k) => !TOP_LEVEL.includes(k));
  if (unknown !== undefined) fail(`unknown top-level element "${unknown}"; expected Version, Id and Statement.`);

  const doc: Partial<PolicyDocument> = {};
  if (Object.hasOwn(json, 'Version')) {
    if (typeof json.Version !== 'string' || !VERSIONS.includes(json.Version)) {
      fail(`Version must be "2012-10-17" or "2008-10-17", got ${shown(json.Version)}.`);
    }
    doc.Version = json.Version;
  }
  if (Object.hasOwn(json, 'Id')) {
    if (typeof json.Id !== 'string') fail(`Id must be a string, got ${shown(json.Id)}.`);
    doc.Id = json.Id;
  }
  if (!Object.hasOwn(json, 'Statement')) fail('the document must have a Statement.');
  const statements = json.Statement;
  if (Array.isArray(statements)) {
    if (statements.length === 0) fail('Statement must not be an empty array.');
    doc.Statement = statements.map((s, i) => parseStatement(s, `Statement[${i}]`, kind));
  } else {
    doc.Statement = [parseStatement(statements, 'Statement', kind)];
  }
  return doc as PolicyDocument;
}

// ---- Evaluation ---------------------------------------------------------------

type Context = Map<string, Scalar[]>;

function contextOf(keys: RequestContext['keys']): Context {
  const context: Context = new Map();
  for (const [key, value] of Object.entries(keys)) {
    const values = toList<Scalar>(value);
    if (values.length > 0) context.set(key.toLowerCase(), values);
  }
  return context;
}

function conditionsHold(condition: PolicyStatement['Condition'], context: Context): boolean {
  return Object.entries(condition ?? {}).every(([name, block]) => {
    const resolved = resolveOperator(name);
    if (typeof resolved === 'string') fail(`Condition: ${resolved}.`);
    return Object.entries(block).every(([key, raw]) => {
      const policyValues = toList(raw as Scalar | Scalar[]);
      const present = context.get(key.toLowerCase());
      if (!('op' in resolved)) return policyValues.some((v) => toBool(v) === (present === undefined));
      if (present === undefined) return resolved.ifExists || resolved.op.negated;
      const any = present.some((c) => policyValues.some((p) => resolved.op.test(c, p)));
      return resolved.op.negated ? !any : any;
    });
  });
}

function principalApplies(statement: PolicyStatement, matches: PrincipalMatcher | undefined): boolean {
  const named = statement.Principal ?? statement.NotPrincipal;
  if (named === undefined) return true; // an identity policy: the caller is the principal
  const values = named === '*' ? ['*'] : toList(named.AWS);
  const anyNamed = () => {
    if (values.includes('*')) return true;
    if (!matches) throw new Error('evaluate: this policy names principals, so it needs a PrincipalMatcher');
    return values.some((v) => matches(v));
  };
  return statement.Principal !== undefined ? anyNamed() : !anyNamed();
}

function statementApplies(statement: PolicyStatement, request: RequestContext, context: Context, matches?: PrincipalMatcher): boolean {
  const action = request.action.toLowerCase();
  const actionMatches = (patterns: string | string[] | undefined) => toList(patterns).some((p) => globMatch(p.toLowerCase(), action));
  const resourceMatches = (patterns: string | string[] | undefined) => toList(patterns).some((p) => globMatch(p, request.resource));
  return (
    principalApplies(statement, matches) &&
    (statement.Action !== undefined ? actionMatches(statement.Action) : !actionMatches(statement.NotAction)) &&
    (statement.Resource !== undefined ? resourceMatches(statement.Resource) : !resourceMatches(statement.NotResource)) &&
    conditionsHold(statement.Condition, context)
  );
}

/** 'Deny' if any applicable statement denies, else 'Allow' if any applicable statement allows, else 'NotApplicable'. For kind 'resource' statements the principal must match (Principal '*' or {AWS:'*'} matches everyone; NotPrincipal matches everyone not listed). */
export function evaluate(policy: PolicyDocument, request: RequestContext, matchesPrincipal?: PrincipalMatcher): Decision {
  const context = contextOf(request.keys);
  let decision: Decision = 'NotApplicable';
  for (const statement of policy.Statement) {
    if (!statementApplies(statement, request, context, matchesPrincipal)) continue;
    if (statement.Effect === 'Deny') return 'Deny';
    decision = 'Allow';
  }
  return decision;
}
