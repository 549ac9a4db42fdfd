using System.Net;
using HelloAspire.Tests.Support;

namespace HelloAspire.Tests;

/// <summary>The real AppHost with its dashboard: the dashboard needs its login token, and the console never shows the password.</summary>
public sealed class DashboardTests : IAsyncDisposable
{
    private const string Password = "Dashboard-Test-Password-Never-Printed-7";
    private static readonly TimeSpan s_runTimeout = TimeSpan.FromSeconds(90);

    private readonly TemporaryDirectory _data = new();

    [Fact]
    public async Task TheDashboardTurnsAwayAnonymousRequestsAndTheConsoleNeverShowsThePassword()
    {
        var ct = TestContext.Current.CancellationToken;
        using var timeout = HelloApp.Timeout(s_runTimeout, ct);

        using var appHost = AppHostProcess.Start(HelloApp.LocalModeWithPassword(_data.Path, Password));
        var console = new AppHostConsole(appHost);
        try
        {
            var login = AppHostProcess.LoginUrl(await console.WaitForWorkerToEndAsync(timeout.Token));
            Assert.NotNull(login);
            using var handler = new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true };
            using var http = new HttpClient(handler) { BaseAddress = new Uri(login.GetLeftPart(UriPartial.Authority)) };

            using var anonymous = await http.GetAsync("/", timeout.Token);
            Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
            var location = anonymous.Headers.Location!;
            Assert.StartsWith("/login", location.IsAbsoluteUri ? location.PathAndQuery : location.OriginalString);

            using var signedIn = await http.GetAsync(login.PathAndQuery, timeout.Token);
            using var afterLogin = await http.GetAsync("/", timeout.Token);
            Assert.Equal(HttpStatusCode.OK, afterLogin.StatusCode);
        }
        finally
        {
            // SIGTERM: the AppHost stops its server, then exits.
            await AppHostProcess.StopAsync(appHost, console, s_runTimeout);
        }

        await console.Reading.WaitAsync(timeout.Token);
        Assert.Null(HelloApp.PostmasterPid(_data.Path));
        Assert.DoesNotContain(console.Lines, line => line.Contains(Password, StringComparison.Ordinal));
        Assert.DoesNotContain(Password, await console.Errors.WaitAsync(timeout.Token));
    }

    public async ValueTask DisposeAsync()
    {
        await FailureReport.WriteIfFailedAsync();
        _data.Dispose();
    }
}
