#!/usr/bin/env python3
"""Time-to-hello benchmark: HelloAspire's AppHost against an empty Aspire app and the bare PostgreSQL floor, in one run.

    python3 bench/bench.py [--runs 5] [--seed-mb 100] [--skip-suite] [--warm-only] [--suite-only] [--debug-only] [--container-only]

Prints a table (median/min/max over the runs), the ratios (against the empty Aspire app, bench/.empty-aspire-app: the
same Aspire packages and service defaults, a worker that logs a line and exits; against the floor; and, in the Debug
rows, against the bare app, bench/.bare-postgres-app: the least an app pays to start PostgreSQL before its client), the peak
memory of the AppHost's whole process tree, the first-ever start (a new home: no cache of any kind), the seed-scale
ratio, the test suite's wall time and time per test class, and the time of the tests that existed when issue 14
was filed (bench/issue14-tests.txt), run alone. What is compared runs in alternation (floor, app, floor,
app, ...) and each ratio is the median of the ratios within a round, so a drift of the machine's speed during the
run moves both sides of a ratio alike. Needs what ./test.sh installs; builds Release first
(not timed). Every data directory it makes is its own and is deleted at the end.
"""
import argparse
import atexit
import glob
import json
import os
import pwd
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
APPHOST = os.path.join(ROOT, "HelloAspire.AppHost")
# Aspire's own fixed cost: the same packages, worker launch and run-once exit, no PostgreSQL (bench/.empty-aspire-app).
EMPTY_APPHOST = os.path.join(ROOT, "bench", ".empty-aspire-app", "EmptyAspireApp.AppHost")
HELLO_SEED = os.path.join(ROOT, "seed", "01-hello.sql")
# Container mode's anchor: Aspire's own container as its samples seed it (WithInitFiles), with HelloAspire's worker.
STOCK_CONTAINER_APPHOST = os.path.join(ROOT, "bench", ".stock-container-app", "StockContainerApp.AppHost")
# The least an Aspire app pays to start the host's PostgreSQL before HelloAspire's worker: a plain executable, Aspire's
# Npgsql health check, WaitFor. HelloAspire's warm rows less this app's are what HelloAspire's own hosting costs.
BARE_POSTGRES_APPHOST = os.path.join(ROOT, "bench", ".bare-postgres-app", "BarePostgresApp.AppHost")
# The image and Podman settings ./test.sh gives the container tests (postgres/standin).
STANDIN_IMAGE = "localhost/helloaspire-standin/postgres"
CONTAINER_ENVIRONMENT = {"CONTAINERS_CONF": os.path.join(ROOT, "postgres", "standin", "containers.conf"), "ASPIRE_CONTAINER_RUNTIME": "podman"}
CONTAINER_PASSWORD = "helloaspire-bench-container-password-0123"


def standin_tag():
    """The PostgreSQL tag the stand-in image is built on (postgres/Dockerfile), as ./test.sh reads it."""
    with open(os.path.join(ROOT, "postgres", "Dockerfile")) as f:
        return next(line.split("=", 1)[1].strip() for line in f if line.startswith("ARG POSTGRES_TAG="))


STANDIN_TAG = standin_tag()
ISSUE14_TESTS = os.path.join(ROOT, "bench", "issue14-tests.txt")
AS_ROOT = os.geteuid() == 0


def bindir():
    found = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True).stdout.strip()
    if found and os.path.exists(os.path.join(found, "initdb")):
        return found
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(d.split("/")[-2]))
    if not candidates:
        sys.exit("error: PostgreSQL's server binaries are missing; run ./test.sh once (it installs them).")
    return candidates[-1]


BIN = bindir()


def as_server(cmd):
    """PostgreSQL refuses root: run as 'postgres', exactly as the app does (setpriv, in place)."""
    if not AS_ROOT:
        return cmd
    account = pwd.getpwnam("postgres")
    return ["setpriv", f"--reuid={account.pw_uid}", f"--regid={account.pw_gid}", "--init-groups", "--"] + cmd


def own(path):
    if AS_ROOT:
        account = pwd.getpwnam("postgres")
        os.chown(path, account.pw_uid, account.pw_gid)


def dev_certificate_trusted():
    """Like test.sh: a certificate in .NET's user store (my) that .NET also trusts (root); Aspire hands it to DCP."""
    store = os.path.expanduser("~/.dotnet/corefx/cryptography/x509stores")
    return any(os.path.exists(os.path.join(store, "root", os.path.basename(c))) for c in glob.glob(f"{store}/my/*.pfx"))


