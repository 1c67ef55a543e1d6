// Raw HTTP/1.1 over a socket, for tests that send what no client library would: the answers
// are read as the bytes come, so a test sees every response a connection gets, and its close.
import { connect } from 'node:net';

export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

function parseResponse(data: Buffer): { answer: Answer; rest: Buffer } | undefined {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine, ...lines] = data.subarray(0, end).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) headers[line.slice(0, line.indexOf(':')).toLowerCase()] = line.slice(line.indexOf(':') + 1).trim();
  const length = Number(headers['content-length'] ?? 0);
  if (data.length < end + 4 + length) return undefined;
  return {
    answer: { status: Number(statusLine.split(' ')[1]), headers, body: data.subarray(end + 4, end + 4 + length) },
    rest: data.subarray(end + 4 + length),
  };
}

/** A request's head as bytes, header lines as latin1 so that any byte can be sent. */
export function requestHead(method: string, target: string, headers: Record<string, string>): Buffer {
  const lines = [`${method} ${target} HTTP/1.1`, ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)];
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}

/**
 * Writes bytes to a new connection and collects the answers until the server closes it, or
 * until `answers` came and the connection stays open (keep-alive), or `waitMs` passed.
 */
export function exchange(
  url: string,
  bytes: Buffer,
  options: { answers?: number; waitMs?: number } = {},
): Promise<{ answers: Answer[]; closed: boolean }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let data: Buffer = Buffer.alloc(0);
    const answers: Answer[] = [];
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ answers, closed });
    };
    const timer = setTimeout(() => finish(false), options.waitMs ?? 10_000);
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      for (let parsed = parseResponse(data); parsed; parsed = parseResponse(data)) {
        answers.push(parsed.answer);
        data = parsed.rest;
      }
      if (options.answers !== undefined && answers.length >= options.answers) finish(false);
    });
    socket.on('close', () => finish(true));
    socket.on('error', (error: NodeJS.ErrnoException) =>
      ['ECONNRESET', 'EPIPE'].includes(error.code ?? '') ? finish(true) : reject(error),
    );
    socket.write(bytes);
  });
}
