// The admin command as users run it (`node bin/coldvault-cli.js ...`), in a process of its own.
import { spawn, type ChildProcess } from 'node:child_process';
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

export interface RunningCli {
  child: ChildProcess;
  output(): string;
  /** Resolves once stdout matches `pattern`; rejects if the command ends first. */
  waitFor(pattern: RegExp): Promise<void>;
  ended: Promise<CliRun>;
}

/** Starts the command and lets the test act while it runs (interrupt it, say). */
export function startCli(args: string[], env: Record<string, string> = {}): RunningCli {
  const child = spawn(process.execPath, [join(REPO, 'bin', 'coldvault-cli.js'), ...args], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let done = false;
  const ended = new Promise<CliRun>((resolve) =>
    child.on('close', (code, signal) => {
      done = true;
      resolve({ code, signal, stdout, stderr });
    }),
  );
  return {
    child,
    output: () => stdout,
    ended,
    async waitFor(pattern) {
      while (!pattern.test(stdout)) {
        if (done) throw new Error(`the command ended without printing ${pattern}:\n${stdout}\n${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}