def ensure_dev_certificate():
    """Aspire's setup step (not timed): without it DCP generates a TLS key at every start; the 'no dev cert' row shows that cost."""
    if not dev_certificate_trusted():
        print("Trusting the HTTPS development certificate (dotnet dev-certs https --trust, not timed) ...", flush=True)
        status = subprocess.run(["dotnet", "dev-certs", "https", "--trust"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
        if status not in (0, 4):  # 4: trusted by .NET, not yet by OpenSSL tools
            sys.exit(f"error: 'dotnet dev-certs https --trust' failed (exit {status}); run it by hand to see why.")


def new_root():
    root = tempfile.mkdtemp(prefix="helloaspire-bench-")
    os.chmod(root, 0o755)
    return root


def new_root_deleted_at_exit():
    """A new data root for one cold run, deleted when the benchmark ends rather than right after the run. On a
    filesystem without a journal (this machine's ext4), a file created within a minute or so of many deletions costs
    up to 50 times more: the allocator skips recently deleted inodes. Deleting each cold run's thousand files just
    before the next run copied its own made that copy a deletion benchmark (bench/README.md, session 11)."""
    root = new_root()
    atexit.register(shutil.rmtree, root, True)
    return root


class Floor:
    """initdb + start + seed + SELECT with psql, with the app's initdb/auth options and no orchestration."""

    def __init__(self, root):
        self.root = root
        self.data = os.path.join(root, "pgdata")
        self.socket = os.path.join(root, "socket")
        self.env = dict(os.environ, PGPASSWORD="bench-password-0123456789", PGHOST=self.socket, PGPORT="5432", PGUSER="postgres")

    def initdb(self):
        os.makedirs(self.socket, mode=0o700)
        own(self.socket)
        pwfile = os.path.join(self.root, "pwfile")
        with open(pwfile, "w") as f:
            f.write(self.env["PGPASSWORD"] + "\n")
        os.chmod(pwfile, 0o600)
        own(pwfile)
        os.makedirs(self.data, mode=0o700)
        own(self.data)
        subprocess.run(as_server([f"{BIN}/initdb", f"--pgdata={self.data}", "--username=postgres", f"--pwfile={pwfile}",
                                  "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C", "--no-instructions"]),
                       check=True, stdout=subprocess.DEVNULL)
        os.remove(pwfile)

    def start(self):
        subprocess.run(as_server([f"{BIN}/pg_ctl", "-D", self.data, "-w", "-l", os.path.join(self.data, "log"), "start",
                                  "-o", f"-c listen_addresses=127.0.0.1 -c unix_socket_directories={self.socket} -p 5432"]),
                       check=True, stdout=subprocess.DEVNULL)

    def stop(self):
        subprocess.run(as_server([f"{BIN}/pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop"]), check=True, stdout=subprocess.DEVNULL)

    def psql(self, *args, database="postgres"):
        return subprocess.run([f"{BIN}/psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", database, *args],
                              env=self.env, check=True, capture_output=True, text=True).stdout

    def initialize(self):
        """The whole floor script but the SELECT: initdb, start, create the database, run the seed."""
        self.initdb()
        self.start()
        self.psql("-c", "CREATE DATABASE hello")
        self.psql("-f", HELLO_SEED, database="hello")

    def select_hello(self):
        out = self.psql("-tAc", "SELECT message FROM hello ORDER BY id LIMIT 1", database="hello")
        assert out.strip() == "Hello world", out


def timed_select(floor, begin):
    """Times begin (initdb and seed, or a start) and the SELECT of the hello row, then stops the server (not timed)."""
    started = time.perf_counter()
    begin()
    floor.select_hello()
    elapsed = time.perf_counter() - started
    floor.stop()
    return elapsed, None


def floor_cold():
    floor = Floor(new_root_deleted_at_exit())
    return timed_select(floor, floor.initialize)


def prepared_floor():
    root = new_root()
    floor = Floor(root)
    floor.initialize()
    floor.stop()
    return floor


def floor_warm(floor):
    return timed_select(floor, floor.start)


def tree_rss_kib(pid):
    """Resident memory of a process and all its descendants, from /proc."""
    children = {}
    rss = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/status") as f:
                kib = next((int(line.split()[1]) for line in f if line.startswith("VmRSS:")), 0)
        except (FileNotFoundError, ProcessLookupError, StopIteration, PermissionError):
            continue
        children.setdefault(ppid, []).append(int(entry))
        rss[int(entry)] = kib
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        total += rss.get(p, 0)
        stack.extend(children.get(p, []))
    return total


# When the last launch's console showed its expected line (its client's hello), in seconds since the launch: what a
# user sees, before the run-once exit (Aspire reports a client's end only once DCP has closed its log stream).
EXPECTED_LINE_AT = [None]


def launch(project, arguments, expected, environment=None, lines=None, configuration="Release", direct=False):
    """An AppHost as a user launches it (dotnet run, default profile, no build), until it exits with its clients.
    With a list in lines, each console line is added to it with its time since the launch. With direct, the AppHost's
    own program is started with what dotnet run would give it (the launch profile), to show what dotnet run costs."""
    if direct:
        name = os.path.basename(project)
        cmd = [os.path.join(project, "bin", configuration, "net10.0", name), "--RunOnce=true", *arguments]
        environment = dict(environment or os.environ, **launch_profile(project))
    else:
        cmd = ["dotnet", "run", "--project", project, "--configuration", configuration, "--no-build", "--", "--RunOnce=true", *arguments]
    # Neither app asks NuGet for a newer Aspire while it is timed. An app made from Aspire's templates asks once in two
    # days (the date is kept in its user secrets): HelloAspire did so, but the empty app, which has no user secrets,
    # asked on every start, and that made the anchor of every ratio slower (bench/README.md, "Read this first").
    environment = dict(environment or os.environ, ASPIRE_VERSION_CHECK_DISABLED="true")
    peak = [0]
    started = time.perf_counter()
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=environment)
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], tree_rss_kib(process.pid))
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output = ""
    EXPECTED_LINE_AT[0] = None
    for line in process.stdout:
        output += line
        if EXPECTED_LINE_AT[0] is None and expected in line:
            EXPECTED_LINE_AT[0] = time.perf_counter() - started
        if lines is not None:
            lines.append((time.perf_counter() - started, line.rstrip()))
    process.wait()
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    if process.returncode != 0 or expected not in output:
        sys.exit(f"error: {os.path.basename(project)} failed (exit {process.returncode}):\n{output[-3000:]}")
    return elapsed, peak[0]


