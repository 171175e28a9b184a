#!/usr/bin/env bash
# The real peers the tests talk to (issues 16, 19): Debian's dovecot (IMAP bounce mailbox),
# Chromium (browser tests), SpamAssassin and python3-dkim (deliverability tests). `npm test`
# runs this first, so a fresh machine needs nothing installed by hand. As root it installs what is missing from Debian; otherwise it says what to run.
set -euo pipefail
need=()
[ -x /usr/sbin/dovecot ] || need+=(dovecot-imapd)
[ -x /usr/bin/chromium ] || need+=(chromium)
# Independent judges of what we send (issue 16): SpamAssassin and python3-dkim as a DKIM verifier.
[ -x /usr/bin/spamassassin ] || need+=(spamassassin)
[ -f /usr/lib/python3/dist-packages/dkim/__init__.py ] || need+=(python3-dkim)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "pressline tests need ${need[*]} from Debian: run  sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
echo "installing test peers from Debian: ${need[*]}" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
