using Atlas.Actors;
using Atlas.Actors.Client;
using Atlas.Actors.Hosting;
using Atlas.Actors.Persistence;
using Atlas.Grains.Diagnostics;
using Atlas.Grains.Wallets;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Atlas.Api.Operations;

/// <summary>
/// Readiness. Embedded: the co-hosted silo is active in its cluster view, and the stores it uses answer (grain storage
/// and the ledger, each read once with a time limit). Client: the client knows active silos and a probe grain answers
/// through the cluster.
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
            return services.GetService<ClusterClient>() is { } client
                ? await CheckClusterAsync(client, cancellationToken)
                : HealthCheckResult.Unhealthy("Neither a silo nor a cluster client is configured in this process.");
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

    private static async Task<HealthCheckResult> CheckClusterAsync(ClusterClient client, CancellationToken cancellationToken)
    {
        if (client.View.ActiveSilos.Count == 0)
        {
            return HealthCheckResult.Unhealthy("The cluster client knows no active silo.");
        }
        try
        {
            var answer = await client.GrainFactory.GetGrain<IProbeGrain>("health").Ping(1).WaitAsync(ProbeTimeout, cancellationToken);
            return HealthCheckResult.Healthy($"{client.View.ActiveSilos.Count} silo(s) active; {answer.Silo} answered.");
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy("The cluster did not answer: " + exception.Message, exception);
        }
    }

    private sealed class ProbeState : IGrainState<object?>
    {
        public object? State { get; set; }

        public string? ETag { get; set; }

        public bool RecordExists { get; set; }
    }
}