def launch_profile(project):
    """What dotnet run gives an AppHost from its default (first) launch profile: its variables and its URLs."""
    with open(os.path.join(project, "Properties", "launchSettings.json")) as f:
        name, profile = next(iter(json.load(f)["profiles"].items()))
    return dict(profile.get("environmentVariables", {}), ASPNETCORE_URLS=profile["applicationUrl"], DOTNET_LAUNCH_PROFILE=name,
                DOTNET_ENVIRONMENT="Development", ASPNETCORE_ENVIRONMENT="Development")


def apphost(data_directory, *settings, environment=None, lines=None, configuration="Release", direct=False):
    """HelloAspire's AppHost on the given data, the Node.js client off: the same one worker as the empty Aspire app."""
    return launch(APPHOST, [f"--Postgres:DataDirectory={data_directory}", "--NodeClient:Enabled=false", *settings], "Hello world",
                  dict(os.environ, **(environment or {})), lines, configuration, direct)


def container_app(project, volume_key, *settings):
    """An AppHost whose PostgreSQL runs in a Podman container, on the volume named after volume_key (its AppHostSha)."""
    return launch(project, [f"--Postgres:Image={STANDIN_IMAGE}", f"--AppHostSha={volume_key}", f"--Parameters:postgres-password={CONTAINER_PASSWORD}", *settings],
                  "Hello world", dict(os.environ, **CONTAINER_ENVIRONMENT))


def hello_container(volume_key):
    """HelloAspire in container mode: the seed rule applied on every start, the password in a file."""
    return container_app(APPHOST, volume_key, "--Postgres:Mode=container", "--NodeClient:Enabled=false")


def stock_container(volume_key):
    """The stock app: AddPostgres().WithDataVolume().WithInitFiles(seed/), the same worker."""
    return container_app(STOCK_CONTAINER_APPHOST, volume_key, f"--Postgres:ImageTag={STANDIN_TAG}")


def new_volume_key():
    """A new AppHostSha, so a new volume; Aspire names volumes after its first ten characters."""
    return os.urandom(8).hex()


# How long DCP may take to remove a run's container after the AppHost exits, and how often to look.
CONTAINER_REMOVAL_BOUND_S = 60
CONTAINER_REMOVAL_POLL_S = 0.5


def remove_volumes(volume_key):
    """Removes the volumes of volume_key once no container uses them (DCP removes a run's container after it exits,
    and a volume removed under it can hang Podman). A volume that cannot be removed is said, not fatal."""
    environment = dict(os.environ, **CONTAINER_ENVIRONMENT)
    names = subprocess.run(["podman", "volume", "ls", "--quiet", "--filter", f"name={volume_key[:10]}"], capture_output=True, text=True, env=environment).stdout.split()
    for name in names:
        deadline = time.monotonic() + CONTAINER_REMOVAL_BOUND_S
        while subprocess.run(["podman", "ps", "--all", "--quiet", "--filter", f"volume={name}"], capture_output=True, text=True, env=environment).stdout.strip():
            if time.monotonic() > deadline:
                print(f"  warning: a container still uses the volume {name} after {CONTAINER_REMOVAL_BOUND_S} s; it was left. "
                      f"Fix: podman rm --force it, then podman volume rm {name}.", flush=True)
                break
            time.sleep(CONTAINER_REMOVAL_POLL_S)
        else:
            removed = subprocess.run(["podman", "volume", "rm", name], capture_output=True, text=True, env=environment)
            if removed.returncode != 0:
                print(f"  warning: podman volume rm {name} failed: {removed.stderr.strip()}", flush=True)


