using System.Runtime.Versioning;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging.Abstractions;

using HelloAspire.Hosting.LocalPostgres.Cluster;
using HelloAspire.Hosting.PostgreSQL;

namespace HelloAspire.Hosting.LocalPostgres.Lifecycle;

/// <summary>
/// Healthy when this start has finished (server ready, seed applied) and the server answers over TCP with the
/// configured password. It reacts to readiness instead of waiting for Aspire's next health poll.
/// </summary>
[UnsupportedOSPlatform("windows")]
internal sealed class LocalPostgresHealthCheck(LocalPostgresServerResource server, LocalPostgresRuntime runtime) : IHealthCheck
{
    private static readonly TimeSpan s_readinessWait = TimeSpan.FromSeconds(10);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (runtime.CurrentStart(server) is not { } start)
        {
            return HealthCheckResult.Unhealthy("The server has not been started.");
        }

        try
        {
            await start.Ready.WaitAsync(s_readinessWait, cancellationToken);
        }
        catch (TimeoutException)
        {
            return HealthCheckResult.Unhealthy("The server is still starting.");
        }
        catch (Exception ex) when (start.Ready.IsFaulted)
        {
            return HealthCheckResult.Unhealthy(ex.Message, ex);
        }

        // Over TCP, as the clients connect, with the password they are given.
        var target = new PsqlTarget(
            Loopback.Address,
            server.PrimaryEndpoint.Port,
            await server.PasswordParameter.GetValueAsync(cancellationToken) ?? "",
            "postgres");
        var result = await Psql.RunAsync(server, target, ["--quiet", "--output=/dev/null", "--command=SELECT 1"], NullLogger.Instance, cancellationToken);
        return result switch
        {
            { Succeeded: true } => HealthCheckResult.Healthy(),
            _ when Psql.IsPasswordRejected(result) => HealthCheckResult.Unhealthy(RefusedPasswordWatch.HealthDescription(LocalPostgresServerResource.UserName)),
            _ => HealthCheckResult.Unhealthy($"The server does not accept connections: {result.Errors.Trim()}"),
        };
    }
}
