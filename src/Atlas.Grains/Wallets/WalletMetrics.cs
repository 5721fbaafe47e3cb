using System.Diagnostics.Metrics;

namespace Atlas.Grains.Wallets;

/// <summary>Wallet instruments (meter <c>Atlas.Wallets</c>): ledger movements by kind, refusals, and ledger writes.</summary>
public static class WalletMetrics
{
    public const string MeterName = "Atlas.Wallets";

    private static readonly Meter Meter = new(MeterName, "1.0");

    public static readonly Counter<long> Movements = Meter.CreateCounter<long>(
        "atlas.wallets.movements", "{movement}", "Movements written to the ledger (tag kind: top_up, hold, capture, release, debit, credit, refund).");

    public static readonly Counter<long> InsufficientFunds = Meter.CreateCounter<long>(
        "atlas.wallets.insufficient_funds", "{operation}", "Holds and debits refused because the wallet's available balance was too low.");

    /// <summary>Movements per ledger write: the wallet grain batches queued operations into one transaction.</summary>
    public static readonly Histogram<int> BatchSize = Meter.CreateHistogram<int>(
        "atlas.wallets.ledger.batch_size", "{movement}", "Movements written per ledger transaction.",
        advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64] });

    internal static KeyValuePair<string, object?> KindTag(MovementKind kind) => new("kind", kind switch
    {
        MovementKind.TopUp => "top_up",
        MovementKind.Hold => "hold",
        MovementKind.Capture => "capture",
        MovementKind.Release => "release",
        MovementKind.Debit => "debit",
        MovementKind.Credit => "credit",
        MovementKind.Refund => "refund",
        _ => "other",
    });
}
