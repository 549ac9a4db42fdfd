using System.Runtime.Versioning;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace HelloAspire.AppHost.LocalPostgres;

/// <summary>
/// Healthy when this start has finished (server ready, seed applied) and the server answers over TCP with the
/// configured password. It reacts to readiness instead of waiting for Aspire's next health poll.
/// </summary>
[UnsupportedOSPlatform("windows")]
internal sealed class LocalPostgresHealthCheck(LocalPostgresServerResource server) : IHealthCheck
{
    private static readonly TimeSpan s_readinessWait = TimeSpan.FromSeconds(10);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (server.CurrentStart is not { } start)
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

        var connectionString = await server.ConnectionStringExpression.GetValueAsync(cancellationToken);
        try
        {
            await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, Timeout = 5 }.ConnectionString);
            await connection.OpenAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InvalidPassword)
        {
            return HealthCheckResult.Unhealthy(server.PasswordMismatchMessage, ex);
        }
        catch (NpgsqlException ex)
        {
            return HealthCheckResult.Unhealthy($"The server does not accept connections: {ex.Message}", ex);
        }
    }
}
