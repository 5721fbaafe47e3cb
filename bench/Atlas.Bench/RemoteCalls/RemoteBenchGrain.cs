using Atlas.Actors;

namespace Atlas.Bench.RemoteCalls;

/// <summary>The grain of the <c>remote-calls</c> scenario: the same work as the echo baseline's server.</summary>
public interface IRemoteBenchGrain : IGrainWithIntegerKey
{
    /// <summary>Returns <paramref name="value"/> (a ValueTask, so the grain itself allocates nothing per call).</summary>
    ValueTask<int> Echo(int value);

    /// <summary>The port of the silo hosting this activation: the baseline sends each key to the same server.</summary>
    ValueTask<int> SiloPort();
}

public sealed class RemoteBenchGrain(BenchSiloInfo silo) : Grain, IRemoteBenchGrain
{
    public ValueTask<int> Echo(int value) => new(value);

    public ValueTask<int> SiloPort() => new(silo.Port);
}

/// <summary>What a benchmark silo tells its grains about itself.</summary>
public sealed record BenchSiloInfo(int Port);
