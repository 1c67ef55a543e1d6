// Builds the web console into static files: `main-<hash>.js`, `style-<hash>.css` and an
// index.html that names them. `npx tsx console/build.ts [outDir]` (default dist/console).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { build } from 'esbuild';

export const DEFAULT_CONSOLE_OUT_DIR = resolve(__dirname, '..', 'dist', 'console');

export async function buildConsole(outDir: string = DEFAULT_CONSOLE_OUT_DIR): Promise<string[]> {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const result = await build({
    entryPoints: [join(__dirname, 'src', 'main.ts'), join(__dirname, 'src', 'style.css')],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    entryNames: '[name]-[hash]',
    outdir: outDir,
    metafile: true,
    logLevel: 'warning',
  });
  const outputs = Object.keys(result.metafile.outputs).map((file) => basename(file));
  const named = (ext: string) => {
    const file = outputs.find((name) => name.endsWith(ext));
    if (!file) throw new Error(`the console build made no ${ext} file`);
    return file;
  };
  const html = readFileSync(join(__dirname, 'src', 'index.html'), 'utf8')
    .replace('{{script}}', named('.js'))
    .replace('{{style}}', named('.css'));
  writeFileSync(join(outDir, 'index.html'), html);
  return [...outputs, 'index.html'];
}

if (require.main === module) {
  buildConsole(process.argv[2] ? resolve(process.argv[2]) : undefined).then(
    (files) => console.log(`console built: ${files.join(', ')}`),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
