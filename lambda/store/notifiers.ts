import { appendFile } from 'node:fs/promises';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Notifier } from './ports';

/**
 * Publishes to Amazon SNS, in the topic's own region. Like Glacier, a delivery that fails
 * does not fail the job: it is logged.
 */
export class SnsNotifier implements Notifier {
  private readonly clients = new Map<string, SNSClient>();

  constructor(private readonly log: (message: string, detail: Record<string, unknown>) => void) {}

  async publish(topicArn: string, subject: string, message: string): Promise<void> {
    const region = topicArn.split(':')[3];
    let client = this.clients.get(region);
    if (!client) {
      client = new SNSClient({ region });
      this.clients.set(region, client);
    }
    try {
      await client.send(new PublishCommand({ TopicArn: topicArn, Subject: subject, Message: message }));
    } catch (error) {
      this.log('notification failed', { topicArn, error: String(error) });
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
