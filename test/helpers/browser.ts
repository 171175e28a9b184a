import { chromium, type Browser } from 'playwright-core';

/** Debian's headless Chromium (installed by `npm test`, see scripts/install-test-peers.sh), with nothing reaching out on its own. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
