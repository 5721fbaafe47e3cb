using System.Collections.Concurrent;
using System.Text.Json;
using Atlas.Actors.Diagnostics;
using Atlas.Actors.Hosting;
using Atlas.Actors.Invocation;
using Atlas.Actors.Scheduling;

namespace Atlas.Actors.Reminders;

/// <summary>What grains use to manage their reminders.</summary>
internal interface IReminderRegistry
{
    Task<IGrainReminder> RegisterOrUpdateAsync(ActivationData activation, string reminderName, TimeSpan dueTime, TimeSpan period);

    Task UnregisterAsync(GrainId grainId, IGrainReminder reminder);

    Task<IGrainReminder?> GetAsync(GrainId grainId, string reminderName);

    Task<IReadOnlyList<IGrainReminder>> GetAllAsync(GrainId grainId);
}

/// <summary>A registered reminder as a grain sees it.</summary>
internal sealed record GrainReminder(string ReminderName, string ETag) : IGrainReminder;

/// <summary>
/// Fires durable reminders. Each silo owns the reminders of the grains it owns on the placement ring, reads them from
/// the table at start, on every view change and periodically, and fires each tick as a <see cref="IRemindable.ReceiveReminder"/>
/// call (which activates the grain). A tick that fell due while no silo owned it fires at once when it is loaded.
/// </summary>
internal sealed class ReminderService : IReminderRegistry, IAsyncDisposable
{
    private readonly IReminderTable? _table;
    private readonly SiloRuntime _runtime;
    private readonly ReminderOptions _options;
    private readonly RuntimeLog _log;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<(GrainId, string), ScheduledReminder> _scheduled = new();
    private readonly SemaphoreSlim _refreshLock = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private Task? _refreshLoop;

    public ReminderService(IReminderTable? table, SiloRuntime runtime, ReminderOptions options, RuntimeLog log, TimeProvider time)
    {
        _table = table;
        _runtime = runtime;
        _options = options;
        _log = log;
        _time = time;
    }

