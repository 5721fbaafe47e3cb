using Atlas.Actors;
using Atlas.Actors.Hosting;
using Atlas.Actors.Persistence;
using Atlas.Grains.Wallets;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Atlas.Api.Operations;

/// <summary>
/// Readiness: the co-hosted silo is active in its cluster view, and the stores it uses answer (grain storage and the
/// ledger, each read once with a time limit).
/// </summary>
internal sealed class PlatformHealthCheck(IServiceProvider services) : IHealthCheck
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(3);
    private static readonly GrainId ProbeId = new("health", "probe");

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var silo = services.GetService<Silo>();
        if (silo is null)
        {
            return HealthCheckResult.Unhealthy("No silo is configured in this process.");
        }
        if (silo.Stopped.IsCompleted)
        {
            return HealthCheckResult.Unhealthy($"Silo {silo.Address} has stopped.");
        }
        if (!silo.View.IsActive(silo.Address))
        {
            return HealthCheckResult.Unhealthy($"Silo {silo.Address} is not active in its cluster view yet.");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ProbeTimeout);
        try
        {
            var storage = services.GetRequiredKeyedService<IGrainStorage>(PersistentStateAttribute.DefaultStorageName);
            await storage.ReadStateAsync("health", ProbeId, new ProbeState(), timeout.Token).WaitAsync(timeout.Token);
            await services.GetRequiredService<ILedgerStore>().LoadAsync("health:probe", timeout.Token).WaitAsync(timeout.Token);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy("Storage did not answer: " + exception.Message, exception);
        }
        return HealthCheckResult.Healthy($"Silo {silo.Address} active; storage answers.");
    }

    private sealed class ProbeState : IGrainState<object?>
    {
        public object? State { get; set; }

        public string? ETag { get; set; }

        public bool RecordExists { get; set; }
    }
}
