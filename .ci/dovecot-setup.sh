#!/bin/sh
# Make this machine able to run the IMAP tests: Dovecot's binaries and a non-root mail user.
# Idempotent. Starts no system-wide Dovecot: the test fixture (tests/dovecot.py) runs its own
# instance on a free loopback port with a throwaway config, and stops it afterwards.
set -eu

TEST_USER="${TRAFFPUNKT_TEST_MAIL_USER:-traffpunkt-test}"

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

if ! command -v dovecot >/dev/null 2>&1 && [ ! -x /usr/sbin/dovecot ]; then
    echo "dovecot-setup: installing dovecot-imapd"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends dovecot-imapd
    # Debian's package may start (or enable) the system service: the tests never use it.
    if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet dovecot 2>/dev/null; then
        as_root systemctl stop dovecot || true
    fi
fi

if ! getent passwd "$TEST_USER" >/dev/null 2>&1; then
    echo "dovecot-setup: creating system user $TEST_USER"
    as_root useradd --system --no-create-home --shell /usr/sbin/nologin "$TEST_USER"
fi

PATH="$PATH:/usr/sbin" dovecot --version | sed 's/^/dovecot-setup: dovecot /'
