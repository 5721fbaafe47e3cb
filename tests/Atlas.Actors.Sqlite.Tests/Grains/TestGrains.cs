using System.Collections.Concurrent;

namespace Atlas.Actors.Sqlite.Tests.Grains;

public interface ITripLogGrain : IGrainWithStringKey
{
    Task<int> AddTrip(string tripId);

    Task<IReadOnlyList<string>> Trips();
}

public sealed class TripLogState
{
    public List<string> Trips { get; set; } = [];
}

/// <summary>A grain with persistent state in the default storage.</summary>
public sealed class TripLogGrain([PersistentState("trips")] IPersistentState<TripLogState> state) : Grain, ITripLogGrain
{
    public async Task<int> AddTrip(string tripId)
    {
        state.State.Trips.Add(tripId);
        await state.WriteStateAsync();
        return state.State.Trips.Count;
    }

    public Task<IReadOnlyList<string>> Trips() => Task.FromResult<IReadOnlyList<string>>(state.State.Trips.ToArray());
}

public interface IAlarmGrain : IGrainWithStringKey
{
    Task Schedule(string name, int dueMs, int periodMs);
}

/// <summary>A grain that records its reminder ticks in the shared <see cref="TickLog"/>.</summary>
public sealed class AlarmGrain(TickLog ticks) : Grain, IAlarmGrain, IRemindable
{
    public Task Schedule(string name, int dueMs, int periodMs) =>
        RegisterOrUpdateReminder(name, TimeSpan.FromMilliseconds(dueMs), TimeSpan.FromMilliseconds(periodMs));

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        ticks.Record(GetPrimaryKeyString(), reminderName);
        return Task.CompletedTask;
    }
}

/// <summary>Reminder ticks seen by the silos of a test, across restarts.</summary>
public sealed class TickLog
{
    private readonly ConcurrentQueue<(string Grain, string Reminder)> _ticks = new();

    public void Record(string grain, string reminder) => _ticks.Enqueue((grain, reminder));

    public int Count(string grain, string reminder) => _ticks.Count(t => t.Grain == grain && t.Reminder == reminder);

    /// <summary>Waits until the grain's reminder has ticked more than <paramref name="after"/> times.</summary>
    public async Task WaitForTickAsync(string grain, string reminder, int after, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Count(grain, reminder) <= after)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Reminder '{reminder}' of {grain} did not tick after tick {after} within {timeout}.");
            }
            await Task.Delay(20);
        }
    }
}
