namespace Atlas.Actors.Tests.Grains;

/// <summary>Records its lifecycle in the probe.</summary>
public interface ILifecycleGrain : IGrainWithStringKey
{
    Task<string> Hello();

    Task Deactivate();

    Task KeepAlive(int milliseconds);
}

public sealed class LifecycleGrain(TestProbe probe) : Grain, ILifecycleGrain
{
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        probe.Record($"activate:{GetPrimaryKeyString()}");
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        probe.Record($"deactivate:{GetPrimaryKeyString()}:{reason.Code}");
        return Task.CompletedTask;
    }

    public Task<string> Hello() => Task.FromResult($"hello from {IdentityString}");

    public Task Deactivate()
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }

    public Task KeepAlive(int milliseconds)
    {
        DelayDeactivation(TimeSpan.FromMilliseconds(milliseconds));
        return Task.CompletedTask;
    }
}

/// <summary>Collected after one idle second.</summary>
public interface IShortLivedGrain : IGrainWithStringKey
{
    Task Touch();

    Task KeepAlive(int milliseconds);
}

[CollectionAgeLimit(Seconds = 1)]
public sealed class ShortLivedGrain(TestProbe probe) : Grain, IShortLivedGrain
{
    public Task Touch() => Task.CompletedTask;

    public Task KeepAlive(int milliseconds)
    {
        DelayDeactivation(TimeSpan.FromMilliseconds(milliseconds));
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        probe.Record($"deactivate:{GetPrimaryKeyString()}:{reason.Code}");
        return Task.CompletedTask;
    }
}

/// <summary>Fails to activate while the probe says so.</summary>
public interface IFragileGrain : IGrainWithStringKey
{
    Task<string> Hello();
}

public sealed class FragileGrain(TestProbe probe) : Grain, IFragileGrain
{
    public override Task OnActivateAsync(CancellationToken cancellationToken) =>
        probe.Count($"break:{GetPrimaryKeyString()}") > probe.Count($"mend:{GetPrimaryKeyString()}")
            ? throw new InvalidOperationException("activation refused on purpose")
            : Task.CompletedTask;

    public Task<string> Hello() => Task.FromResult("hello");
}

public interface ITimerGrain : IGrainWithStringKey
{
    Task Start(int periodMs, int callbackMs, bool interleave);

    Task Stop();

    Task<int> Ticks();

    /// <summary>Holds the activation for a while (a tick must wait for it unless it interleaves).</summary>
    Task Busy(int milliseconds);
}

public sealed class TimerGrain(TestProbe probe) : Grain, ITimerGrain
{
    private IGrainTimer? _timer;
    private int _ticks;
    private int _inside;
    private bool _busy;

    public Task Start(int periodMs, int callbackMs, bool interleave)
    {
        _timer = RegisterGrainTimer(async (_, _) =>
        {
            if (Interlocked.Increment(ref _inside) != 1)
            {
                probe.Record("timer:overlap");
            }
            if (_busy)
            {
                probe.Record("timer:during-request");
            }
            _ticks++;
            await Task.Delay(callbackMs);
            Interlocked.Decrement(ref _inside);
        }, 0, new GrainTimerCreationOptions(TimeSpan.FromMilliseconds(periodMs), TimeSpan.FromMilliseconds(periodMs)) { Interleave = interleave });
        return Task.CompletedTask;
    }

    public Task Stop()
    {
        _timer?.Dispose();
        return Task.CompletedTask;
    }

    public Task<int> Ticks() => Task.FromResult(_ticks);

    public async Task Busy(int milliseconds)
    {
        _busy = true;
        await Task.Delay(milliseconds);
        _busy = false;
    }
}

public interface IReminderGrain : IGrainWithStringKey
{
    Task Start(string name, int dueMs, int periodMs);

    Task Stop(string name);

    Task<IReadOnlyList<string>> Names();
}

public sealed class ReminderGrain(TestProbe probe) : Grain, IReminderGrain, IRemindable
{
    public Task Start(string name, int dueMs, int periodMs) =>
        RegisterOrUpdateReminder(name, TimeSpan.FromMilliseconds(dueMs), TimeSpan.FromMilliseconds(periodMs));

    public async Task Stop(string name)
    {
        var reminder = await GetReminder(name);
        if (reminder is not null)
        {
            await UnregisterReminder(reminder);
        }
    }

    public async Task<IReadOnlyList<string>> Names() => (await GetReminders()).Select(r => r.ReminderName).ToArray();

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        probe.Record($"tick:{GetPrimaryKeyString()}:{reminderName}@{Silo}");
        return Task.CompletedTask;
    }
}

/// <summary>A grain that cannot register reminders (it is not IRemindable).</summary>
public interface INotRemindableGrain : IGrainWithStringKey
{
    Task TryRegister();
}

public sealed class NotRemindableGrain : Grain, INotRemindableGrain
{
    public Task TryRegister() => RegisterOrUpdateReminder("r", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
}
