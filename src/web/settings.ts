/** Webhook switches that come only from the environment (or .env). */
export interface WebhookSettings {
  /** PRESSLINE_SES_TOPIC_ARNS: the only SNS topics whose posts are accepted; empty = refuse all. */
  sesTopicArns: string[];
  /** PRESSLINE_SES_AUTO_CONFIRM=1: confirm SNS subscriptions by fetching the SubscribeURL. */
  sesAutoConfirm: boolean;
  /** PRESSLINE_SENDGRID_PUBLIC_KEY: base64 DER SPKI (as SendGrid shows it) or PEM; unset = refuse all. */
  sendgridPublicKey: string | undefined;
}

export function readWebhookSettings(env: NodeJS.ProcessEnv = process.env): WebhookSettings {
  const get = (k: string) => (env[k] && env[k]!.trim() !== '' ? env[k]!.trim() : undefined);
  return {
    sesTopicArns: (get('PRESSLINE_SES_TOPIC_ARNS') ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    sesAutoConfirm: get('PRESSLINE_SES_AUTO_CONFIRM') === '1',
    sendgridPublicKey: get('PRESSLINE_SENDGRID_PUBLIC_KEY'),
  };
}
