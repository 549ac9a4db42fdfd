#!/usr/bin/env bash
# Runs HelloAspire's tests on a fresh machine: installs what they need (PostgreSQL's server binaries, Node.js,
# Chromium for the dashboard's browser test, a trusted HTTPS development certificate),
# builds, runs every test, checks that nothing was left behind, and ends with "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")"

say() { printf '==> %s\n' "$*"; }

have_postgres_binaries() {
    local bindir
    if command -v pg_config >/dev/null && bindir=$(pg_config --bindir 2>/dev/null) && [ -x "$bindir/initdb" ]; then
        return 0
    fi
    compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null
}

# Installs Debian packages as root; anywhere else, stops and says what to install by hand.
apt_install() {
    local what=$1 manual=$2
    shift 2
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
        echo "error: missing $what. $manual Then run ./test.sh again." >&2
        exit 1
    fi
    say "Installing $what (Debian: $*)"
    export DEBIAN_FRONTEND=noninteractive
    if [ -z "${apt_updated:-}" ]; then
        apt-get update -qq
        apt_updated=1
    fi
    apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

install_postgres_binaries() {
    local what="PostgreSQL's server binaries"
    local manual="Install them (Debian/Ubuntu: sudo apt-get install postgresql), or set Postgres__BinDirectory to the folder that holds postgres, initdb and psql."
    apt_install "$what" "$manual" postgresql-common
    # HelloAspire runs its own servers; the package's system-wide cluster on port 5432 is not wanted.
    sed -i 's/^#\?\s*create_main_cluster.*/create_main_cluster = false/' /etc/postgresql-common/createcluster.conf
    apt_install "$what" "$manual" postgresql
}

if ! command -v dotnet >/dev/null; then
    echo "error: the .NET SDK is missing. Install .NET SDK 10.0.400 or later (https://dot.net), then run ./test.sh again." >&2
    exit 1
fi
have_postgres_binaries || install_postgres_binaries
{ command -v node && command -v npm; } >/dev/null ||
    apt_install "Node.js" "The node-client tests run it: install Node.js 18 or later with npm." nodejs npm
[ -x /usr/bin/chromium ] ||
    apt_install "Chromium" "The dashboard's browser test drives /usr/bin/chromium: install it (Debian: sudo apt-get install chromium)." chromium

# Aspire's orchestrator (DCP) serves its API over TLS with the trusted development certificate; without one it makes
# a new key at every start (0.3–2 s of each AppHost start on a 2-core machine). This is Aspire's own setup step.
trust_dev_certificate() {
    local status=0
    dotnet dev-certs https --trust >/dev/null 2>&1 || status=$?
    case $status in
        0) ;;
        # 4: trusted by .NET (what Aspire checks) but not by OpenSSL tools until SSL_CERT_DIR lists ~/.aspnet/dev-certs/trust.
        4) say "The development certificate is trusted by .NET; OpenSSL tools need SSL_CERT_DIR (https://aka.ms/dev-certs-trust)" ;;
        *) echo "warning: 'dotnet dev-certs https --trust' failed (exit $status); every AppHost start will be up to 2 s slower." >&2 ;;
    esac
}
# .NET keeps the user's certificates (my) and the ones it trusts (root) as <thumbprint>.pfx files.
dev_certificate_trusted() {
    local store=$HOME/.dotnet/corefx/cryptography/x509stores certificate
    for certificate in "$store"/my/*.pfx; do
        [ -f "$store/root/${certificate##*/}" ] && return 0
    done
    return 1
}
dev_certificate_trusted || {
    say "Creating and trusting the HTTPS development certificate (dotnet dev-certs https --trust)"
    trust_dev_certificate
}

say "Restoring the Aspire CLI (dotnet-tools.json)"
dotnet tool restore >/dev/null

say "Building"
dotnet build HelloAspire.sln --configuration Release -warnaserror --nologo -clp:ErrorsOnly

say "Testing"
results=TestResults
rm -rf "$results"
status=0
# Here the browser test must run: without Chromium it fails instead of skipping (as a plain `dotnet test` lets it).
HELLOASPIRE_REQUIRE_BROWSER=1 dotnet test --project HelloAspire.Tests --configuration Release --no-build --results-directory "$results" \
    --report-xunit-trx --report-xunit-trx-filename results.trx || status=$?

leftovers=$( (pgrep -af 'postgres.*helloaspire-test-' || true; ls -d "${TMPDIR:-/tmp}"/helloaspire-test-* 2>/dev/null || true) )
if [ -n "$leftovers" ]; then
    echo "error: the tests left processes or data directories behind:" >&2
    echo "$leftovers" >&2
    status=1
fi

trx="$results/results.trx"
if [ ! -f "$trx" ]; then
    echo "error: no test results were written ($trx)" >&2
    exit 1
fi
counters=$(grep -o '<Counters [^>]*>' "$trx")
passed=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
failed=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
echo "${passed:-0} passed, ${failed:-0} failed"
exit "$status"
