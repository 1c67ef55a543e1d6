// Jest transformer: strips TypeScript with esbuild (type checking is `tsc --noEmit`'s job).
const { transformSync } = require('esbuild');

module.exports = {
  process(source, filename) {
    const out = transformSync(source, {
      loader: 'ts',
      format: 'cjs',
      target: 'node20',
      sourcemap: 'inline',
      sourcefile: filename,
    });
    return { code: out.code };
  },
};
