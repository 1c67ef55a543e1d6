// The storage prices the cost estimate assumes: list prices in US East (N. Virginia), per GB
// (2^30 bytes) and month, of the S3 storage class the deployment keeps archives in. Requests,
// retrievals and per-archive overhead are not included.

export const PRICE_REGION = 'US East (N. Virginia)';

export const STORAGE_PRICES: readonly { storageClass: string; name: string; usdPerGbMonth: number }[] = [
  { storageClass: 'DEEP_ARCHIVE', name: 'S3 Glacier Deep Archive', usdPerGbMonth: 0.00099 },
  { storageClass: 'GLACIER', name: 'S3 Glacier Flexible Retrieval', usdPerGbMonth: 0.0036 },
  { storageClass: 'GLACIER_IR', name: 'S3 Glacier Instant Retrieval', usdPerGbMonth: 0.004 },
  { storageClass: 'STANDARD_IA', name: 'S3 Standard-Infrequent Access', usdPerGbMonth: 0.0125 },
  { storageClass: 'STANDARD', name: 'S3 Standard', usdPerGbMonth: 0.023 },
];

export function monthlyCost(sizeInBytes: number, storageClass: string | null): number | undefined {
  const price = STORAGE_PRICES.find((entry) => entry.storageClass === storageClass);
  return price && (sizeInBytes / 2 ** 30) * price.usdPerGbMonth;
}

export function usd(amount: number | undefined): string {
  if (amount === undefined) return '—';
  // Small vaults cost fractions of a cent: two significant digits show them.
  return amount < 0.01 && amount > 0 ? `$${amount.toPrecision(2)}` : `$${amount.toFixed(2)}`;
}