def container_cold(run):
    """One start on a new volume, the volume removed afterwards (not timed)."""
    key = new_volume_key()
    try:
        return run(key)
    finally:
        remove_volumes(key)


def container_rows(runs, results, required):
    """Container mode against the stock app, on the stand-in image: a new volume (cold) and a kept one (warm). Without
    Podman or the image, the full run goes on without these rows; --container-only stops."""
    missing = None
    if shutil.which("podman") is None:
        missing = "podman is not installed"
    elif subprocess.run(["podman", "image", "exists", f"{STANDIN_IMAGE}:{STANDIN_TAG}"], env=dict(os.environ, **CONTAINER_ENVIRONMENT)).returncode != 0:
        missing = f"the image {STANDIN_IMAGE}:{STANDIN_TAG} is not in Podman's store"
    if missing:
        message = f"{missing}. Fix: run ./test.sh once (it installs Podman and builds the image), or postgres/standin/build-image.sh."
        if required:
            sys.exit(f"error: {message}")
        print(f"\n  container rows left out: {message}", flush=True)
        return
    print("\n  container mode (Podman, the stand-in image) against the stock AddPostgres().WithInitFiles() app:", flush=True)
    hello_key, stock_key = new_volume_key(), new_volume_key()
    try:
        hello_container(hello_key)
        stock_container(stock_key)
        measure(runs, [("container cold", lambda: container_cold(hello_container)), ("stock cold", lambda: container_cold(stock_container)),
                       ("container warm", lambda: hello_container(hello_key)), ("stock warm", lambda: stock_container(stock_key))], results)
        print(f"  container cold / stock cold = {ratio(results, 'container cold', 'stock cold'):.2f}; "
              f"container warm / stock warm = {ratio(results, 'container warm', 'stock warm'):.2f}")
    finally:
        remove_volumes(hello_key)
        remove_volumes(stock_key)


def empty_app(environment=None):
    """The empty Aspire app, Release: the anchor of the cold and warm ratios, the Debug rows' too."""
    return launch(EMPTY_APPHOST, [], "Hello from the empty Aspire app", environment)


def bare_postgres_app(floor):
    """The bare app, Debug (the only build main() makes of it, for the Debug rows), on the floor's kept cluster
    (stopped), on a free port: the worker says hello, the server stops with it."""
    return launch(BARE_POSTGRES_APPHOST, [f"--Floor:DataDirectory={floor.data}", f"--Floor:SocketDirectory={floor.socket}",
                                          f"--Floor:Port={free_port()}", f"--Floor:BinDirectory={BIN}", f"--Floor:Password={floor.env['PGPASSWORD']}",
                                          f"--Floor:RunAs={'postgres' if AS_ROOT else ''}"], "Hello world", configuration="Debug")


def remove_when_stopped(floor):
    """Deletes a floor's cluster once its server is gone: the bare app's AppHost can exit while DCP still stops it."""
    deadline = time.monotonic() + 30
    while os.path.exists(os.path.join(floor.data, "postmaster.pid")) and time.monotonic() < deadline:
        time.sleep(0.1)
    shutil.rmtree(floor.root)


def app_cold(*settings, environment=None, lines=None, configuration="Release"):
    return apphost(os.path.join(new_root_deleted_at_exit(), "data"), *settings, environment=environment, lines=lines,
                   configuration=configuration)


# Aspire's resource events (state changes, health) at Debug, for the timeline of one cold start, and Aspire's start-up
# lines, which the console leaves out unless asked.
TIMELINE_LOGGING = {
    "Console__ShowAspireLines": "true",
    "Logging__LogLevel__Aspire.Hosting.ApplicationModel.ResourceNotificationService": "Debug",
    "Logging__LogLevel__Aspire.Hosting.Health.ResourceHealthCheckService": "Debug",
}
TIMELINE_EVENTS = [
    (re.compile(r"Distributed application starting"), "AppHost", "starting (after dotnet run and the app model)"),
    (re.compile(r"Resource (\S+?)/\S+ changed state: (?:\S+ -> )?(\w+)$"), None, None),
    (re.compile(r"Resource '(\S+)' is ready\."), None, "healthy"),
    (re.compile(r"Now listening on"), "aspire-dashboard", "listening"),
    (re.compile(r"^\w+: (\S+?)\[1\] .*Hello world"), None, "printed Hello world"),
]


