namespace Atlas.Bench.Calls;

/// <summary>The grain of the <c>calls</c> scenario: the same work as <see cref="Baselines.MailboxActor"/>.</summary>
[Alias("bench.counter")]
public interface IBenchCounterGrain : IGrainWithIntegerKey
{
    /// <summary>Increments the counter and returns it (a ValueTask, so the grain itself allocates nothing per call).</summary>
    ValueTask<int> Increment();
}

public sealed class BenchCounterGrain : Grain, IBenchCounterGrain
{
    private int _count;

    public ValueTask<int> Increment() => new(++_count);
}
