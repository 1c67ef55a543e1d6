import { OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';

/**
 * esbuild settings of the Lambda bundles. The stack deploys with these and the bundle test
 * builds with them, so the test runs what is deployed.
 */
export const LAMBDA_ESBUILD = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  minify: true,
  sourcemap: true,
  // A stack trace needs only the map's mappings; without the sources' text the map is a third of
  // the size, and loading it (NODE_OPTIONS=--enable-source-maps) adds about a third of the time.
  sourcesContent: false,
  // Bundle the AWS SDK too: the versions tested are the versions deployed. Left out: the links
  // of the SDK's credential chain after the environment, which it imports only when the
  // environment has no credentials. Lambda always puts the role's credentials there; were a link
  // ever reached, the runtime's own copy of the SDK would answer the import.
  external: [
    '@aws-sdk/credential-provider-http',
    '@aws-sdk/credential-provider-ini',
    '@aws-sdk/credential-provider-process',
    '@aws-sdk/credential-provider-sso',
    '@aws-sdk/credential-provider-web-identity',
    '@smithy/credential-provider-imds',
  ],
  // The SDK's ES module builds, which esbuild can tree-shake (its CommonJS builds are one file per package).
  mainFields: ['module', 'main'],
} satisfies BuildOptions;

export const LAMBDA_BUNDLING: BundlingOptions = {
  target: LAMBDA_ESBUILD.target,
  format: LAMBDA_ESBUILD.format as OutputFormat,
  minify: LAMBDA_ESBUILD.minify,
  sourceMap: LAMBDA_ESBUILD.sourcemap,
  sourcesContent: LAMBDA_ESBUILD.sourcesContent,
  externalModules: LAMBDA_ESBUILD.external,
  mainFields: LAMBDA_ESBUILD.mainFields,
};

/** The api function also serves the web console: its static files are built beside the bundle. */
export const API_BUNDLING: BundlingOptions = {
  ...LAMBDA_BUNDLING,
  commandHooks: {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (inputDir: string, outputDir: string) => [`cd "${inputDir}" && npx tsx console/build.ts "${outputDir}/console"`],
  },
};
