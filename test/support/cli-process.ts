// The admin command as users run it (`node bin/coldvault-cli.js ...`), in a process of its own.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const REPO = join(__dirname, '..', '..');

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], env: Record<string, string>): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: REPO,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Runs the command with no COLDVAULT_* variables but `env`; stdout is a pipe (not a terminal). */
export function cli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return run(process.execPath, [join(REPO, 'bin', 'coldvault-cli.js'), ...args], env);
}

const quote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;

/** Runs the command in a pseudo-terminal (util-linux `script`), as a user at a terminal would. */
export function cliInTerminal(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const command = [process.execPath, join(REPO, 'bin', 'coldvault-cli.js'), ...args].map(quote).join(' ');
  return run('script', ['-qfec', `stty cols 160 rows 40; ${command}`, '/dev/null'], { TERM: 'xterm', ...env });
}
