// Fresh LMDB environments in temporary directories, for the embedded store contract suites.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLmdb, type LmdbEnv } from '../../lambda/store/lmdb-env';

export interface TempLmdb {
  /** A new, empty environment (closed by close()). */
  fresh(): LmdbEnv;
  close(): Promise<void>;
}

export function tempLmdb(): TempLmdb {
  const dir = mkdtempSync(join(tmpdir(), 'coldvault-lmdb-'));
  const envs: LmdbEnv[] = [];
  return {
    fresh() {
      const env = openLmdb(join(dir, String(envs.length)));
      envs.push(env);
      return env;
    },
    async close() {
      for (const env of envs) await env.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
