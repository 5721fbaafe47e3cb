using Atlas.Bench.Harness;

namespace Atlas.Bench.RemoteCalls;

/// <summary>The grain of the <c>remote-calls</c> scenario: the same work as the echo baseline's server.</summary>
[Alias("bench.remote")]
public interface IRemoteBenchGrain : IGrainWithIntegerKey
{
    /// <summary>Returns <paramref name="value"/> (a ValueTask, so the grain itself allocates nothing per call).</summary>
    ValueTask<int> Echo(int value);

    /// <summary>The port of the silo hosting this activation: the baseline sends each key to the same server.</summary>
    ValueTask<int> SiloPort();

    /// <summary>Bytes allocated so far by the silo process hosting this activation (for bytes per call).</summary>
    ValueTask<long> SiloAllocatedBytes();

    /// <summary>
    /// Starts sampling which types the silo process allocates (<paramref name="start"/>), or stops and returns the
    /// report, each type's share applied to <paramref name="bytesPerCall"/>.
    /// </summary>
    ValueTask<string[]> ProfileSiloAllocations(bool start, double bytesPerCall);
}

public sealed class RemoteBenchGrain(BenchSiloInfo silo) : Grain, IRemoteBenchGrain
{
    private static AllocationProfiler? _profiler;

    public ValueTask<int> Echo(int value) => new(value);

    public ValueTask<int> SiloPort() => new(silo.Port);

    public ValueTask<long> SiloAllocatedBytes() => new(GC.GetTotalAllocatedBytes(precise: true));

    public ValueTask<string[]> ProfileSiloAllocations(bool start, double bytesPerCall)
    {
        if (start)
        {
            Interlocked.Exchange(ref _profiler, new AllocationProfiler())?.Dispose();
            return new([]);
        }
        var profiler = Interlocked.Exchange(ref _profiler, null);
        if (profiler is null)
        {
            return new([]);
        }
        profiler.Dispose();
        return new([.. profiler.Lines($"silo :{silo.Port} allocations", bytesPerCall)]);
    }
}

/// <summary>What a benchmark silo tells its grains about itself.</summary>
public sealed record BenchSiloInfo(int Port);
