// The lint rules that keep dependencies pointing inward fire: the repository's own ESLint
// configuration, run through ESLint's Node API on source lines as if they were in each folder.
// ESLint loads its configuration with a dynamic import, which Jest's module system refuses,
// so it runs in a child Node process.
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const RULE = '@typescript-eslint/no-restricted-imports';

interface Case {
  file: string;
  source: string;
}

const LINT = `
const { ESLint } = require('eslint');
const { join } = require('node:path');
const { cases, files } = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
(async () => {
  const eslint = new ESLint({ cwd: process.cwd() });
  const texts = [];
  for (const { file, source } of cases) {
    const [result] = await eslint.lintText(source + '\\nexport const used = [x];\\n', { filePath: join(process.cwd(), file) });
    texts.push(result.messages);
  }
  const lintedFiles = (await eslint.lintFiles(files)).map((r) => ({ filePath: r.filePath, messages: r.messages }));
  process.stdout.write(JSON.stringify({ texts, lintedFiles }));
})();
`;

interface Message {
  ruleId: string | null;
  message: string;
  fatal?: boolean;
}

function lint(cases: Case[], files: string[]): { texts: Message[][]; lintedFiles: { filePath: string; messages: Message[] }[] } {
  const out = execFileSync(process.execPath, ['-e', LINT], { cwd: ROOT, input: JSON.stringify({ cases, files }), encoding: 'utf8' });
  return JSON.parse(out);
}

const CASES = {
  domain: [
    ['domain → store', "import { x } from '../store/dynamo-metadata';"],
    ['domain → http', "import { x } from '../http/routes';"],
    ['domain → ops', "import { x } from '../ops';"],
    ['domain → wiring', "import { x } from '../wiring';"],
    ['domain → config', "import { x } from '../config';"],
    ['domain → AWS SDK', "import { x } from '@aws-sdk/client-s3';"],
    ['domain → Smithy', "import { x } from '@smithy/signature-v4';"],
    ['domain → store, type only', "import type { x } from '../store/s3-blobs';"],
  ],
  http: [
    ['lambda/http/example.ts', "import { x } from '../store/dynamo-metadata';"],
    ['lambda/http/example.ts', "import { x } from '../wiring';"],
    ['lambda/ops/example.ts', "import { x } from '../store/s3-blobs';"],
    ['lambda/ops/example.ts', "import { x } from '../local/embedded-stores';"],
  ],
  store: [["import { x } from '../http/routes';"], ["import { x } from '../ops/operation';"], ["import { x } from '../handlers/api';"]],
  allowed: [
    ['lambda/domain/example.ts', "import { x } from './ports';"],
    ['lambda/http/example.ts', "import { x } from '../domain/ports';"],
    ['lambda/ops/example.ts', "import { x } from '../domain/ports';"],
    ['lambda/store/example.ts', "import { x } from '../domain/ports';\nimport { y } from '@aws-sdk/client-s3';\nvoid y;"],
  ],
} as const;

const all: Case[] = [
  ...CASES.domain.map(([, source]) => ({ file: 'lambda/domain/example.ts', source })),
  ...CASES.http.map(([file, source]) => ({ file, source })),
  ...CASES.store.map(([source]) => ({ file: 'lambda/store/example.ts', source })),
  ...CASES.allowed.map(([file, source]) => ({ file, source })),
];
let results: ReturnType<typeof lint>;

beforeAll(() => {
  results = lint(all, ['lambda/**/*.ts']);
}, 120_000);

/** The layering rule's messages for one of `all`, after checking that ESLint parsed it. */
function layeringMessages(file: string, source: string): string[] {
  const messages = results.texts[all.findIndex((c) => c.file === file && c.source === source)];
  expect(messages.filter((m) => m.fatal)).toEqual([]);
  return messages.filter((m) => m.ruleId === RULE).map((m) => m.message);
}

describe('the domain imports no adapter, http, ops, entry point or SDK', () => {
  it.each(CASES.domain)('%s is rejected', (_, source) => {
    expect(layeringMessages('lambda/domain/example.ts', source)).toEqual([expect.stringContaining('The domain owns its model and ports')]);
  });
});

describe('http and ops reach storage only through the domain or the wiring', () => {
  it.each(CASES.http)('%s: %s is rejected', (file, source) => {
    expect(layeringMessages(file, source)).toEqual([expect.stringContaining('reach storage only through the domain')]);
  });
});

describe('adapters import no http, ops or entry point', () => {
  it.each(CASES.store)('store: %s is rejected', (source) => {
    expect(layeringMessages('lambda/store/example.ts', source)).toEqual([expect.stringContaining("implement the domain's ports")]);
  });
});

it.each(CASES.allowed)('%s: %s is allowed', (file, source) => {
  expect(layeringMessages(file, source)).toEqual([]);
});

it('every module in lambda/ follows the rules today', () => {
  expect(results.lintedFiles.length).toBeGreaterThan(50);
  const broken = results.lintedFiles.flatMap((r) => r.messages.filter((m) => m.ruleId === RULE).map((m) => `${r.filePath}: ${m.message}`));
  expect(broken).toEqual([]);
});
