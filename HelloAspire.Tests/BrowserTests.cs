using System.Text.RegularExpressions;
using HelloAspire.Tests.Support;
using Microsoft.Playwright;

namespace HelloAspire.Tests;

/// <summary>
/// The Aspire dashboard in headless Chromium, signed in with its login token, as a person would look at it: the
/// screenshots it saves are the README's.
/// </summary>
[Collection(NodeClientRuns.Name)]
public sealed partial class BrowserTests : IAsyncDisposable
{
    /// <summary>Set by ./test.sh (and so CI), where a missing Chromium fails this test; elsewhere it is skipped with the fix.</summary>
    public const string RequireBrowserVariable = "HELLOASPIRE_REQUIRE_BROWSER";

    private const string ChromiumPath = "/usr/bin/chromium";
    // The whole look, from the AppHost's start to psql's answer. Alone it takes well under a minute; inside the suite,
    // which runs several apps at once on two cores, it is several times slower (a page once took over 30 s to show a log
    // line), and passing suite runs came within seconds of an earlier, tighter bound. This bound is for a hang.
    private static readonly TimeSpan s_runTimeout = TimeSpan.FromSeconds(300);
    private const float PageTimeoutMs = 60_000;
    // How often one wait or navigation may reload the page after a network change before it fails.
    private const int MaxReloads = 5;
    // A click on a menu item that showed nothing after this long, with the menu still open, was lost: clicked again,
    // up to this many clicks in all.
    private static readonly TimeSpan s_lostClickBound = TimeSpan.FromSeconds(10);
    private const int MaxMenuClicks = 3;
    // psql's prompt and answer in the dock, which connects to the AppHost's terminal over its own socket.
    private static readonly TimeSpan s_terminalTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_terminalPollInterval = TimeSpan.FromMilliseconds(250);

    private readonly TemporaryDirectory _data = new();

    [Fact]
    public async Task TheDashboardShowsTheResourcesTheHelloLineBothClientsTracesResetsTheDataAfterAConfirmationAndOpensPsql()
    {
        RequireChromium();
        var ct = TestContext.Current.CancellationToken;
        using var timeout = HelloApp.Timeout(s_runTimeout, ct);
        // DetailedErrors reaches the dashboard (DCP starts it with the AppHost's environment): a circuit that ends in an
        // unhandled exception then names it in the browser's console, which a failure here reports.
        await NodeClientRuns.EnsureInstalledAsync(ct);
        using var appHost = AppHostProcess.Start(HelloApp.LocalMode(_data.Path, "--NodeClient:Enabled=true"), new Dictionary<string, string> { ["DetailedErrors"] = "true" });
        var console = new AppHostConsole(appHost);
        try
        {
            await LookAtTheDashboardAsync(console, _data.Path, timeout.Token);
        }
        finally
        {
            await AppHostProcess.StopAsync(appHost, console, s_runTimeout);
        }

        Assert.Null(HelloApp.PostmasterPid(_data.Path));
    }

    /// <summary>The server itself (its own port, from postmaster.pid), with the tests' password: for a look at the data.</summary>
    private static string ServerConnectionString(string dataDirectory) =>
        $"Host=127.0.0.1;Port={PostmasterPidFile.ReadPort(Path.Combine(dataDirectory, "pgdata", "postmaster.pid"))};Username=postgres;Password={HelloApp.TestPassword};Database=hello";

