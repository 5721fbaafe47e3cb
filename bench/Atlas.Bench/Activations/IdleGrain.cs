namespace Atlas.Bench.Activations;

/// <summary>The grain of the <c>activations</c> scenario: no state beyond the base class, a method that does nothing.</summary>
[Alias("bench.idle")]
public interface IIdleGrain : IGrainWithIntegerKey
{
    Task Ping();
}

public sealed class IdleGrain : Grain, IIdleGrain
{
    public Task Ping() => Task.CompletedTask;
}