    /// <summary>Reminders this silo is currently responsible for.</summary>
    public int ScheduledCount => _scheduled.Count;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_table is null)
        {
            return;
        }
        await _table.InitializeAsync(cancellationToken);
        _runtime.Placement.ViewChanged += OnViewChanged;
        await RefreshAsync(cancellationToken);
        _refreshLoop = RefreshLoopAsync();
    }

    private void OnViewChanged(Membership.MembershipView view) => _ = SafeRefreshAsync();

    private async Task RefreshLoopAsync()
    {
        try
        {
            using var timer = new PeriodicTimer(_options.RefreshReminderListPeriod, _time);
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                await SafeRefreshAsync();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task SafeRefreshAsync()
    {
        try
        {
            await RefreshAsync(_stopping.Token);
        }
        catch (Exception exception) when (!_stopping.IsCancellationRequested)
        {
            _log.ReminderTableFailed("refresh", exception);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Schedules the reminders of the ranges this silo owns and drops those it no longer owns.</summary>
    private async Task RefreshAsync(CancellationToken cancellationToken)
    {
        await _refreshLock.WaitAsync(cancellationToken);
        try
        {
            var ranges = _runtime.Placement.Ring.RangesOf(_runtime.Silo);
            var owned = new Dictionary<(GrainId, string), ReminderEntry>();
            foreach (var (begin, end) in ranges)
            {
                foreach (var entry in await _table!.ReadRowsAsync(begin, end, cancellationToken))
                {
                    owned[(entry.GrainId, entry.ReminderName)] = entry;
                }
            }
            foreach (var (key, scheduled) in _scheduled)
            {
                if (!owned.TryGetValue(key, out var entry) || entry.ETag != scheduled.Entry.ETag)
                {
                    if (_scheduled.TryRemove(new KeyValuePair<(GrainId, string), ScheduledReminder>(key, scheduled)))
                    {
                        scheduled.Dispose();
                    }
                }
            }
            foreach (var entry in owned.Values)
            {
                if (!_scheduled.ContainsKey((entry.GrainId, entry.ReminderName)))
                {
                    Schedule(entry);
                }
            }
        }
        finally
        {
            _refreshLock.Release();
        }
    }

    private IReminderTable Table => _table ?? throw new AtlasConfigurationException(
        "Reminders are not configured on this silo: register a reminder table (e.g. UseInMemoryReminders, or the PostgreSQL/SQLite reminder table).");

    public async Task<IGrainReminder> RegisterOrUpdateAsync(ActivationData activation, string reminderName, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentException.ThrowIfNullOrEmpty(reminderName);
        if (!activation.Class.IsRemindable)
        {
            throw new InvalidOperationException($"Grain class {activation.Class.GrainClass.Name} must implement IRemindable to register reminders.");
        }
        if (dueTime < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(dueTime), dueTime, "A reminder's due time cannot be negative.");
        }
        if (period < _options.MinimumReminderPeriod)
        {
            throw new ArgumentOutOfRangeException(nameof(period), period, $"A reminder's period must be at least {_options.MinimumReminderPeriod}.");
        }
        var table = Table;
        var entry = new ReminderEntry
        {
            GrainId = activation.GrainId,
            ReminderName = reminderName,
            StartAtUtc = _time.GetUtcNow().UtcDateTime + dueTime,
            Period = period,
        };
        var etag = await table.UpsertRowAsync(entry);
        entry = entry with { ETag = etag };
        if (_runtime.Placement.OwnerOf(entry.GrainId) == _runtime.Silo)
        {
            Schedule(entry);
        }
        return new GrainReminder(reminderName, etag);
    }

    public async Task UnregisterAsync(GrainId grainId, IGrainReminder reminder)
    {
        ArgumentNullException.ThrowIfNull(reminder);
        var table = Table;
        if (_scheduled.TryRemove((grainId, reminder.ReminderName), out var scheduled))
        {
            scheduled.Dispose();
        }
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var row = await table.ReadRowAsync(grainId, reminder.ReminderName);
            if (row is null || await table.RemoveRowAsync(grainId, reminder.ReminderName, row.ETag))
            {
                return;
            }
        }
    }

    public async Task<IGrainReminder?> GetAsync(GrainId grainId, string reminderName)
    {
        var row = await Table.ReadRowAsync(grainId, reminderName);
        return row is null ? null : new GrainReminder(row.ReminderName, row.ETag);
    }

    public async Task<IReadOnlyList<IGrainReminder>> GetAllAsync(GrainId grainId) =>
        (await Table.ReadRowsAsync(grainId)).Select(r => (IGrainReminder)new GrainReminder(r.ReminderName, r.ETag)).ToArray();

    private void Schedule(ReminderEntry entry)
    {
        var scheduled = new ScheduledReminder(entry, this);
        var key = (entry.GrainId, entry.ReminderName);
        _scheduled.AddOrUpdate(key, scheduled, (_, old) =>
        {
            old.Dispose();
            return scheduled;
        });
        scheduled.Start();
    }

    private async Task FireAsync(ScheduledReminder reminder, DateTime dueUtc)
    {
        var entry = reminder.Entry;
        var request = new ReminderTickRequest(entry.ReminderName, new TickStatus(entry.StartAtUtc, entry.Period, dueUtc));
        try
        {
            await _runtime.SendSystemRequest(request, entry.GrainId);
        }
        catch (Exception exception)
        {
            _log.ReminderFailed(entry.ReminderName, entry.GrainId, exception);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _runtime.Placement.ViewChanged -= OnViewChanged;
        foreach (var scheduled in _scheduled.Values)
        {
            scheduled.Dispose();
        }
        _scheduled.Clear();
        if (_refreshLoop is not null)
        {
            await _refreshLoop;
        }
    }

    /// <summary>One reminder's timer on its owning silo. The next tick is computed from the start time, so ticks do not drift.</summary>
    private sealed class ScheduledReminder(ReminderEntry entry, ReminderService owner) : IDisposable
    {
        private ITimer? _timer;
        private bool _disposed;

        public ReminderEntry Entry { get; } = entry;

        public void Start()
        {
            var now = owner._time.GetUtcNow().UtcDateTime;
            // A tick missed while no silo owned the reminder fires now (at least once), then the schedule resumes.
            var first = Entry.StartAtUtc <= now ? TimeSpan.Zero : Entry.StartAtUtc - now;
            lock (this)
            {
                if (!_disposed)
                {
                    _timer = owner._time.CreateTimer(static s => ((ScheduledReminder)s!).OnDue(), this, first, Timeout.InfiniteTimeSpan);
                }
            }
        }

        private void OnDue() => _ = TickAsync();

        private async Task TickAsync()
        {
            var now = owner._time.GetUtcNow().UtcDateTime;
            var due = Entry.StartAtUtc <= now ? LastDueAtOrBefore(now) : Entry.StartAtUtc;
            await owner.FireAsync(this, due);
            var after = owner._time.GetUtcNow().UtcDateTime;
            var next = NextDueAfter(after);
            lock (this)
            {
                if (!_disposed)
                {
                    _timer?.Change(next - after, Timeout.InfiniteTimeSpan);
                }
            }
        }

        private DateTime LastDueAtOrBefore(DateTime now) =>
            Entry.StartAtUtc + TimeSpan.FromTicks((now - Entry.StartAtUtc).Ticks / Entry.Period.Ticks * Entry.Period.Ticks);

        private DateTime NextDueAfter(DateTime now) =>
            now < Entry.StartAtUtc ? Entry.StartAtUtc : LastDueAtOrBefore(now) + Entry.Period;

        public void Dispose()
        {
            lock (this)
            {
                _disposed = true;
                _timer?.Dispose();
            }
        }
    }
}

/// <summary>The <see cref="IRemindable.ReceiveReminder"/> call, written by hand because <see cref="IRemindable"/> lives in the runtime.</summary>
internal sealed class ReminderTickRequest : GrainRequest<NoResult>
{
    public static readonly MethodMetadata Metadata = new(typeof(IRemindable), nameof(IRemindable.ReceiveReminder),
        "ReceiveReminder(string,Atlas.Actors.TickStatus)", MethodFlags.None, null, static () => new ReminderTickRequest());

    private string _name = "";
    private TickStatus _status;

    static ReminderTickRequest() => GrainRegistry.RegisterMethod(Metadata);

    public ReminderTickRequest()
    {
    }

    public ReminderTickRequest(string name, TickStatus status)
    {
        _name = name;
        _status = status;
    }

    /// <summary>Makes sure the method is registered before any silo receives it.</summary>
    public static void EnsureRegistered() => GrainRegistry.RegisterMethod(Metadata);

    public override MethodMetadata Method => Metadata;

    protected override ValueTask<NoResult> InvokeCore(object grain) => NoResult.From(((IRemindable)grain).ReceiveReminder(_name, _status));

    protected override void WriteArguments(Utf8JsonWriter writer, JsonSerializerOptions options)
    {
        WriteArgument(writer, _name, options);
        WriteArgument(writer, _status, options);
    }

    protected override void ReadArguments(ref Utf8JsonReader reader, JsonSerializerOptions options)
    {
        _name = ReadArgument<string>(ref reader, options);
        _status = ReadArgument<TickStatus>(ref reader, options);
    }

    protected override void CopyArguments(JsonSerializerOptions options)
    {
    }
}
