// What the import shows while it runs: a live bar on a terminal (cli-progress), plain lines
// otherwise (a log file, CI), with archives and bytes done, throughput, jobs waiting and an ETA.
import { MultiBar, Presets, type SingleBar } from 'cli-progress';

export interface ProgressFigures {
  archivesDone: number;
  archivesTotal: number;
  bytesDone: number;
  bytesTotal: number;
  jobsWaiting: number;
}

export interface ImportProgress {
  start(figures: ProgressFigures): void;
  update(figures: ProgressFigures): void;
  /** A line that stays (an archive imported, a failure, a pause). */
  note(line: string): void;
  stop(): void;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return 'unknown';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Bytes per second since the start, and the time left at that rate. */
class Rate {
  private readonly startedMs = Date.now();
  private readonly startBytes: number;
  constructor(startBytes: number) {
    this.startBytes = startBytes;
  }
  figures(f: ProgressFigures) {
    const seconds = Math.max((Date.now() - this.startedMs) / 1000, 0.001);
    const perSecond = (f.bytesDone - this.startBytes) / seconds;
    const eta = f.bytesDone >= f.bytesTotal ? 0 : perSecond > 0 ? (f.bytesTotal - f.bytesDone) / perSecond : Infinity;
    return { perSecond, eta };
  }
}

function payload(f: ProgressFigures, rate: Rate) {
  const { perSecond, eta } = rate.figures(f);
  return {
    archives: `${f.archivesDone}/${f.archivesTotal}`,
    bytes: `${formatBytes(f.bytesDone)}/${formatBytes(f.bytesTotal)}`,
    speed: `${formatBytes(perSecond)}/s`,
    waiting: f.jobsWaiting,
    left: formatDuration(eta),
  };
}

class TerminalProgress implements ImportProgress {
  private readonly bars = new MultiBar(
    {
      format: '{bar} {archives} archives | {bytes} | {speed} | {waiting} jobs waiting | ETA {left}',
      hideCursor: true,
      clearOnComplete: false,
      stream: process.stdout,
    },
    Presets.shades_classic,
  );
  private bar?: SingleBar;
  private rate = new Rate(0);

  start(f: ProgressFigures) {
    this.rate = new Rate(f.bytesDone);
    this.bar = this.bars.create(Math.max(f.bytesTotal, 1), f.bytesDone, payload(f, this.rate));
  }
  update(f: ProgressFigures) {
    this.bar?.update(f.bytesDone, payload(f, this.rate));
  }
  note(line: string) {
    this.bars.log(`${line}\n`);
  }
  stop() {
    this.bars.stop();
  }
}

class LineProgress implements ImportProgress {
  private rate = new Rate(0);
  private last = '';
  constructor(private readonly write: (line: string) => void) {}

  start(f: ProgressFigures) {
    this.rate = new Rate(f.bytesDone);
    this.update(f);
  }
  update(f: ProgressFigures) {
    const p = payload(f, this.rate);
    const line = `progress: ${p.archives} archives, ${p.bytes}, ${p.speed}, ${p.waiting} jobs waiting, ETA ${p.left}`;
    // A line only when something moved (throughput alone changes every second).
    const key = `${p.archives} ${p.bytes} ${p.waiting}`;
    if (key === this.last) return;
    this.last = key;
    this.write(line);
  }
  note(line: string) {
    this.write(line);
  }
  stop() {}
}

export function createProgress(tty: boolean, write: (line: string) => void): ImportProgress {
  return tty ? new TerminalProgress() : new LineProgress(write);
}
