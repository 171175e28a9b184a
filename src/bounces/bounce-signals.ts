/** Whether a message is a bounce by its sender, subject or first words, whatever its format. */

const BOUNCE_SENDER = /mailer-daemon|postmaster|mail delivery (?:subsystem|system)|mail administrator/i;
const BOUNCE_TEXT = /could not be delivered|couldn't be delivered|undeliverable|delivery (?:has )?failed|permanent (?:fatal )?error|error delivering your mail|unable to deliver|was not delivered|not be delivered|delivery to the following recipients? (?:failed|has been delayed)|returned mail|delivery status notification|mail delivery (?:failed|error)|failed to deliver|non-delivery/i;
const BOUNCE_SUBJECT = /undeliver|undelivered|returned mail|delivery status notification|delivery (?:failure|failed|has failed|problem)|failure notice|mail delivery failed|non[- ]?delivery|could not be delivered|returned to sender/i;

/**
 * A bounce by its sender, subject or first words, whatever its format. The words alone count only
 * from a machine sender and outside a thread: a journalist's reply saying "your mail to x was
 * undeliverable" is a person writing, not a report.
 */
export function looksLikeBounce(from: string, subject: string, text: string, header: (name: string) => string | undefined): boolean {
  if (BOUNCE_SENDER.test(from) || BOUNCE_SUBJECT.test(subject)) return true;
  const machine = /no-?reply|daemon|postmaster|mailer|system/i.test(from) || /^\s*<\s*>\s*$/.test(header('return-path') ?? '');
  return machine && !header('in-reply-to') && BOUNCE_TEXT.test(text.slice(0, 4096));
}
