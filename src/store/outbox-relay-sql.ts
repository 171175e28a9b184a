/**
 * A delivery written to the outbox folder ends `sent` like one a relay accepted; the relay it
 * records tells them apart: "outbox <dir>" (see isOutboxRelay in src/send/outbox-relay.ts), never
 * "<name> smtp://…". This is that test as an SQL condition on `deliveries.relay`, the same in
 * SQLite and PostgreSQL; kept here so the store needs nothing from send/.
 */
export const OUTBOX_RELAY_SQL = "(relay LIKE 'outbox %' AND relay NOT LIKE 'outbox smtp://%' AND relay NOT LIKE 'outbox smtps://%')";
