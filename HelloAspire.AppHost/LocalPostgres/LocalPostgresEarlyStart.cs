using System.Runtime.Versioning;
using Microsoft.Extensions.Hosting;

namespace HelloAspire.AppHost.LocalPostgres;

/// <summary>
/// Prepares each local server's first start (initdb, seed) as soon as the AppHost's host starts, in parallel with
/// DCP and the dashboard, instead of after them. <see cref="IHostedLifecycleService.StartingAsync"/> runs before any
/// hosted service starts, and only for a host that really starts.
/// </summary>
[UnsupportedOSPlatform("windows")]
internal sealed class LocalPostgresEarlyStart(DistributedApplicationModel model, IServiceProvider services, IHostApplicationLifetime lifetime)
    : IHostedLifecycleService
{
    private static readonly TimeSpan s_stopWait = TimeSpan.FromSeconds(30);

    public Task StartingAsync(CancellationToken cancellationToken)
    {
        foreach (var server in model.Resources.OfType<LocalPostgresServerResource>())
        {
            var start = LocalPostgresBuilderExtensions.NewStart(server, services);
            server.EarlyStart = (start, start.PrepareAsync(firstStart: true, lifetime.ApplicationStopping));
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// An AppHost stopped during the preparation must not return while initdb still writes; a running server gets a
    /// fast shutdown instead of outliving its AppHost until DCP notices; then the AppHost lets go of the data.
    /// </summary>
    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        foreach (var server in model.Resources.OfType<LocalPostgresServerResource>())
        {
            if (server.EarlyStart is { Prepared: { } prepared })
            {
                // A failed preparation was already reported on the resource's log and the console.
                await Task.WhenAny(prepared, Task.Delay(s_stopWait, CancellationToken.None));
            }

            if (server.DataLock is not null)
            {
                server.Data.StopServer(s_stopWait);
                server.DataLock.Dispose();
            }
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
