// What the store writes into deliveries and events on its own initiative, worded here so the
// store only stores: the texts people read in reports and the log, and the reply code of a report.

/** A delivery left `sending` by a sender that stopped: its reply text and its `unknown` event's detail. */
export const IN_FLIGHT_AT_CRASH = {
  response: 'in flight when the sending process stopped; the relay may or may not have accepted it',
  detail: 'in flight at a crash: not resent unless --resend-unknown',
};

/** The `planned` event of a public-phase recipient the embargoed phase never reached. */
export const EMBARGO_UNREACHED = 'the embargoed phase never reached this recipient: sending the public copy';

/** The `suppressed` event of a delivery whose address was suppressed between planning and its claim. */
export function suppressedSincePlanning(reason: string, source: string): string {
  return `suppressed since planning: ${reason} (${source})`;
}

/** The SMTP reply code a report's diagnostic starts with ("smtp; 550 5.1.1 …"), if any. */
export function replyCode(diagnostic: string | undefined): number | undefined {
  const code = /^\s*(?:smtp;\s*)?(\d{3})\b/i.exec(diagnostic ?? '')?.[1];
  return code ? Number(code) : undefined;
}

/** The detail of the event a stored report adds to its delivery's timeline. */
export function reportEventDetail(report: { source: string; kind: string; reportId: string }): string {
  return `${report.source}: ${report.kind} report ${report.reportId}`;
}
