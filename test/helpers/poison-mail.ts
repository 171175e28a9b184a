/**
 * Mail that has broken bounce processing (issue 14): each message here once ended `bounces
 * ingest` with a stack trace or ran for minutes. Anyone can send them to the bounce address.
 */

/** An RFC 3464 report for one recipient, as a receiving MTA sends it back. */
export function dsnFor(o: { to: string; recipient: string; originalMessageId: string; id: string; diagnostic?: string; extraRecipients?: string[] }): string {
  const block = (r: string) => [`Final-Recipient: rfc822; ${r}`, `Action: failed`, `Status: 5.1.1`, `Diagnostic-Code: smtp; ${o.diagnostic ?? '550 5.1.1 User unknown'}`, ``];
  return [
    `From: Mail Delivery System <MAILER-DAEMON@mx.paper.example>`,
    `To: ${o.to}`,
    `Subject: Undelivered Mail Returned to Sender`,
    `Message-ID: <${o.id}@mx.paper.example>`,
    `Date: Sat, 28 Nov 2026 10:00:00 +0000`,
    `MIME-Version: 1.0`,
    `Content-Type: multipart/report; report-type=delivery-status; boundary="B"`,
    ``,
    `--B`,
    `Content-Type: text/plain`,
    ``,
    `Your message could not be delivered.`,
    ``,
    `--B`,
    `Content-Type: message/delivery-status`,
    ``,
    `Reporting-MTA: dns; mx.paper.example`,
    ``,
    ...block(o.recipient),
    ...(o.extraRecipients ?? []).flatMap(block),
    `--B`,
    `Content-Type: text/rfc822-headers`,
    ``,
    `From: Press Office <press@ngo.example.org>`,
    `To: ${o.recipient}`,
    `Message-ID: ${o.originalMessageId}`,
    `Subject: EU-Russia summit`,
    ``,
    `--B--`,
    ``,
  ].join('\r\n');
}

/** multipart inside multipart, `levels` deep ("Max allowed child nodes exceeded" in mailparser). */
export function deeplyNested(levels: number): string {
  const head = ['From: nobody@attacker.example', 'To: bounces@bounces.ngo.example.org', 'Subject: nest', 'Message-ID: <nest@attacker.example>', 'MIME-Version: 1.0'];
  const parts: string[] = [];
  for (let i = 0; i < levels; i++) parts.push(`Content-Type: multipart/mixed; boundary="b${i}"`, '', `--b${i}`);
  parts.push('Content-Type: text/plain', '', 'deep');
  for (let i = levels - 1; i >= 0; i--) parts.push(`--b${i}--`);
  return [...head, ...parts, ''].join('\r\n');
}

/** One header line of `bytes` bytes. */
export function longHeaderLine(bytes: number): Buffer {
  const head = Buffer.from('From: nobody@attacker.example\r\nSubject: long\r\nX-Padding: ');
  const tail = Buffer.from('\r\n\r\nbody\r\n');
  return Buffer.concat([head, Buffer.alloc(bytes, 'a'), tail]);
}

/** An Exchange-looking report whose failed-recipients section is `bytes` of address-like text with no address in it. */
export function exchangeShaped(bytes: number): string {
  return [
    'From: postmaster@outlook.example',
    'To: bounces@bounces.ngo.example.org',
    'Subject: Undeliverable: EU-Russia summit',
    'Message-ID: <exchange-shaped@outlook.example>',
    '',
    'Delivery has failed to these recipients or groups:',
    '',
    'x'.repeat(bytes),
    '',
  ].join('\r\n');
}

/** One multipart with `parts` empty parts side by side: shallow, but more MIME nodes than mailparser allows. */
export function manyParts(parts: number): string {
  const head = ['From: nobody@attacker.example', 'Subject: parts', 'Message-ID: <parts@attacker.example>', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="p"', ''];
  const body: string[] = [];
  for (let i = 0; i < parts; i++) body.push('--p', '', 'x');
  return [...head, ...body, '--p--', ''].join('\r\n');
}
