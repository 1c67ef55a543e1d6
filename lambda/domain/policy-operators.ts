// The values and condition operators of IAM's policy language, as Glacier's policies use them:
// how a condition's values are read (strings, numbers, dates, booleans) and compared.

// ---- Values -----------------------------------------------------------------

export type Scalar = string | number | boolean;

function toText(value: unknown): string | undefined {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(value)) {
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/** Milliseconds since the epoch, from an ISO 8601 date/time (UTC unless it has an offset) or epoch seconds. */
function toEpochMs(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value * 1000 : undefined;
  if (typeof value !== 'string') return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const m = ISO_DATE.exec(value);
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // Date.parse rolls 2024-02-30 over into March; refuse it instead.
  if (month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return undefined;
  // Without an offset, Date.parse would read a date-time in the machine's local time zone.
  const ms = Date.parse(value.includes('T') && m[4] === undefined ? `${value}Z` : value);
  return Number.isNaN(ms) ? undefined : ms;
}

export function toBool(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  return undefined;
}

export function toList<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** `*` matches any sequence, `?` any one character; case-sensitive, by code point. */
export function globMatch(pattern: string, text: string): boolean {
  const p = Array.from(pattern);
  const t = Array.from(text);
  let pi = 0;
  let ti = 0;
  let star = -1;
  let resume = 0;
  while (ti < t.length) {
    if (pi < p.length && (p[pi] === '?' || (p[pi] === t[ti] && p[pi] !== '*'))) {
      pi += 1;
      ti += 1;
    } else if (pi < p.length && p[pi] === '*') {
      star = pi;
      pi += 1;
      resume = ti;
    } else if (star >= 0) {
      pi = star + 1;
      resume += 1;
      ti = resume;
    } else {
      return false;
    }
  }
  while (p[pi] === '*') pi += 1;
  return pi === p.length;
}

// ---- Condition operators ------------------------------------------------------

export interface Operator {
  /** What the policy's values must be, for messages; undefined if any scalar will do. */
  expects?: string;
  valid(value: Scalar): boolean;
  /** The positive comparison; a negated operator matches when it holds for none of the values. */
  test(contextValue: Scalar, policyValue: Scalar): boolean;
  negated: boolean;
}

function operator<T>(
  parse: (value: unknown) => T | undefined,
  test: (contextValue: T, policyValue: T) => boolean,
  negated: boolean,
  expects?: string,
): Operator {
  return {
    expects,
    negated,
    valid: (value) => parse(value) !== undefined,
    test: (contextValue, policyValue) => {
      const a = parse(contextValue);
      const b = parse(policyValue);
      return a !== undefined && b !== undefined && test(a, b);
    },
  };
}

const same = <T>(a: T, b: T) => a === b;
const NUMBER = 'a number';
const DATE = 'an ISO 8601 date/time or epoch seconds';

const OPERATORS = new Map<string, Operator>([
  ['StringEquals', operator(toText, same, false)],
  ['StringNotEquals', operator(toText, same, true)],
  ['StringEqualsIgnoreCase', operator(toText, (a, b) => a.toLowerCase() === b.toLowerCase(), false)],
  ['StringNotEqualsIgnoreCase', operator(toText, (a, b) => a.toLowerCase() === b.toLowerCase(), true)],
  ['StringLike', operator(toText, (a, b) => globMatch(b, a), false)],
  ['StringNotLike', operator(toText, (a, b) => globMatch(b, a), true)],
  ['NumericEquals', operator(toNumber, same, false, NUMBER)],
  ['NumericNotEquals', operator(toNumber, same, true, NUMBER)],
  ['NumericLessThan', operator(toNumber, (a, b) => a < b, false, NUMBER)],
  ['NumericLessThanEquals', operator(toNumber, (a, b) => a <= b, false, NUMBER)],
  ['NumericGreaterThan', operator(toNumber, (a, b) => a > b, false, NUMBER)],
  ['NumericGreaterThanEquals', operator(toNumber, (a, b) => a >= b, false, NUMBER)],
  ['DateEquals', operator(toEpochMs, same, false, DATE)],
  ['DateNotEquals', operator(toEpochMs, same, true, DATE)],
  ['DateLessThan', operator(toEpochMs, (a, b) => a < b, false, DATE)],
  ['DateLessThanEquals', operator(toEpochMs, (a, b) => a <= b, false, DATE)],
  ['DateGreaterThan', operator(toEpochMs, (a, b) => a > b, false, DATE)],
  ['DateGreaterThanEquals', operator(toEpochMs, (a, b) => a >= b, false, DATE)],
  ['Bool', operator(toBool, same, false, '"true" or "false"')],
]);

export type ResolvedOperator = { name: 'Null' } | { name: string; op: Operator; ifExists: boolean };

/** The operator a condition block names, or a message saying why it names none. */
export function resolveOperator(name: string): ResolvedOperator | string {
  if (name === 'Null') return { name };
  if (name === 'NullIfExists') return 'the Null operator cannot take the IfExists suffix';
  const ifExists = name.endsWith('IfExists');
  const op = OPERATORS.get(ifExists ? name.slice(0, -'IfExists'.length) : name);
  if (!op) return `"${name}" is not a supported condition operator`;
  return { name, op, ifExists };
}