    private static async Task LookAtTheDashboardAsync(AppHostConsole console, string dataDirectory, CancellationToken cancellationToken)
    {
        // When each step began: a run that is slow or runs out of time shows where its time went, in CI's log alone.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var steps = new System.Collections.Concurrent.ConcurrentQueue<string>();
        FailureReport.Current?.Add("The browser's steps, each with when it began", () => string.Join(Environment.NewLine, steps));
        Step("waiting for the worker's first run to end");
        var login = AppHostProcess.LoginUrl(await console.WaitForWorkerToEndAsync(cancellationToken));
        Step("the worker ended; starting Chromium");

        Assert.NotNull(login);
        var screenshots = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "screenshots")).FullName;
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = ChromiumPath,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1600, Height = 1000 } });
        page.SetDefaultTimeout(PageTimeoutMs);
        // What the browser itself says (script errors, failed requests, a lost circuit): a blank page has no text to show.
        var browserLog = new System.Collections.Concurrent.ConcurrentQueue<string>();
        page.Console += (_, message) => browserLog.Enqueue($"console {message.Type}: {message.Text}");
        page.PageError += (_, error) => browserLog.Enqueue($"page error: {error}");
        // Container mode's tests add and remove bridge networks on this host while this test runs. Chromium then fails
        // the requests in flight with net::ERR_NETWORK_CHANGED: a page without its scripts stays blank. A user reloads.
        var networkChanged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        page.RequestFailed += (_, request) =>
        {
            browserLog.Enqueue($"request failed: {request.Method} {request.Url} ({request.Failure})");
            if (IsNetworkChange(request.Failure))
            {
                networkChanged.TrySetResult();
            }
        };
        var dashboard = login.GetLeftPart(UriPartial.Authority);
        var circuitReloaded = false;

        await GoToAsync(login.ToString());
        await SeesAsync("resources.png", Row(page, "postgres").GetByText("Running"), Row(page, "worker").GetByText("Finished"), Row(page, "node-client").GetByText("Finished"));
        Assert.Equal(0, await Row(page, "postgres").GetByText("Unhealthy").CountAsync());
        Assert.Equal(0, await Row(page, "node-client-install").CountAsync()); // hidden once it has completed
        await Screenshot(page, screenshots, "resources.png");

        // reset-data from the postgres row's actions: a confirmation that names the data, then the clients say hello again,
        // from data seeded afresh: a row changed before the reset is back as the seed wrote it.
        var server = ServerConnectionString(dataDirectory);
        await ServerCommands.ExecuteSqlAsync(server, "UPDATE hello SET message = 'changed before the reset'", cancellationToken);
        var worker = console.Lines.Count(line => line.Contains("worker ended: Finished, exit code 0.", StringComparison.Ordinal));
        await Row(page, "postgres").GetByRole(AriaRole.Button, new() { Name = "Actions" }).ClickAsync();
        var resetData = page.GetByRole(AriaRole.Menuitem, new() { Name = "Reset data" });
        await SeesAsync("reset-data.png", resetData);
        await Screenshot(page, screenshots, "reset-data.png");
        // A click on the menu item is sometimes lost on a busy machine: the item shows as hovered, the menu stays open and
        // no dialog comes (a failed suite run's screenshot). A person clicks again; so does the test, while the menu is open.
        var confirmation = page.GetByText("Delete every database and row in");
        Step("clicking 'Reset data'");
        await resetData.ClickAsync();
        for (var click = 1; click < MaxMenuClicks && !await ShowsWithinAsync(confirmation, s_lostClickBound) && await resetData.IsVisibleAsync(); click++)
        {
            TestContext.Current.TestOutputHelper?.WriteLine($"The click on 'Reset data' showed no confirmation within {s_lostClickBound.TotalSeconds} s, and the menu is still open: clicking again.");
            await resetData.ClickAsync();
        }

        await SeesAsync("reset-data-confirmation.png", confirmation);
        await Screenshot(page, screenshots, "reset-data-confirmation.png");
        await page.GetByText("Yes", new() { Exact = true }).ClickAsync();
        Step("confirmed the reset; waiting for the worker's second run to end");
        await console.WaitForLineAsync(line => line.Contains("worker ended: Finished, exit code 0.", StringComparison.Ordinal), worker + 1, cancellationToken);
        Assert.Equal("Hello world", await ServerCommands.ScalarAsync<string>(ServerConnectionString(dataDirectory), "SELECT message FROM hello WHERE id = 1", cancellationToken));

        await ShowsAsync("consolelogs/resource/worker", "console-worker.png", page.GetByText("Hello world").First);
        await ShowsAsync("structuredlogs", "structured-logs.png", page.GetByText("Hello world").First);
        await ShowsAsync("metrics/resource/worker", "metrics.png", page.GetByText("Npgsql").First);
        // The database's spans belong to the same trace: the query runs inside the worker's span. The Node.js client's
        // query is a trace of its own (index.js, the tutorial's file, has no span around it).
        await ShowsAsync("traces", "traces.png", page.GetByText("worker: read hello row").First, page.GetByText(DatabaseSpans()).First,
            page.GetByText("node-client: pg.query:SELECT hello").First);

        // psql from the postgres row's actions: a tab in the terminal dock, signed in on hello, and the tutorial's query.
        await GoToAsync(login.ToString());
        await SeesAsync("psql-menu.png", Row(page, "postgres").GetByText("Running"));
        await Row(page, "postgres").GetByRole(AriaRole.Button, new() { Name = "Actions" }).ClickAsync();
        var psql = page.GetByRole(AriaRole.Menuitem, new() { Name = "psql", Exact = true });
        await SeesAsync("psql-menu.png", psql);
        Step("clicking 'psql'");
        await psql.ClickAsync();
        await SeesAsync("psql-console.png", page.GetByRole(AriaRole.Tab, new() { Name = "psql (hello)", Exact = true }));
        await WaitForTerminalTextAsync("hello=#");
        Step("typing the query");
        await page.Locator(".terminal-dock-pane.active").GetByRole(AriaRole.Textbox).First.PressSequentiallyAsync("SELECT message FROM hello;");
        await page.Keyboard.PressAsync("Enter");
        await WaitForTerminalTextAsync("(1 row)");
        Assert.Contains("Hello world", await TerminalTextAsync());
        await Screenshot(page, screenshots, "psql-console.png");

        // The dock draws the terminal on a canvas: its text comes from the dashboard's own terminal module.
        async Task<string> TerminalTextAsync() => await page.EvaluateAsync<string>(
            """
            async () => {
              const view = await import('/Components/Controls/TerminalView.razor.js');
              return view.getTerminalSnapshot(document.querySelector('.terminal-dock-pane.active .terminal-container'))?.screenText ?? '';
            }
            """);

        // Ends at its own bound or at the test's, whichever comes first, and then says what the tab showed.
        async Task WaitForTerminalTextAsync(string text)
        {
            Step($"waiting for psql's '{text}'");
            var waited = System.Diagnostics.Stopwatch.StartNew();
            string screen;
            while (!(screen = await TerminalTextAsync()).Contains(text, StringComparison.Ordinal))
            {
                if (waited.Elapsed > s_terminalTimeout || cancellationToken.IsCancellationRequested)
                {
                    var bound = cancellationToken.IsCancellationRequested ? $"before the test's {s_runTimeout.TotalSeconds} s ran out" : $"within {s_terminalTimeout.TotalSeconds} s";
                    await Screenshot(page, screenshots, "failed-psql-console.png");
                    Assert.Fail($"The psql tab did not show '{text}' {bound} (it waited {waited.Elapsed.TotalSeconds:F0} s; failed-psql-console.png in {screenshots}). Its screen:{Environment.NewLine}{screen}" +
                        $"{Environment.NewLine}The browser's messages, last 30:{Environment.NewLine}{string.Join(Environment.NewLine, browserLog.TakeLast(30))}");
                }

                // Cancellation ends the pause early; the check above then reports the screen.
                await Task.Delay(s_terminalPollInterval, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }

        void Step(string what) => steps.Enqueue(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{clock.Elapsed.TotalSeconds,6:F1} s: {what}"));

        // Opens a dashboard page, waits until it shows each of these, then keeps a screenshot of it for the README.
        async Task ShowsAsync(string path, string screenshot, params ILocator[] shown)
        {
            await GoToAsync($"{dashboard}/{path}");
            await SeesAsync(screenshot, shown);
            await Screenshot(page, screenshots, screenshot);
        }

        // Waits until the page shows each of these; if it never does, what it showed instead (a screenshot, failed-<name>,
        // and its text) goes into the failure: an intermittent timeout here has to be read from the failed run itself.
        async Task SeesAsync(string screenshot, params ILocator[] shown)
        {
            Step($"waiting for {page.Url} to show what {screenshot} needs");
            foreach (var locator in shown)
            {
                try
                {
                    await WaitOrReloadAsync(locator);
                }
                catch (TimeoutException ex)
                {
                    await Screenshot(page, screenshots, $"failed-{screenshot}");
                    var text = await page.InnerTextAsync("body");
                    var html = await page.ContentAsync();
                    throw new TimeoutException(
                        $"{ex.Message}{Environment.NewLine}The page {page.Url} (failed-{screenshot} in {screenshots}) showed:{Environment.NewLine}{text[..Math.Min(text.Length, 3000)]}" +
                        $"{Environment.NewLine}Its HTML ({html.Length} characters) begins:{Environment.NewLine}{html[..Math.Min(html.Length, 1500)]}" +
                        $"{Environment.NewLine}The browser's messages, last 30:{Environment.NewLine}{string.Join(Environment.NewLine, browserLog.TakeLast(30))}", ex);
                }
            }
        }

        // Reloads only after a network change (container mode's tests add and remove bridge networks while this one
        // runs; Chromium then fails the requests in flight, and a page without its scripts stays blank). A page whose
        // circuit ended ("An unhandled error has occurred. Reload") is reloaded once per test, and said in the test's
        // output; a second end fails the wait. The wait's own timeout bounds it all.
        async Task WaitOrReloadAsync(ILocator locator)
        {
            var circuitEnded = page.Locator("#blazor-error-ui:visible");
            var shown = locator.Or(circuitEnded).First.WaitForAsync();
            for (var reloads = 0; reloads < MaxReloads; reloads++)
            {
                // A network change since this page's navigation counts (its scripts may have failed to load); once the
                // page has shown what was awaited, an earlier one no longer does.
                if (await Task.WhenAny(shown, networkChanged.Task) == shown)
                {
                    await shown;
                    if (await circuitEnded.IsVisibleAsync() && !await locator.IsVisibleAsync())
                    {
                        // The dashboard's own error ended its circuit (a suite run showed Blazor's Virtualize using a
                        // disposed object reference in Aspire's dashboard). Its page says "Reload", and a person does so,
                        // once: a second end in one test fails it, with the browser's messages.
                        Assert.False(circuitReloaded,
                            $"{page.Url}: the dashboard's circuit ended (\"An unhandled error has occurred\"), again after a reload. The browser's last messages:{Environment.NewLine}{string.Join(Environment.NewLine, browserLog.TakeLast(10))}");
                        circuitReloaded = true;
                        await ReloadAsync("the dashboard's circuit ended (\"An unhandled error has occurred\")");
                        shown = locator.Or(circuitEnded).First.WaitForAsync();
                        continue;
                    }

                    networkChanged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    return;
                }

                if (await page.Locator("header").First.IsVisibleAsync())
                {
                    // The dashboard has rendered (its scripts ran): a reload would only undo what the test did (an open menu).
                    networkChanged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }
                else
                {
                    // The wait goes on over the reloaded page: a locator is looked up afresh each time.
                    await ReloadAsync("the browser's requests failed with net::ERR_NETWORK_CHANGED");
                }
            }

            await shown;
            await locator.WaitForAsync();
        }

        async Task ReloadAsync(string reason)
        {
            TestContext.Current.TestOutputHelper?.WriteLine(
                $"{page.Url}: {reason}; reloaded. The browser's last messages:{Environment.NewLine}{string.Join(Environment.NewLine, browserLog.TakeLast(5))}");
            await GoToAsync(page.Url);
        }

        // A navigation that itself fails with a network change is made again, up to MaxReloads times.
        async Task GoToAsync(string url)
        {
            Step($"opening {url}");
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    networkChanged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    await page.GotoAsync(url);
                    return;
                }
                catch (PlaywrightException ex) when (IsNetworkChange(ex.Message) && attempt < MaxReloads)
                {
                    TestContext.Current.TestOutputHelper?.WriteLine($"{url}: {ex.Message.Split('\n')[0]}; navigating again.");
                }
            }
        }
    }

    /// <summary>Whether the page shows this within the bound; false when it does not (yet).</summary>
    private static async Task<bool> ShowsWithinAsync(ILocator locator, TimeSpan bound)
    {
        try
        {
            await locator.WaitForAsync(new() { Timeout = (float)bound.TotalMilliseconds });
            return true;
        }
        catch (TimeoutException)
        {
            return false; // the caller decides what a page that did not show it means
        }
    }

    private static bool IsNetworkChange(string? failure) => failure?.Contains("ERR_NETWORK_CHANGED", StringComparison.Ordinal) == true;

    /// <summary>A screenshot for the README, with animations finished (a dialog still fading in would look greyed out).</summary>
    private static async Task Screenshot(IPage page, string directory, string name) =>
        await page.ScreenshotAsync(new() { Path = Path.Combine(directory, name), Animations = ScreenshotAnimations.Disabled });

    /// <summary>A plain <c>dotnet test</c> without Chromium skips this test and says how to get it; ./test.sh requires it.</summary>
    private static void RequireChromium()
    {
        if (File.Exists(ChromiumPath))
        {
            return;
        }

        var reason = $"Chromium is not installed ({ChromiumPath}). Fix: sudo apt-get install chromium (Debian), or run ./test.sh, which installs it.";
        if (Environment.GetEnvironmentVariable(RequireBrowserVariable) == "1")
        {
            Assert.Fail(reason);
        }

        Assert.Skip(reason);
    }

    /// <summary>The Resources grid's row whose name cell is <paramref name="resource"/> (the first: a child may name it as its source).</summary>
    private static ILocator Row(IPage page, string resource) =>
        page.GetByRole(AriaRole.Row).Filter(new() { Has = page.GetByText(resource, new() { Exact = true }) }).First;

    [GeneratedRegex(@"hello\s*\(\d+\)")]
    private static partial Regex DatabaseSpans();

    public async ValueTask DisposeAsync()
    {
        await FailureReport.WriteIfFailedAsync();
        _data.Dispose();
    }
}
