import { CONFLICT, retryOnConflict, type Backoff } from '../../lambda/domain/compare-and-set';

function recordingBackoff(random = 1): Backoff & { waits: number[] } {
  const waits: number[] = [];
  return { waits, sleep: async (ms) => void waits.push(ms), random: () => random };
}

describe('retryOnConflict', () => {
  it('answers the first try that is not a conflict, without waiting before it', async () => {
    const backoff = recordingBackoff();
    const answers = [CONFLICT, CONFLICT, 'written'] as const;
    let tries = 0;
    await expect(retryOnConflict(async () => answers[tries++], 'busy', backoff)).resolves.toBe('written');
    expect(tries).toBe(3);
    expect(backoff.waits).toEqual([5, 10]);
  });

  it('waits a random share of a doubling delay, capped at 1 s', async () => {
    const full = recordingBackoff(1);
    await expect(retryOnConflict(async () => CONFLICT, 'busy', full)).rejects.toThrow();
    expect(full.waits).toEqual([5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000, 1000, 1000, 1000, 1000, 1000]);
    const half = recordingBackoff(0.5);
    await expect(retryOnConflict(async () => CONFLICT, 'busy', half)).rejects.toThrow();
    expect(half.waits.slice(0, 3)).toEqual([2.5, 5, 10]);
  });

  it('gives up after 16 tries with a retryable ServiceUnavailableException', async () => {
    let tries = 0;
    const failure = retryOnConflict(
      async () => {
        tries += 1;
        return CONFLICT;
      },
      'The thing is being changed concurrently; try again.',
      recordingBackoff(),
    );
    await expect(failure).rejects.toMatchObject({
      code: 'ServiceUnavailableException',
      status: 500,
      message: 'The thing is being changed concurrently; try again.',
    });
    expect(tries).toBe(16);
  });

  it('lets an error of a try through at once', async () => {
    let tries = 0;
    const failure = retryOnConflict(
      async () => {
        tries += 1;
        throw new Error('refused');
      },
      'busy',
      recordingBackoff(),
    );
    await expect(failure).rejects.toThrow('refused');
    expect(tries).toBe(1);
  });
});