def timeline():
    """One cold start, printed as the first time each resource reached each state."""
    lines = []
    elapsed, _ = app_cold(environment=TIMELINE_LOGGING, lines=lines)
    seen = set()
    print("\n  timeline of one cold start (s since dotnet run):")
    for at, line in lines:
        for pattern, resource, what in TIMELINE_EVENTS:
            match = pattern.search(line)
            if not match:
                continue
            name = resource or match.group(1)
            event = what or match.group(2)
            if (name, event) not in seen:
                seen.add((name, event))
                print(f"    {at:6.2f}  {name:<17} {event}")
    print(f"    {elapsed:6.2f}  AppHost           exited")


def measure(runs, actions, results):
    """Runs the named actions in turn, round after round, so that compared rows share the machine's state of the
    moment (its speed drifts by up to a third within minutes here), then prints each row."""
    for name, _ in actions:
        results[name] = ([], [])
    for _ in range(runs):
        for name, action in actions:
            seconds, peak = action()
            results[name][0].append(seconds)
            if peak:
                results[name][1].append(peak)
    for name, _ in actions:
        values, peaks = results[name]
        print(f"  {name:<18} median {statistics.median(values):6.2f} s  min {min(values):6.2f}  max {max(values):6.2f}"
              + (f"  peak tree RSS {max(peaks) / 1024:6.0f} MiB" if peaks else ""), flush=True)


def ratio(results, name, floor):
    """The median of the ratios of runs made in the same round."""
    return statistics.median(a / b for a, b in zip(results[name][0], results[floor][0]))


def generate_big_seed(path, megabytes):
    """~N MB of pg_dump output (COPY of generated rows), made by a throwaway server, never committed."""
    floor = prepared_floor()
    try:
        floor.start()
        rows = megabytes * 10_000
        floor.psql("-c", "CREATE TABLE big (id bigint PRIMARY KEY, payload text NOT NULL)", database="hello")
        floor.psql("-c", f"INSERT INTO big SELECT g, repeat(md5(g::text), 2) || ' ' || g FROM generate_series(1, {rows}) g", database="hello")
        with open(path, "w") as f:
            subprocess.run([f"{BIN}/pg_dump", "--no-owner", "--table=big", "hello"], env=floor.env, check=True, stdout=f)
        floor.stop()
    finally:
        shutil.rmtree(floor.root)
    return os.path.getsize(path)


def psql_load(path):
    floor = prepared_floor()
    try:
        floor.start()
        started = time.perf_counter()
        floor.psql("-f", path, database="hello")
        elapsed = time.perf_counter() - started
        floor.stop()
        return elapsed, None
    finally:
        shutil.rmtree(floor.root)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def measure_warm(runs, results, no_cert):
    """Kept data, the server started and stopped by each run; and kept running (Postgres:Lifetime=persistent), adopted
    by each run. The kept-running rows use a fixed port, so that Aspire keeps none in the user secrets."""
    warm_floor = prepared_floor()
    kept, persistent = new_root(), new_root()
    persistent_settings = ["--Postgres:Lifetime=persistent", f"--Postgres:Port={free_port()}"]
    try:
        apphost(os.path.join(kept, "data"))
        apphost(os.path.join(persistent, "data"), *persistent_settings)
        measure(runs, [("floor-warm", lambda: floor_warm(warm_floor)), ("warm", lambda: apphost(os.path.join(kept, "data"))),
                       ("empty app (warm)", empty_app),
                       ("warm, Debug", lambda: apphost(os.path.join(kept, "data"), configuration="Debug")),
                       ("warm, kept running", lambda: apphost(os.path.join(persistent, "data"), *persistent_settings)),
                       ("warm, no dev cert", lambda: apphost(os.path.join(kept, "data"), environment=no_cert))], results)
        saved = statistics.median(a - b for a, b in zip(results["warm"][0], results["warm, kept running"][0]))
        print(f"  warm / empty app = {ratio(results, 'warm', 'empty app (warm)'):.2f}   (target <= 1.05); "
              f"warm, Debug / empty app = {ratio(results, 'warm, Debug', 'empty app (warm)'):.2f}   (target <= 1.10)")
        print(f"  warm, kept running / empty app = {ratio(results, 'warm, kept running', 'empty app (warm)'):.2f}; "
              f"the kept-running server saves {saved:.2f} s of a warm start (median of same-round differences)")
    finally:
        # The documented way to stop a kept server: one run without the setting stops it before it starts its own.
        apphost(os.path.join(persistent, "data"), f"--Postgres:Port={persistent_settings[1].split('=')[1]}")
        for root in (kept, persistent, warm_floor.root):
            shutil.rmtree(root)


