import { appendFile } from 'node:fs/promises';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Notifier } from '../domain/ports';

/**
 * Publishes to Amazon SNS, in the topic's own region. Like Glacier, a delivery that can't be
 * made (the topic is gone, or this account may not publish to it) does not fail the job: it is
 * logged. A delivery that fails for now (throttled, SNS unavailable) rejects, to be tried again.
 */
export class SnsNotifier implements Notifier {
  private readonly clients = new Map<string, SNSClient>();

  constructor(
    private readonly log: (message: string, detail: Record<string, unknown>) => void,
    private readonly clientFor: (region: string) => SNSClient = (region) => new SNSClient({ region }),
  ) {}

  async publish(topicArn: string, subject: string, message: string): Promise<void> {
    const region = topicArn.split(':')[3];
    let client = this.clients.get(region);
    if (!client) {
      client = this.clientFor(region);
      this.clients.set(region, client);
    }
    try {
      await client.send(new PublishCommand({ TopicArn: topicArn, Subject: subject, Message: message }));
    } catch (error) {
      const { name, $fault } = error as { name?: string; $fault?: string };
      const permanent = $fault === 'client' && !/thrott/i.test(name ?? '');
      this.log(permanent ? 'notification failed' : 'notification failed; it will be tried again', { topicArn, error: String(error) });
      if (!permanent) throw error;
    }
  }
}

/** Local mode: each delivery is a JSON line appended to a file, for people and tests to read. */
export class FileNotifier implements Notifier {
  constructor(private readonly path: string) {}

  async publish(topicArn: string, subject: string, message: string): Promise<void> {
    await appendFile(this.path, `${JSON.stringify({ time: new Date().toISOString(), topicArn, subject, message })}\n`);
  }
}
