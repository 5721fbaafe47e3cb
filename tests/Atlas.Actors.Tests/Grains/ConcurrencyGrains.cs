namespace Atlas.Actors.Tests.Grains;

/// <summary>Throws if two requests ever run inside it at once.</summary>
public interface ISerialGrain : IGrainWithStringKey
{
    Task<int> Touch();

    Task<int> Count();
}

public sealed class SerialGrain : Grain, ISerialGrain
{
    private int _inside;
    private int _count;

    public async Task<int> Touch()
    {
        if (Interlocked.Increment(ref _inside) != 1)
        {
            throw new InvalidOperationException("Two requests overlapped in a non-reentrant grain.");
        }
        await Task.Yield();
        _count++;
        await Task.Yield();
        if (Interlocked.Decrement(ref _inside) != 0)
        {
            throw new InvalidOperationException("Two requests overlapped in a non-reentrant grain.");
        }
        return _count;
    }

    public Task<int> Count() => Task.FromResult(_count);
}

/// <summary>A request waits on a gate that another request opens: possible only if they interleave.</summary>
public interface IGateGrain : IGrainWithStringKey
{
    Task<string> WaitForGate();

    [ResponseTimeout("00:00:00.400")]
    Task OpenGate();

    [AlwaysInterleave]
    Task OpenGateInterleaved();

    [ReadOnly]
    Task<string> ReadWaitingForGate();

    [ReadOnly]
    [ResponseTimeout("00:00:03")]
    Task<int> ReadersInside();
}

public abstract class GateGrainBase : Grain
{
    private TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _readersInside;

    public async Task<string> WaitForGate()
    {
        await _gate.Task;
        return "passed";
    }

    public Task OpenGate()
    {
        _gate.TrySetResult();
        _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return Task.CompletedTask;
    }

    public Task OpenGateInterleaved() => OpenGate();

    public async Task<string> ReadWaitingForGate()
    {
        Interlocked.Increment(ref _readersInside);
        try
        {
            await _gate.Task;
            return "passed";
        }
        finally
        {
            Interlocked.Decrement(ref _readersInside);
        }
    }

    public Task<int> ReadersInside() => Task.FromResult(Volatile.Read(ref _readersInside));
}

public sealed class GateGrain : GateGrainBase, IGateGrain;

public interface IReentrantGateGrain : IGateGrain;

[Reentrant]
public sealed class ReentrantGateGrain : GateGrainBase, IReentrantGateGrain;

/// <summary>Calls along a path of grains: A.CallThrough(["B","A"]) makes A call B and B call A.</summary>
public interface ICycleGrain : IGrainWithStringKey
{
    Task<string> CallThrough(string[] path);
}

public sealed class CycleGrain : Grain, ICycleGrain
{
    public async Task<string> CallThrough(string[] path) =>
        path.Length == 0
            ? GetPrimaryKeyString()
            : GetPrimaryKeyString() + ">" + await GrainFactory.GetGrain<ICycleGrain>(path[0]).CallThrough(path[1..]);
}

public interface IChainReentrantGrain : IGrainWithStringKey
{
    Task<string> CallThrough(string[] path);
}

[AllowCallChainReentrancy]
public sealed class ChainReentrantGrain : Grain, IChainReentrantGrain
{
    public async Task<string> CallThrough(string[] path) =>
        path.Length == 0
            ? GetPrimaryKeyString()
            : GetPrimaryKeyString() + ">" + await GrainFactory.GetGrain<IChainReentrantGrain>(path[0]).CallThrough(path[1..]);
}

public interface ISlowGrain : IGrainWithStringKey
{
    [ResponseTimeout("00:00:00.500")]
    Task Sleep(int milliseconds);

    [ResponseTimeout("00:00:00.500")]
    Task Quick();
}

public sealed class SlowGrain : Grain, ISlowGrain
{
    public Task Sleep(int milliseconds) => Task.Delay(milliseconds);

    public Task Quick() => Task.CompletedTask;
}

/// <summary>Several local activations per key, each counting its own calls.</summary>
public interface IWorkerGrain : IGrainWithStringKey
{
    Task<string> Work(int milliseconds);
}

[StatelessWorker(4)]
public sealed class WorkerGrain : Grain, IWorkerGrain
{
    private readonly string _instance = Guid.NewGuid().ToString("N");

    public async Task<string> Work(int milliseconds)
    {
        await Task.Delay(milliseconds);
        return _instance;
    }
}

public interface IOneWayGrain : IGrainWithStringKey
{
    [OneWay]
    Task Fire(string text);

    /// <summary>Sends a one-way call to <paramref name="target"/>, which sends one back here while this call still runs.</summary>
    Task<string> PingPong(string target);
}

public sealed class OneWayGrain(TestProbe probe) : Grain, IOneWayGrain
{
    public async Task<string> PingPong(string target)
    {
        await GrainFactory.GetGrain<IOneWayGrain>(target).Fire($"back:{GetPrimaryKeyString()}");
        await GrainFactory.GetGrain<IOneWayBounceGrain>(target).Bounce(GetPrimaryKeyString());
        return "done";
    }

    public async Task Fire(string text)
    {
        await Task.Delay(200);
        probe.Record($"oneway:{GetPrimaryKeyString()}:{text}");
    }
}

public interface IOneWayBounceGrain : IGrainWithStringKey
{
    Task Bounce(string origin);
}

public sealed class OneWayBounceGrain : Grain, IOneWayBounceGrain
{
    /// <summary>Calls back into the caller one-way while the caller waits for this call: no deadlock, no cycle error.</summary>
    public Task Bounce(string origin) => GrainFactory.GetGrain<IOneWayGrain>(origin).Fire("bounced");
}
