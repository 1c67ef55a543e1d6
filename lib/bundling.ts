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
  // Bundle the AWS SDK too: the versions tested are the versions deployed.
  external: [] as string[],
} satisfies BuildOptions;

export const LAMBDA_BUNDLING: BundlingOptions = {
  target: LAMBDA_ESBUILD.target,
  format: LAMBDA_ESBUILD.format as OutputFormat,
  minify: LAMBDA_ESBUILD.minify,
  sourceMap: LAMBDA_ESBUILD.sourcemap,
  externalModules: LAMBDA_ESBUILD.external,
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
