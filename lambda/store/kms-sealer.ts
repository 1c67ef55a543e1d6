// Deployed secret sealer: the stack's KMS key, with the access key ID as encryption context.
import { DecryptCommand, EncryptCommand, type KMSClient } from '@aws-sdk/client-kms';
import type { SecretSealer } from '../domain/ports';

/** How long an opened secret is kept in memory: requests signed with one key need one Decrypt a while. */
const CACHE_MS = 5 * 60_000;
const CACHE_ENTRIES = 1000;

const contextOf = (accessKeyId: string) => ({ 'coldvault:accessKeyId': accessKeyId });

export class KmsSecretSealer implements SecretSealer {
  private readonly opened = new Map<string, { plain: string; untilMs: number }>();

  constructor(
    private readonly kms: KMSClient,
    private readonly keyId: string,
    private readonly now: () => number = Date.now,
  ) {}

  async seal(plain: string, context: string): Promise<string> {
    const out = await this.kms.send(
      new EncryptCommand({ KeyId: this.keyId, Plaintext: Buffer.from(plain, 'utf8'), EncryptionContext: contextOf(context) }),
    );
    if (!out.CiphertextBlob) throw new Error('KMS returned no ciphertext');
    return Buffer.from(out.CiphertextBlob).toString('base64');
  }

  async open(sealed: string, context: string): Promise<string> {
    const cacheKey = `${context}\n${sealed}`;
    const cached = this.opened.get(cacheKey);
    if (cached && cached.untilMs > this.now()) return cached.plain;
    const out = await this.kms.send(
      new DecryptCommand({ KeyId: this.keyId, CiphertextBlob: Buffer.from(sealed, 'base64'), EncryptionContext: contextOf(context) }),
    );
    if (!out.Plaintext) throw new Error('KMS returned no plaintext');
    const plain = Buffer.from(out.Plaintext).toString('utf8');
    if (this.opened.size >= CACHE_ENTRIES) this.opened.clear();
    this.opened.set(cacheKey, { plain, untilMs: this.now() + CACHE_MS });
    return plain;
  }
}