def first_ever(results):
    """The first start on a machine: a new home (no Aspire state, user secrets, development certificate or DCP key,
    no .NET first-run sentinel, no template cluster) and new data, each app once. Only the packages are shared (NUGET_PACKAGES): they are
    what the build made, not a cache of a run. The OS page cache cannot be dropped here, so files are warm in memory."""
    packages = os.environ.get("NUGET_PACKAGES") or os.path.expanduser("~/.nuget/packages")
    def first_cold(configuration):
        return lambda env: app_cold(f"--Postgres:TemplateDirectory={env['HOME']}/templates", environment=env, configuration=configuration)

    for name, action in (("first-ever cold", first_cold("Release")), ("first-ever cold, Debug", first_cold("Debug")),
                         ("first-ever empty app", empty_app)):
        home = tempfile.mkdtemp(prefix="helloaspire-bench-home-")
        os.chmod(home, 0o711)  # the server account reaches the template cluster made in it
        try:
            env = dict(os.environ, HOME=home, NUGET_PACKAGES=packages, XDG_DATA_HOME=os.path.join(home, ".local", "share"))
            seconds, peak = action(env)
            results[name] = ([seconds], [peak])
            print(f"  {name:<18} {seconds:6.2f} s (one run)  peak tree RSS {peak / 1024:6.0f} MiB", flush=True)
        finally:
            shutil.rmtree(home)


def per_class(trx):
    """Each test class's tests: how many, their summed time, and the span from its first start to its last end."""
    classes = {}
    for match in re.finditer(r'<UnitTestResult [^>]*testName="([^"]+)"[^>]*duration="([^"]+)"[^>]*startTime="([^"]+)"[^>]*endTime="([^"]+)"', open(trx).read()):
        name, duration, start, end = match.groups()
        cls = name.split("(")[0].rsplit(".", 1)[0].rsplit(".", 1)[-1]
        hours, minutes, secs = duration.split(":")
        entry = classes.setdefault(cls, [0, 0.0, start, end])
        entry[0] += 1
        entry[1] += int(hours) * 3600 + int(minutes) * 60 + float(secs)
        entry[2], entry[3] = min(entry[2], start), max(entry[3], end)
    print("\n  per test class (tests, summed test time; they run in parallel, so the sums exceed the wall time):")
    for cls, (count, total, _, _) in sorted(classes.items(), key=lambda kv: -kv[1][1]):
        print(f"    {cls:<36} {count:3d} tests  {total:6.1f} s")


def run_tests(what, filters=()):
    """Runs tests as ./test.sh does; returns the wall time, the results file and their folder (the caller removes it)."""
    started = time.perf_counter()
    results_dir = tempfile.mkdtemp(prefix="helloaspire-bench-suite-")
    # As ./test.sh runs it: the browser and container tests required, not skipped (the tests give Podman the
    # project's settings themselves).
    suite_env = dict(os.environ, HELLOASPIRE_REQUIRE_CONTAINERS="1", HELLOASPIRE_REQUIRE_BROWSER="1")
    # And like ./test.sh, with the tests' temporary data in RAM when /dev/shm is a tmpfs.
    suite_tmp = None
    if "TMPDIR" not in os.environ and os.access("/dev/shm", os.W_OK) and any(line.split()[1:3] == ["/dev/shm", "tmpfs"] for line in open("/proc/mounts")):
        suite_tmp = tempfile.mkdtemp(prefix="helloaspire-tests.", dir="/dev/shm")
        os.chmod(suite_tmp, 0o1777)
        suite_env["TMPDIR"] = suite_tmp
    try:
        suite = subprocess.run(["dotnet", "test", "--project", os.path.join(ROOT, "HelloAspire.Tests"), "-c", "Release", "--no-build",
                                "--results-directory", results_dir, "--report-xunit-trx", "--report-xunit-trx-filename", "suite.trx", *filters],
                               capture_output=True, text=True, env=suite_env)
    finally:
        if suite_tmp:
            shutil.rmtree(suite_tmp)
    wall = time.perf_counter() - started
    trx = os.path.join(results_dir, "suite.trx")
    if suite.returncode != 0:
        with open(os.path.join(results_dir, "suite.log"), "w") as f:
            f.write(suite.stdout + suite.stderr)
        failed = re.findall(r'testName="([^"]+)"[^>]*outcome="Failed"', open(trx).read()) if os.path.exists(trx) else []
        sys.exit(f"error: {what} failed (exit {suite.returncode}), so its time is not reported. Failed: "
                 f"{', '.join(failed) or 'see the log'}. Output and results kept in {results_dir}.")
    return wall, trx, results_dir


def suite_rows():
    """The whole suite with its time per class, then the tests issue 14 counted, alone."""
    wall, trx, results_dir = run_tests("the test suite")
    print(f"\n  test suite: {wall:.1f} s   (target <= 90)")
    per_class(trx)
    shutil.rmtree(results_dir)
    names = [line.strip() for line in open(ISSUE14_TESTS) if line.strip() and not line.startswith("#")]
    wall, trx, results_dir = run_tests("the tests that existed when issue 14 was filed", [arg for name in names for arg in ("--filter-method", f"*.{name}")])
    cases = len(re.findall(r"<UnitTestResult ", open(trx).read()))
    print(f"  the tests that existed when issue 14 was filed ({os.path.relpath(ISSUE14_TESTS, ROOT)}: {len(names)} methods, {cases} cases "
          f"today), alone: {wall:.1f} s   (target <= 45)")
    shutil.rmtree(results_dir)


