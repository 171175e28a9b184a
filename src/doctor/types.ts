/** The outcome of one doctor check: `fail` makes `pressline doctor` exit 1, `warn` does not. */
export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  /** Stable id for --json readers, e.g. `dns.spf`. */
  id: string;
  status: CheckStatus;
  /** What was found, in one line. */
  message: string;
  /** What to do about it; absent when there is nothing to do. */
  fix?: string;
}

export const ok = (id: string, message: string): CheckResult => ({ id, status: 'ok', message });
export const skip = (id: string, message: string): CheckResult => ({ id, status: 'skip', message });
export const warn = (id: string, message: string, fix?: string): CheckResult => ({ id, status: 'warn', message, ...(fix ? { fix } : {}) });
export const fail = (id: string, message: string, fix?: string): CheckResult => ({ id, status: 'fail', message, ...(fix ? { fix } : {}) });

/** The domain part of an address, lower-cased. */
export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

/**
 * The organisational domain for DMARC's relaxed alignment, approximated as the last two labels:
 * no public suffix list ships with pressline, so a domain under e.g. co.uk is compared on three.
 */
export function organisationalDomain(domain: string): string {
  const labels = domain.toLowerCase().replace(/\.$/, '').split('.');
  const twoLevelSuffix = labels.length >= 3 && /^(co|com|org|net|ac|gov|edu)$/.test(labels[labels.length - 2]!) && labels[labels.length - 1]!.length === 2;
  return labels.slice(twoLevelSuffix ? -3 : -2).join('.');
}
