using Orleans;
using Orleans.Runtime;

namespace Atlas.Hosting.Tests.Storage.Sqlite;

public interface ISqliteTripLogGrain : IGrainWithStringKey
{
    Task<int> AddTrip(string tripId);

    Task<IReadOnlyList<string>> Trips();

    /// <summary>The ETag the grain's persistent state holds.</summary>
    Task<string?> ETag();
}

[GenerateSerializer, Alias("atlas.tests.SqliteTripLogState")]
public sealed class SqliteTripLogState
{
    [Id(0)] public List<string> Trips { get; set; } = [];
}

/// <summary>A grain whose state lives in the silo's default storage.</summary>
public sealed class SqliteTripLogGrain([PersistentState("trips")] IPersistentState<SqliteTripLogState> state) : Grain, ISqliteTripLogGrain
{
    public async Task<int> AddTrip(string tripId)
    {
        state.State.Trips.Add(tripId);
        await state.WriteStateAsync();
        return state.State.Trips.Count;
    }

    public Task<IReadOnlyList<string>> Trips() => Task.FromResult<IReadOnlyList<string>>(state.State.Trips.ToArray());

    public Task<string?> ETag() => Task.FromResult(state.Etag);
}

public interface ISqliteAlarmGrain : IGrainWithStringKey
{
    Task Schedule(string name, TimeSpan due, TimeSpan period);
}

/// <summary>A grain that records its reminder ticks in the test's <see cref="TickLog"/>.</summary>
public sealed class SqliteAlarmGrain(TickLog ticks) : Grain, ISqliteAlarmGrain, IRemindable
{
    public Task Schedule(string name, TimeSpan due, TimeSpan period) => this.RegisterOrUpdateReminder(name, due, period);

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        ticks.Record(this.GetPrimaryKeyString(), reminderName);
        return Task.CompletedTask;
    }
}

/// <summary>Reminder ticks seen by the silos of a test, across restarts; a test awaits a tick rather than sleeping.</summary>
public sealed class TickLog
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(string Grain, string Reminder), int> _counts = [];
    private readonly List<(string Grain, string Reminder, int Count, TaskCompletionSource Reached)> _waiters = [];

    public void Record(string grain, string reminder)
    {
        lock (_lock)
        {
            var count = _counts[(grain, reminder)] = Count(grain, reminder) + 1;
            foreach (var waiter in _waiters.Where(w => w.Grain == grain && w.Reminder == reminder && w.Count <= count).ToArray())
            {
                waiter.Reached.TrySetResult();
                _waiters.Remove(waiter);
            }
        }
    }

    public int Count(string grain, string reminder)
    {
        lock (_lock)
        {
            return _counts.GetValueOrDefault((grain, reminder));
        }
    }

    /// <summary>Completes once the grain's reminder has ticked <paramref name="count"/> times in all.</summary>
    public Task WaitForAsync(string grain, string reminder, int count, TimeSpan timeout)
    {
        lock (_lock)
        {
            if (Count(grain, reminder) >= count)
            {
                return Task.CompletedTask;
            }
            var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((grain, reminder, count, reached));
            return reached.Task.WaitAsync(timeout);
        }
    }
}
