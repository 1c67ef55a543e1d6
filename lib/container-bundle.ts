// The data plane's bundle: the container entry point built with the Lambda bundles' esbuild
// settings, with every dependency inside. The Dockerfile runs this (`tsx lib/container-bundle.ts <outdir>`); tests call it.
import { join } from 'node:path';
import { build } from 'esbuild';
import { LAMBDA_ESBUILD } from './bundling';

export const CONTAINER_ENTRY = join(__dirname, '..', 'lambda', 'local', 'container.ts');
/** The file the image runs, in the bundle's directory. */
export const CONTAINER_BUNDLE = 'container.js';

export async function bundleContainer(outdir: string): Promise<string> {
  const outfile = join(outdir, CONTAINER_BUNDLE);
  // Nothing external: the Lambda bundles leave out the credential chain's later links, which the
  // Lambda runtime's own SDK would answer, but the image has no SDK besides the bundle's, and a
  // task's role reaches the SDK through those links (the container credentials endpoint).
  await build({ ...LAMBDA_ESBUILD, external: [], entryPoints: [CONTAINER_ENTRY], outfile, logLevel: 'warning' });
  return outfile;
}

if (require.main === module) {
  const outdir = process.argv[2];
  if (!outdir) throw new Error('usage: tsx lib/container-bundle.ts <outdir>');
  bundleContainer(outdir).catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
