using System.Runtime.Versioning;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging.Abstractions;

using HelloAspire.Hosting.LocalPostgres.Cluster;
using HelloAspire.Hosting.PostgreSQL;

namespace HelloAspire.Hosting.LocalPostgres.Lifecycle;

/// <summary>
/// Healthy when this start has finished (server ready, databases made, seed history read) and the server answers over
/// TCP with the configured password. It reacts to readiness instead of waiting for Aspire's next health poll.
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

        // The TCP check begins as soon as the server accepts connections, beside the start's own last checks (the
        // databases, the seed history) rather than after them: the clients wait for this answer. It counts only once
        // the start has finished, and a start that failed says why instead.
        var deadline = DateTimeOffset.UtcNow + s_readinessWait;
        try
        {
            await Task.WhenAny(start.Accepting, start.Ready).WaitAsync(s_readinessWait, cancellationToken);
        }
        catch (TimeoutException)
        {
            return HealthCheckResult.Unhealthy("The server is still starting.");
        }

        HealthCheckResult? answer = start.Ready.IsFaulted ? null : await AnswersOverTcpAsync(cancellationToken);
        try
        {
            await start.Ready.WaitAsync(TimeSpan.FromTicks(Math.Max(0, (deadline - DateTimeOffset.UtcNow).Ticks)), cancellationToken);
        }
        catch (TimeoutException)
        {
            return HealthCheckResult.Unhealthy("The server is still starting.");
        }
        catch (Exception ex) when (start.Ready.IsFaulted)
        {
            return HealthCheckResult.Unhealthy(ex.Message, ex);
        }

        return answer ?? await AnswersOverTcpAsync(cancellationToken);
    }

    /// <summary>Over TCP, as the clients connect, with the password they are given.</summary>
    private async Task<HealthCheckResult> AnswersOverTcpAsync(CancellationToken cancellationToken)
    {
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
