import { invalidParameter } from './errors';

export const MAX_DESCRIPTION_LENGTH = 1024;

export function vaultArn(region: string, accountId: string, vaultName: string): string {
  return `arn:aws:glacier:${region}:${accountId}:vaults/${vaultName}`;
}

export function validateVaultName(name: string): void {
  if (!/^[a-zA-Z0-9_.-]{1,255}$/.test(name)) {
    throw invalidParameter(
      `Invalid vault name: ${JSON.stringify(name.length > 300 ? `${name.slice(0, 300)}...` : name)}. ` +
        "Vault names must be 1 to 255 characters of a-z, A-Z, 0-9, '_' (underscore), '-' (hyphen) and '.' (period).",
    );
  }
}

/** Archive and job descriptions: at most 1,024 printable ASCII characters (0x20-0x7E). */
export function validateDescription(description: string, what = 'archive description'): void {
  if (description.length > MAX_DESCRIPTION_LENGTH) {
    throw invalidParameter(`Invalid ${what}: it is ${description.length} characters long; the maximum is ${MAX_DESCRIPTION_LENGTH}.`);
  }
  const bad = description.search(/[^\x20-\x7e]/);
  if (bad >= 0) {
    const code = description.codePointAt(bad) as number;
    throw invalidParameter(
      `Invalid ${what}: the character U+${code.toString(16).toUpperCase().padStart(4, '0')} at position ${bad} is not printable ASCII (0x20-0x7E).`,
    );
  }
}
