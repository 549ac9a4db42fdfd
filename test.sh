#!/usr/bin/env bash
# Runs HelloAspire's tests on a fresh machine: installs what they need (PostgreSQL's server binaries, Node.js,
# Chromium for the dashboard's browser test, lldb and SOS for the Debug worker's debugger test, Podman and a stand-in
# PostgreSQL image for container mode's tests, a trusted HTTPS development certificate), builds, runs every test, checks that nothing was left behind (processes,
# directories, containers, volumes, images), and ends with "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")"

say() { printf '==> %s\n' "$*"; }

# The folder of PostgreSQL's server binaries: pg_config's, else Debian's newest; nothing when there are none.
postgres_bindir() {
    local bindir
    if command -v pg_config >/dev/null && bindir=$(pg_config --bindir 2>/dev/null) && [ -x "$bindir/initdb" ]; then
        echo "$bindir"
        return
    fi
    compgen -G '/usr/lib/postgresql/*/bin/initdb' | sort -V | tail -1 | xargs -r dirname
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

# Runs a program the tests rely on, once, right after its install step: one that does not run stops here with one
# line that names its package, instead of failing later inside another tool (podman's netavark without iptables).
require() {
    local package=$1 output
    shift
    if ! output=$("$@" 2>&1 </dev/null); then
        echo "error: '$*' does not run ($(tail -n 1 <<<"$output")). Fix: install the Debian package $package (apt-get install --no-install-recommends $package), then run ./test.sh again." >&2
        exit 1
    fi
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
[ -n "$(postgres_bindir)" ] || install_postgres_binaries
bindir=$(postgres_bindir)
for tool in postgres initdb psql; do
    require postgresql "$bindir/$tool" --version
done
{ command -v node && command -v npm; } >/dev/null ||
    apt_install "Node.js" "The node-client tests run it: install Node.js 20 or later with npm." nodejs npm
require nodejs node --version
require npm npm --version
[ -x /usr/bin/chromium ] ||
    apt_install "Chromium" "The dashboard's browser test drives /usr/bin/chromium: install it (Debian: sudo apt-get install chromium)." chromium
require chromium /usr/bin/chromium --version
# The tests trace every program a run starts, to prove that no command line carries the password.
command -v strace >/dev/null ||
    apt_install "strace" "The tests trace the programs a run starts with it: install strace." strace
require strace strace -V
# The Debug worker's test stops it at a breakpoint with lldb and SOS (SOS comes with the dotnet-dump tool in dotnet-tools.json).
command -v lldb >/dev/null ||
    apt_install "lldb" "The Debug worker's debugger test runs it: install lldb." lldb
require lldb lldb --version

# Container mode's tests run through DCP and a container runtime on a PostgreSQL image. By default: Podman and the
# stand-in image built here (no registry needed). With a working Docker or Podman and a reachable registry, run them
# on the official image instead: ASPIRE_CONTAINER_RUNTIME=docker HELLOASPIRE_TEST_POSTGRES_IMAGE=docker.io/library/postgres ./test.sh
export ASPIRE_CONTAINER_RUNTIME=${ASPIRE_CONTAINER_RUNTIME:-podman}
export HELLOASPIRE_TEST_POSTGRES_IMAGE=${HELLOASPIRE_TEST_POSTGRES_IMAGE:-localhost/helloaspire-standin/postgres}
standin=localhost/helloaspire-standin/postgres
runtime=$ASPIRE_CONTAINER_RUNTIME
if [ "$runtime" = podman ]; then
    # Podman's network stack is netavark with aardvark-dns, and netavark runs iptables for every container network.
    podman_packages=(podman runc netavark aardvark-dns iptables)
    { command -v podman && command -v runc && command -v iptables && compgen -G '/usr/lib*/podman/netavark' && compgen -G '/usr/lib*/podman/aardvark-dns'; } >/dev/null ||
        apt_install "Podman" "Container mode's tests run containers with it: install ${podman_packages[*]} (or set ASPIRE_CONTAINER_RUNTIME=docker)." "${podman_packages[@]}"
    # The project's Podman settings (runc, ulimits within the host's limits, netavark), for this script's processes only; the
    # machine's own configuration is left as it is. A CONTAINERS_CONF of your own is kept.
    export CONTAINERS_CONF=${CONTAINERS_CONF:-$PWD/postgres/standin/containers.conf}
    require iptables iptables --version
    require runc runc --version
    require netavark "$(compgen -G '/usr/lib*/podman/netavark' | head -1)" --version
    require aardvark-dns "$(compgen -G '/usr/lib*/podman/aardvark-dns' | head -1)" --version
fi
command -v "$runtime" >/dev/null || { echo "error: ASPIRE_CONTAINER_RUNTIME is $runtime, which is not installed. Install it, or leave the variable unset for Podman." >&2; exit 1; }
require "$runtime" "$runtime" info
if [ "$HELLOASPIRE_TEST_POSTGRES_IMAGE" = "$standin" ]; then
    command -v debootstrap >/dev/null ||
        apt_install "debootstrap" "The stand-in PostgreSQL image is built from Debian packages with it: install debootstrap, or set HELLOASPIRE_TEST_POSTGRES_IMAGE to an image your runtime can pull." debootstrap
    require debootstrap debootstrap --version
    say "Container image $standin (built once, then cached; postgres/standin)"
    postgres/standin/build-image.sh >/dev/null
    # A throwaway container on the runtime's default network: what every container test needs (netavark, iptables, runc).
    require "$runtime" "$runtime" run --rm --pull=never "$standin:$(sed -n 's/^ARG POSTGRES_TAG=//p' postgres/Dockerfile)" postgres --version
fi

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

say "Restoring the Aspire CLI and dotnet-dump, which brings SOS (dotnet-tools.json)"
dotnet tool restore >/dev/null

say "Building"
dotnet build HelloAspire.sln --configuration Release -warnaserror --nologo -clp:ErrorsOnly
# The README's `dotnet run` builds the AppHost in Debug, whose worker starts from a launch folder of its own
# (Directory.Build.targets): built here too, and DebugLaunchOutputTests runs it.
dotnet build HelloAspire.AppHost --configuration Debug -warnaserror --nologo -clp:ErrorsOnly

say "Testing"
# The tests make dozens of new clusters of about a thousand files each, and on disk each file costs kernel time
# (bench/README.md). So their temporary data (and everything else the suite puts in TMPDIR) goes to RAM when
# /dev/shm is a tmpfs, in a directory of this run's own, removed at the end.
# A TMPDIR of your own is kept. bench/bench.py measures the app on disk.
if [ -z "${TMPDIR:-}" ] && [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] && [ -w /dev/shm ]; then
    TMPDIR=$(mktemp -d /dev/shm/helloaspire-tests.XXXXXX)
    chmod 1777 "$TMPDIR" # like /tmp: the server account must reach the tests' data directories in it
    export TMPDIR
    trap 'rm -rf "$TMPDIR"' EXIT
    own_tmpdir=1
fi
results=TestResults
rm -rf "$results"
status=0
# The developer's own user secrets (the generated password their data was made with) must come out untouched.
secrets_id=$(sed -n 's:.*<UserSecretsId>\(.*\)</UserSecretsId>.*:\1:p' HelloAspire.AppHost/HelloAspire.AppHost.csproj)
secrets_file=$HOME/.microsoft/usersecrets/$secrets_id/secrets.json
secrets_hash() { { cat "$secrets_file" 2>/dev/null || true; } | sha256sum; }
secrets_before=$(secrets_hash)
containers_before=$("$runtime" ps --all --quiet | sort)
volumes_before=$("$runtime" volume ls --quiet | sort)
# The hosting library's own tests first: bare builders, no process started.
dotnet test --project HelloAspire.Hosting.Tests --configuration Release --no-build --results-directory "$results" \
    --report-xunit-trx --report-xunit-trx-filename hosting.trx || status=$?
# Here the browser and container tests must run: without Chromium or the image they fail instead of skipping (as a
# plain `dotnet test` lets them).
HELLOASPIRE_REQUIRE_BROWSER=1 HELLOASPIRE_REQUIRE_CONTAINERS=1 dotnet test --project HelloAspire.Tests --configuration Release --no-build --results-directory "$results" \
    --report-xunit-trx --report-xunit-trx-filename results.trx || status=$?

# DCP removes an app's containers, and then stops, a moment after its AppHost has stopped. Each DCP of this run keeps
# its kubeconfig in the run's own TMPDIR, which tells them from DCPs of apps running outside the tests.
new_containers() { comm -13 <(echo "$containers_before") <("$runtime" ps --all --quiet | sort); }
run_dcps() { [ -z "${own_tmpdir:-}" ] || pgrep -af -- "--kubeconfig $TMPDIR/" || true; }
for _ in $(seq 20); do
    [ -z "$(new_containers)" ] && [ -z "$(run_dcps)" ] && break
    sleep 1
done
# In this run's own TMPDIR, the apps' throwaway data (helloaspire-<id>) and its servers count too.
servers='postgres.*helloaspire-test-'
[ -z "${own_tmpdir:-}" ] || servers="postgres.*($TMPDIR/|helloaspire-test-)"
leftovers=$( (pgrep -af "$servers" || true
    ls -d "${TMPDIR:-/tmp}"/helloaspire-test-* "$HOME"/.microsoft/usersecrets/helloaspire-test-* 2>/dev/null || true
    [ -z "${own_tmpdir:-}" ] || ls -d "$TMPDIR"/helloaspire-[0-9a-f]* 2>/dev/null || true
    run_dcps
    new_containers | sed "s/^/$runtime container /"
    comm -13 <(echo "$volumes_before") <("$runtime" volume ls --quiet | sort) | sed "s/^/$runtime volume /"
    "$runtime" images --quiet --filter reference='localhost/helloaspire-test/*' | sed "s/^/$runtime image /"
    [ "$(secrets_hash)" = "$secrets_before" ] || echo "changed: the AppHost's user secrets ($secrets_file)") )
if [ -n "$leftovers" ]; then
    echo "error: the tests left processes or data directories behind:" >&2
    echo "$leftovers" >&2
    status=1
fi

trx_files=("$results/hosting.trx" "$results/results.trx")
for trx in "${trx_files[@]}"; do
    if [ ! -f "$trx" ]; then
        echo "error: no test results were written ($trx)" >&2
        exit 1
    fi
done
# Each failed test whole (its error and everything it saw: consoles, resource states and logs), the skipped ones and
# why, then "N passed, N failed". The results files stay for a closer look.
echo "Test results: ${trx_files[*]}"
python3 HelloAspire.Tests/summarize-results.py "${trx_files[@]}" || status=1
exit "$status"
