using Microsoft.Extensions.Logging;

namespace Atlas.Infrastructure.Ledger;

/// <summary>The ledger stores' log events (source-generated).</summary>
internal static partial class LedgerLog
{
    [LoggerMessage(1, LogLevel.Error, "{Store} refused {Action}: it would break the invariant {Invariant}")]
    public static partial void WriteRefused(ILogger logger, string store, string action, string invariant, Exception exception);

}
