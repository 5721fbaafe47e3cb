namespace Atlas.Grains.Rides;

/// <summary>How rides find drivers and settle payments.</summary>
public sealed class DispatchOptions
{
    public const string SectionName = "Dispatch";

    /// <summary>How long a driver has to accept an offer (default 15 s).</summary>
    public TimeSpan OfferTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How many nearest drivers one search returns (default 10).</summary>
    public int CandidatesPerSearch { get; set; } = 10;

    /// <summary>The search radii, smallest first (default 1 km, 2.5 km, 5 km).</summary>
    public double[] SearchRadiiMeters { get; set; } = [1000, 2500, 5000];

    /// <summary>
    /// The hold placed at request time is the estimate plus this margin (default 25 %); the rider is charged the
    /// final fare up to the held amount, never more.
    /// </summary>
    public int HoldMarginBasisPoints { get; set; } = 2500;

    /// <summary>How often undelivered payments and unpublished events are retried while the ride's silo lives (default 5 s).</summary>
    public TimeSpan PaymentRetryInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The period of the durable reminders that carry a ride on after its silo died (default 1 min, Orleans' minimum
    /// reminder period): an offer's time-out and the payment retries run on grain timers while the silo lives; if it
    /// dies, the reminder wakes the ride on a survivor at most this long (plus failure detection) after the deadline.
    /// </summary>
    public TimeSpan BackstopPeriod { get; set; } = TimeSpan.FromMinutes(1);
}
