using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace Atlas.Silo.Hosting;

/// <summary>
/// Says in the silo's log, one line each, what an operator watches: the silo is active (and where), every change of the
/// membership view it sees (a silo joined, is shutting down, was declared dead), and that it is stopping and stopped.
/// Registered after Orleans, so it starts once the silo has joined and stops before the silo leaves.
/// </summary>
internal sealed partial class SiloLifecycleLog(
    ILocalSiloDetails silo,
    IClusterMembershipService membership,
    IHostApplicationLifetime lifetime,
    ILogger<SiloLifecycleLog> logger) : BackgroundService
{
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        LogActive(silo.SiloAddress, silo.ClusterId, silo.GatewayAddress?.Endpoint.Port ?? 0, silo.Name);
        lifetime.ApplicationStopping.Register(() => LogStopping(silo.SiloAddress));
        lifetime.ApplicationStopped.Register(() => LogStopped(silo.SiloAddress));
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var previous = membership.CurrentSnapshot;
        try
        {
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(stoppingToken))
            {
                foreach (var change in snapshot.CreateUpdate(previous).Changes)
                {
                    LogMemberChanged(change.SiloAddress, change.Status, snapshot.Version.Value);
                }
                previous = snapshot;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(1, LogLevel.Information, "Silo {SiloAddress} of cluster {ClusterId} is active; clients connect on port {GatewayPort}; its name is {SiloName}")]
    private partial void LogActive(SiloAddress siloAddress, string clusterId, int gatewayPort, string siloName);

    [LoggerMessage(2, LogLevel.Information, "Membership: silo {Member} is {Status} (view {Version})")]
    private partial void LogMemberChanged(SiloAddress member, SiloStatus status, long version);

    [LoggerMessage(3, LogLevel.Information, "Silo {SiloAddress} stopping: grains deactivate, clients move to other gateways, membership records it ShuttingDown then Dead")]
    private partial void LogStopping(SiloAddress siloAddress);

    [LoggerMessage(4, LogLevel.Information, "Silo {SiloAddress} stopped")]
    private partial void LogStopped(SiloAddress siloAddress);
}
