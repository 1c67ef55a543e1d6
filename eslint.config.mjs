import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Dependencies point inward: adapters, http, ops and entry points use the domain; the domain
// owns its model and ports and uses none of them. Each folder lists what it may not import.
const layer = (message, ...groups) => ({
  '@typescript-eslint/no-restricted-imports': ['error', { patterns: [{ group: groups, message }] }],
});
const OUTER = [
  '**/store/*',
  '**/http/*',
  '**/ops',
  '**/ops/*',
  '**/local/*',
  '**/handlers/*',
  '**/admin/*',
  '**/wiring',
  '**/observability',
];

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', 'dist/', '.coldvault/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read configuration through lambda/config.ts only.' },
      ],
    },
  },
  {
    files: ['lambda/domain/**/*.ts'],
    rules: layer(
      'The domain owns its model and ports: it imports no adapter, http, ops or entry-point module and no AWS SDK.',
      ...OUTER,
      '**/config',
      '@aws-sdk/*',
      '@smithy/*',
      'aws-lambda',
      'lmdb',
    ),
  },
  {
    files: ['lambda/http/**/*.ts', 'lambda/ops/**/*.ts'],
    rules: layer(
      'http/ and ops/ reach storage only through the domain or the wiring.',
      '**/store/*',
      '**/local/*',
      '**/handlers/*',
      '**/admin/*',
      '**/wiring',
    ),
  },
  {
    files: ['lambda/store/**/*.ts'],
    rules: layer(
      "Adapters implement the domain's ports; they import no http, ops or entry-point module.",
      '**/http/*',
      '**/ops',
      '**/ops/*',
      '**/local/*',
      '**/handlers/*',
      '**/admin/*',
    ),
  },
  {
    files: ['lambda/config.ts', 'test/**', 'bench/**', 'bin/**', '*.js', 'test/**/*.js'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable', process: 'readonly', __dirname: 'readonly', console: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
