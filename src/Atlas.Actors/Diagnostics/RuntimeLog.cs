using Microsoft.Extensions.Logging;

namespace Atlas.Actors.Diagnostics;

/// <summary>The runtime's log events (source-generated, cheap when disabled).</summary>
internal sealed partial class RuntimeLog(ILogger logger)
{
    public ILogger Logger => logger;

    [LoggerMessage(1, LogLevel.Error, "Activation of {GrainId} failed")]
    public partial void ActivationFailed(GrainId grainId, Exception exception);

    [LoggerMessage(2, LogLevel.Debug, "Deactivating {GrainId}: {Reason}")]
    public partial void Deactivating(GrainId grainId, string reason);

    [LoggerMessage(3, LogLevel.Warning, "OnDeactivateAsync of {GrainId} failed")]
    public partial void DeactivationFailed(GrainId grainId, Exception exception);

    [LoggerMessage(4, LogLevel.Error, "A turn of {GrainId} failed")]
    public partial void TurnFailed(GrainId grainId, Exception exception);

    [LoggerMessage(5, LogLevel.Warning, "{Request} ran for {ElapsedMs:0} ms")]
    public partial void SlowRequest(string request, double elapsedMs);

    [LoggerMessage(6, LogLevel.Warning, "{Message}")]
    public partial void CallTimedOut(string message);

    [LoggerMessage(7, LogLevel.Warning, "{Message}")]
    public partial void CallCycle(string message);

    [LoggerMessage(8, LogLevel.Warning, "Connection from {Remote} closed: {Reason}")]
    public partial void ConnectionClosed(string remote, string reason);

    [LoggerMessage(9, LogLevel.Warning, "Could not send the response to {Request}: {Reason}")]
    public partial void ResponseLost(string request, string reason);

    [LoggerMessage(10, LogLevel.Warning, "A frame from {Remote} was refused: {Reason}")]
    public partial void BadFrame(string remote, string reason);

    [LoggerMessage(11, LogLevel.Information, "Membership view {Version}: {Silos}")]
    public partial void ViewChanged(long version, string silos);

    [LoggerMessage(12, LogLevel.Warning, "Silo {Silo} missed {Missed} probe(s): {Reason}")]
    public partial void ProbeFailed(SiloAddress silo, int missed, string reason);

    [LoggerMessage(13, LogLevel.Warning, "Voted silo {Silo} dead ({Votes} vote(s) of {Needed} needed)")]
    public partial void Suspected(SiloAddress silo, int votes, int needed);

    [LoggerMessage(14, LogLevel.Warning, "Declared silo {Silo} dead")]
    public partial void DeclaredDead(SiloAddress silo);

    [LoggerMessage(15, LogLevel.Critical, "This silo {Silo} was declared dead by the cluster; stopping")]
    public partial void SelfDeclaredDead(SiloAddress silo);

    [LoggerMessage(16, LogLevel.Warning, "Membership table operation failed: {Operation}")]
    public partial void MembershipTableFailed(string operation, Exception exception);

    [LoggerMessage(17, LogLevel.Warning, "Reminder {Reminder} of {GrainId} failed")]
    public partial void ReminderFailed(string reminder, GrainId grainId, Exception exception);

    [LoggerMessage(18, LogLevel.Warning, "Reminder table operation failed: {Operation}")]
    public partial void ReminderTableFailed(string operation, Exception exception);

    [LoggerMessage(20, LogLevel.Warning, "Silo {Silo} found its membership row missing and joined again")]
    public partial void Rejoined(SiloAddress silo);

    [LoggerMessage(19, LogLevel.Information, "Silo {Silo} {Stage}")]
    public partial void SiloLifecycle(SiloAddress silo, string stage);
}
