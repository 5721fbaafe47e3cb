using Atlas.Grains.Diagnostics;
using Atlas.Grains.Wallets;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orleans;
using Orleans.Runtime;
using Orleans.Providers;
using Orleans.Storage;

namespace Atlas.Api.Operations;

/// <summary>
/// Readiness. A probe grain answers through the cluster (embedded: the co-hosted silo; client: one of the silos); in
/// embedded mode the stores the silo uses answer too (grain storage and the ledger, each read once with a time limit).
/// </summary>
internal sealed class PlatformHealthCheck(IServiceProvider services) : IHealthCheck
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(3);
    private static readonly GrainId ProbeId = GrainId.Create("health", "probe");

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ProbeTimeout);
        ProbeAnswer answer;
        try
        {
            answer = await services.GetRequiredService<IGrainFactory>().GetGrain<IProbeGrain>("health").Ping(1).WaitAsync(timeout.Token);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy("The cluster did not answer: " + exception.Message, exception);
        }

        if (services.GetService<ILocalSiloDetails>() is not { } silo)
        {
            return HealthCheckResult.Healthy($"Silo {answer.Silo} answered.");
        }
        try
        {
            var storage = services.GetRequiredKeyedService<IGrainStorage>(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME);
            await storage.ReadStateAsync("health", ProbeId, new ProbeState(), timeout.Token).WaitAsync(timeout.Token);
            await services.GetRequiredService<ILedgerStore>().LoadAsync("health:probe", timeout.Token).WaitAsync(timeout.Token);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy("Storage did not answer: " + exception.Message, exception);
        }
        return HealthCheckResult.Healthy($"Silo {silo.SiloAddress} active; storage answers.");
    }

    private sealed class ProbeState : IGrainState<object?>
    {
        public object? State { get; set; }

        public string? ETag { get; set; }

        public bool RecordExists { get; set; }
    }
}
