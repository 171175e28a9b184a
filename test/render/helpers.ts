import type { Contact } from '../../src/lists/contact.js';

/** A contact as the list loader would produce it; override what the test needs. */
export function contact(overrides: Partial<Contact> = {}): Contact {
  const email = overrides.email ?? 'anna.schmidt@zeitung.example';
  const [local, domain] = email.split('@') as [string, string];
  return {
    email,
    key: `${local.toLowerCase()}@${domain.toLowerCase()}`,
    domain: domain.toLowerCase(),
    firstName: 'Anna',
    lastName: 'Schmidt',
    outlet: 'Die Zeitung',
    tags: ['foreign'],
    language: 'en',
    country: 'Germany',
    timeZone: 'Europe/Berlin',
    extra: {},
    source: { file: 'test.csv', line: 2 },
    ...overrides,
  };
}