def dotnet_build(project, configuration):
    return subprocess.run(["dotnet", "build", project, "-c", configuration, "--nologo", "-clp:ErrorsOnly"], capture_output=True, text=True)


def incremental_build(edited):
    """The Debug build that `dotnet run` makes after an edit (the edited file touched, if any): the AppHost built."""
    if edited:
        os.utime(edited)
    started = time.perf_counter()
    build = dotnet_build(APPHOST, "Debug")
    if build.returncode != 0:
        sys.exit(f"error: the Debug build failed (exit {build.returncode}):\n{build.stdout[-4000:]}")
    return time.perf_counter() - started, None


def debug_rows(runs, results):
    """What the README's `dotnet run` (Debug) costs against the Release build and the empty app, what dotnet run itself
    adds, and the Debug inner loop's incremental builds."""
    kept = new_root()
    data = os.path.join(kept, "data")
    bare = prepared_floor()
    hello_at = {}

    def noting_hello(name, action):
        def run():
            result = action()
            hello_at.setdefault(name, []).append(EXPECTED_LINE_AT[0])
            return result
        return name, run

    try:
        apphost(data, configuration="Debug")
        measure(runs, [noting_hello("cold", app_cold), noting_hello("cold, Debug", lambda: app_cold(configuration="Debug")),
                       noting_hello("empty app", empty_app), noting_hello("warm", lambda: apphost(data)),
                       noting_hello("warm, Debug", lambda: apphost(data, configuration="Debug")),
                       ("warm, Debug, direct", lambda: apphost(data, configuration="Debug", direct=True)),
                       noting_hello("empty app (warm)", empty_app),
                       noting_hello("bare app, Debug", lambda: bare_postgres_app(bare))], results)
    finally:
        shutil.rmtree(kept)
        remove_when_stopped(bare)
    print("  to the client's hello on the console (what a user sees, before the run-once exit), median (min-max):")
    for name, times in hello_at.items():
        print(f"  {name:<18} {statistics.median(times):6.2f} s ({min(times):.2f}-{max(times):.2f})")
    for name, anchor in (("cold, Debug", "empty app"), ("warm, Debug", "empty app (warm)"), ("cold", "empty app"), ("warm", "empty app (warm)"),
                         ("bare app, Debug", "empty app (warm)"), ("warm, Debug", "bare app, Debug")):
        print(f"  to the hello: {name} / {anchor} = {statistics.median(a / b for a, b in zip(hello_at[name], hello_at[anchor])):.2f}")
    print(f"  cold, Debug / empty app = {ratio(results, 'cold, Debug', 'empty app'):.2f}   (target <= 1.20); "
          f"cold, Debug / cold = {ratio(results, 'cold, Debug', 'cold'):.2f}")
    print(f"  warm, Debug / empty app = {ratio(results, 'warm, Debug', 'empty app (warm)'):.2f}   (target <= 1.10); "
          f"warm, Debug / warm = {ratio(results, 'warm, Debug', 'warm'):.2f}")
    print(f"  bare app, Debug / empty app = {ratio(results, 'bare app, Debug', 'empty app (warm)'):.2f}   (the least a WaitFor on PostgreSQL costs); "
          f"warm, Debug / bare app, Debug = {ratio(results, 'warm, Debug', 'bare app, Debug'):.2f}")
    saved = statistics.median(a - b for a, b in zip(results["warm, Debug"][0], results["warm, Debug, direct"][0]))
    print(f"  dotnet run's own cost before the AppHost starts (warm, Debug - its program started directly, same round): {saved:.2f} s")
    print("\n  the Debug inner loop: `dotnet build HelloAspire.AppHost -c Debug` after an edit (the file touched)")
    measure(runs, [("build, no edit", lambda: incremental_build(None)),
                   ("build, worker edit", lambda: incremental_build(os.path.join(ROOT, "HelloAspire.Worker", "HelloWorker.cs"))),
                   ("build, AppHost edit", lambda: incremental_build(os.path.join(APPHOST, "AppHost.cs")))], results)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed-mb", type=int, default=100)
    parser.add_argument("--skip-suite", action="store_true")
    parser.add_argument("--warm-only", action="store_true", help="only the warm rows, with and without the kept-running server")
    parser.add_argument("--suite-only", action="store_true", help="only the test suite's rows")
    parser.add_argument("--container-only", action="store_true", help="only container mode against the stock AddPostgres().WithInitFiles() app (Podman)")
    parser.add_argument("--debug-only", action="store_true",
                        help="only the Debug rows (the README's dotnet run), against Release and the empty app, and the Debug inner loop's builds")
    args = parser.parse_args()

    print("Building (Release, and HelloAspire's AppHost in Debug; not timed) ...", flush=True)
    for project, configuration in ((os.path.join(ROOT, "HelloAspire.sln"), "Release"), (EMPTY_APPHOST, "Release"), (STOCK_CONTAINER_APPHOST, "Release"), (APPHOST, "Debug"),
                                   (BARE_POSTGRES_APPHOST, "Debug")):
        build = dotnet_build(project, configuration)
        if build.returncode != 0:
            sys.exit(f"error: the {configuration} build of {project} failed (exit {build.returncode}); fix it first:\n{build.stdout[-4000:]}{build.stderr[-2000:]}")
    ensure_dev_certificate()
    print(f"PostgreSQL binaries: {BIN}; {os.cpu_count()} cores; running as {'root' if AS_ROOT else 'a user'}; trusted dev certificate for DCP")
    results = {}
    no_cert = {"ASPIRE_DCP_USE_DEVELOPER_CERTIFICATE": "false"}
    if args.warm_only:
        measure_warm(args.runs, results, no_cert)
        return
    if args.suite_only:
        suite_rows()
        return
    if args.debug_only:
        debug_rows(args.runs, results)
        return
    if args.container_only:
        container_rows(args.runs, results, required=True)
        return
    app_cold()  # makes the template cluster, if this machine has none yet (not timed)
    measure(args.runs, [("floor-cold", floor_cold), ("cold", app_cold), ("empty app", empty_app),
                        ("cold, Debug", lambda: app_cold(configuration="Debug")),
                        ("cold, initdb", lambda: app_cold("--Postgres:InitTemplate=false")),
                        ("cold, no dev cert", lambda: app_cold(environment=no_cert))], results)
    saved = statistics.median(a - b for a, b in zip(results["cold, initdb"][0], results["cold"][0]))
    print(f"  the template cluster saves {saved:.2f} s of a cold start (median of same-round differences against initdb)")
    measure_warm(args.runs, results, no_cert)
    first_ever(results)

    peak = max(max(p) for _, p in results.values() if p)
    print("\n  ratios: the median of the ratios of the runs made in the same round")
    print(f"  cold / empty app = {ratio(results, 'cold', 'empty app'):.2f}   (target <= 1.10); "
          f"warm / empty app = {ratio(results, 'warm', 'empty app (warm)'):.2f}   (target <= 1.05)")
    print(f"  Debug (dotnet run's own build, the README's command): cold, Debug / empty app = {ratio(results, 'cold, Debug', 'empty app'):.2f}"
          f"   (target <= 1.20); warm, Debug / empty app = {ratio(results, 'warm, Debug', 'empty app (warm)'):.2f}   (target <= 1.10)")
    print(f"  cold / floor-cold = {ratio(results, 'cold', 'floor-cold'):.2f}   (the old target, 2.5)")
    print(f"  warm / floor-warm = {ratio(results, 'warm', 'floor-warm'):.2f}   (the old target, 4)")
    print(f"  without the dev certificate (DCP makes its own TLS key at each start): cold / floor-cold = "
          f"{ratio(results, 'cold, no dev cert', 'floor-cold'):.2f}, warm / floor-warm = {ratio(results, 'warm, no dev cert', 'floor-warm'):.2f}")
    print(f"  peak RSS of the AppHost's process tree (AppHost, DCP, dashboard, postgres, clients): {peak / 1024:.0f} MiB")
    timeline()
    container_rows(args.runs, results, required=False)

    if args.seed_mb > 0:
        seed_dir = tempfile.mkdtemp(prefix="helloaspire-bench-seed-")
        try:
            size = generate_big_seed(os.path.join(seed_dir, "02-big.sql"), args.seed_mb)
            shutil.copy(HELLO_SEED, seed_dir)
            print(f"\n  seed scale: {size / 1e6:.0f} MB pg_dump, {args.seed_mb * 10_000} rows", flush=True)
            measure(args.runs, [("psql -f", lambda: psql_load(os.path.join(seed_dir, "02-big.sql"))), ("cold (again)", app_cold),
                        ("cold+seed", lambda: app_cold(f"--Postgres:SeedDirectory={seed_dir}"))], results)
            extra = statistics.median(seeded - plain for seeded, plain in zip(results["cold+seed"][0], results["cold (again)"][0]))
            print(f"  seed load by the app (cold+seed - cold, same round) / psql -f = {extra / statistics.median(results['psql -f'][0]):.2f}   (target <= 1.1)")
        finally:
            shutil.rmtree(seed_dir)

    if not args.skip_suite:
        suite_rows()


if __name__ == "__main__":
    main()
