using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Atlas.Infrastructure.Streams;

/// <summary>
/// One consumer of a consumer group over a set of streams (the partitions of one kind of entry), delivering at least
/// once to an <see cref="IStreamBatchHandler{T}"/>:
/// <list type="bullet">
/// <item>At start (and after Redis comes back) it creates the group on every stream (<c>XGROUP CREATE … 0 MKSTREAM</c>;
///   an existing group is kept), then handles what it had read and not acknowledged before (its own pending entries).</item>
/// <item>It reads new entries of all streams in one <c>XREADGROUP … COUNT {BatchSize}</c>, parses them, gives the batch to
///   the handler and acknowledges (<c>XACK</c>) only after the handler returned.</item>
/// <item>Every <see cref="RedisStreamConsumerOptions.ClaimInterval"/> it takes over entries pending longer than
///   <see cref="RedisStreamConsumerOptions.ClaimIdleTime"/> (<c>XAUTOCLAIM</c>) — from consumers that died, hang, or
///   failed them — and handles them the same way.</item>
/// <item>Poison: an entry that cannot be parsed, or whose handler fails (not transiently) on its
///   <see cref="RedisStreamConsumerOptions.MaxDeliveries"/>-th delivery, is copied to <c>{stream}:dead</c> with the
///   reason and its original stream, id and fields, then acknowledged: the consumer moves on. A batch that fails is
///   handled again entry by entry, so one bad entry does not hold back the others.</item>
/// <item>Outages: Redis down, or the handler's store down (<see cref="IStreamBatchHandler{T}.IsTransient"/>), is logged
///   once, retried with back-off, and logged again when it ends; nothing is acknowledged meanwhile. If Redis lost the
///   group (a restart without persistence), the group is created again and reading resumes.</item>
/// </list>
/// Every command goes through StackExchange.Redis' typed stream API (<c>StreamCreateConsumerGroupAsync</c>,
/// <c>StreamReadGroupAsync</c>, <c>StreamAutoClaimAsync</c>, <c>StreamPendingMessagesAsync</c>, <c>StreamAcknowledgeAsync</c>,
/// <c>StreamAddAsync</c>, <c>StreamConsumerInfoAsync</c>, <c>StreamDeleteConsumerAsync</c>).
/// </summary>
public sealed partial class RedisStreamConsumer<T> : IAsyncDisposable
{
    private const string DeadLetterFieldPrefix = "f:";
    private static readonly TimeSpan StillDownLogInterval = TimeSpan.FromSeconds(30);

    private readonly RedisStreamConnection _connection;
    private readonly IReadOnlyList<string> _streams;
    private readonly RedisStreamConsumerOptions _options;
    private readonly IStreamBatchHandler<T> _handler;
    private readonly long _deadLetterMaxLength;
    private readonly ILogger _logger;
    private readonly KeyValuePair<string, object?> _groupTag;
    private readonly Dictionary<string, string> _claimCursors = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _abort = new();
    private Task? _loop;
    private long _processed;
    private long _deadLettered;
    private long _reclaimed;
    private long _trimmed;
    private Outage? _redisOutage;
    private Outage? _handlerOutage;
    private DateTime _nextConsumerExpiry = DateTime.MinValue;

    /// <param name="connection">The Redis connection (usually the process's shared one).</param>
    /// <param name="streams">The streams to consume (e.g. <see cref="RideStreamOptions.RideStreams"/>).</param>
    /// <param name="options">Group, consumer name, batch size, take-over and poison settings.</param>
    /// <param name="handler">Parses and handles the entries.</param>
    /// <param name="deadLetterMaxLength">Approximate length each dead-letter stream is trimmed to.</param>
    /// <param name="logger">Outages, take-overs and dead letters are logged here.</param>
    public RedisStreamConsumer(RedisStreamConnection connection, IReadOnlyList<string> streams, RedisStreamConsumerOptions options,
        IStreamBatchHandler<T> handler, long deadLetterMaxLength = 10_000, ILogger? logger = null)
    {
        _connection = connection ?? throw new ArgumentNullException(nameof(connection));
        ArgumentNullException.ThrowIfNull(streams);
        if (streams.Count == 0 || streams.Any(string.IsNullOrWhiteSpace) || streams.Distinct(StringComparer.Ordinal).Count() != streams.Count)
        {
            throw new ArgumentException("A consumer needs one or more distinct stream keys.", nameof(streams));
        }
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Clone();
        _options.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(deadLetterMaxLength, 1);
        _streams = streams.ToArray();
        _handler = handler ?? throw new ArgumentNullException(nameof(handler));
        _deadLetterMaxLength = deadLetterMaxLength;
        _logger = logger ?? NullLogger.Instance;
        _groupTag = new("group", _options.Group);
    }

    /// <summary>The group this consumer belongs to.</summary>
    public string Group => _options.Group;

    /// <summary>This consumer's name in the group.</summary>
    public string Name => _options.Consumer;

    /// <summary>Entries handled and acknowledged by this consumer.</summary>
    public long Processed => Interlocked.Read(ref _processed);

    /// <summary>Entries this consumer moved to dead-letter streams.</summary>
    public long DeadLettered => Interlocked.Read(ref _deadLettered);

    /// <summary>Entries this consumer took over from idle consumers.</summary>
    public long Reclaimed => Interlocked.Read(ref _reclaimed);

    /// <summary>Pending entries the streams had trimmed before this consumer could handle them.</summary>
    public long Trimmed => Interlocked.Read(ref _trimmed);

    /// <summary>Whether Redis or the handler's store is currently failing this consumer.</summary>
    public bool IsDegraded => _redisOutage is not null || _handlerOutage is not null;

    /// <summary>Starts consuming in the background; returns at once (Redis need not be up).</summary>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_loop is not null)
        {
            throw new InvalidOperationException($"Consumer {Name} of group {Group} is already started.");
        }
        _loop = Task.Run(RunAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Stops reading. The batch in hand is finished and acknowledged unless <paramref name="cancellationToken"/> is
    /// cancelled first, in which case it is abandoned unacknowledged (another consumer, or this one at its next start,
    /// handles it again).
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        _stopping.Cancel();
        if (_loop is null)
        {
            return;
        }
        using var registration = cancellationToken.Register(static state => ((CancellationTokenSource)state!).Cancel(), _abort);
        await _loop.ConfigureAwait(false);
    }

    /// <summary>Stops at once, abandoning the batch in hand (as a crash would, but without leaving the process).</summary>
    public async ValueTask DisposeAsync() => await StopAsync(new CancellationToken(canceled: true)).ConfigureAwait(false);

    // ---- The loop ------------------------------------------------------------------------------------------------

    private async Task RunAsync()
    {
        var groupsReady = false;
        var ownPendingDone = false;
        var nextClaim = DateTime.UtcNow;
        var backoff = _options.MinBackoff;
        LogStarted(Name, Group, string.Join(", ", _streams));
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                if (!groupsReady)
                {
                    await EnsureGroupsAsync().ConfigureAwait(false);
                    groupsReady = true;
                }
                if (!ownPendingDone)
                {
                    await HandleOwnPendingAsync().ConfigureAwait(false);
                    ownPendingDone = true;
                }
                if (DateTime.UtcNow >= nextClaim)
                {
                    await ReclaimAsync().ConfigureAwait(false);
                    await ExpireConsumersAsync().ConfigureAwait(false);
                    nextClaim = DateTime.UtcNow + _options.ClaimInterval;
                }
                var read = await ReadNewAsync().ConfigureAwait(false);
                RedisRecovered();
                backoff = _options.MinBackoff;
                if (read == 0)
                {
                    await Task.Delay(_options.PollInterval, _stopping.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                break;
            }
            catch (RedisServerException exception) when (IsMissingGroup(exception))
            {
                // Redis restarted without persistence (or someone deleted a stream): the group and its pending
                // entries are gone. Create it again; what producers appended since is read from the start.
                LogGroupMissing(Group, exception.Message);
                groupsReady = false;
                ownPendingDone = false;
            }
            catch (Exception exception) when (RedisStreamConnection.IsUnavailable(exception))
            {
                RedisFailed(exception);
                // After the outage, first take back what this consumer read and had not acknowledged.
                ownPendingDone = false;
                if (!await PauseAsync(backoff).ConfigureAwait(false))
                {
                    break;
                }
                backoff = Next(backoff);
            }
            catch (Exception exception)
            {
                LogUnexpected(Name, Group, exception);
                if (!await PauseAsync(backoff).ConfigureAwait(false))
                {
                    break;
                }
                backoff = Next(backoff);
            }
        }
        LogStopped(Name, Group, Processed);
    }

    private TimeSpan Next(TimeSpan backoff) => TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.MaxBackoff.Ticks));

    /// <summary>Waits, unless stopping; false if stopping.</summary>
    private async Task<bool> PauseAsync(TimeSpan delay)
    {
        try
        {
            await Task.Delay(delay, _stopping.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    // NOGROUP: the stream or the group is gone; "no such key": XINFO on a stream that is gone.
    private static bool IsMissingGroup(RedisServerException exception) =>
        exception.Message.StartsWith("NOGROUP", StringComparison.Ordinal) || exception.Message.Contains("no such key", StringComparison.OrdinalIgnoreCase);

    private async Task EnsureGroupsAsync()
    {
        await _connection.RunAsync($"creating consumer group {Group}", async database =>
        {
            var batch = database.CreateBatch();
            var creates = _streams.Select(stream => batch.StreamCreateConsumerGroupAsync(stream, Group, StreamPosition.Beginning, createStream: true)).ToArray();
            batch.Execute();
            foreach (var create in creates)
            {
                try
                {
                    await create.ConfigureAwait(false);
                }
                catch (RedisServerException exception) when (exception.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
                {
                    // The group exists: keep it, with its position and pending entries.
                }
            }
            return true;
        }, _stopping.Token).ConfigureAwait(false);
    }

    /// <summary>Handles what this consumer (by name) had read and not acknowledged: after a restart, or an outage.</summary>
    private async Task HandleOwnPendingAsync()
    {
        // From the start of this consumer's pending list (XREADGROUP … 0), then after the last entry each stream returned.
        var from = _streams.ToDictionary(s => s, _ => StreamPosition.Beginning, StringComparer.Ordinal);
        while (from.Count > 0 && !_stopping.IsCancellationRequested)
        {
            var streams = from.Keys.ToArray();
            var entries = await ReadGroupAsync(streams, streams.Select(s => from[s]).ToArray(), "reading own pending entries").ConfigureAwait(false);
            foreach (var stream in streams)
            {
                var last = entries.LastOrDefault(e => e.Stream == stream);
                if (last is null)
                {
                    from.Remove(stream);
                }
                else
                {
                    from[stream] = last.Id;
                }
            }
            if (entries.Count > 0)
            {
                LogOwnPending(Name, Group, entries.Count);
                await HandleAsync(entries, firstDelivery: false).ConfigureAwait(false);
            }
        }
    }

    private async Task<int> ReadNewAsync()
    {
        var entries = await ReadGroupAsync(_streams, _streams.Select(_ => StreamPosition.NewMessages).ToArray(), "reading new entries").ConfigureAwait(false);
        if (entries.Count > 0)
        {
            await HandleAsync(entries, firstDelivery: true).ConfigureAwait(false);
        }
        return entries.Count;
    }

    private async Task ReclaimAsync()
    {
        foreach (var stream in _streams)
        {
            var cursor = _claimCursors.GetValueOrDefault(stream, "0-0");
            var claimed = await _connection.RunAsync($"taking over idle entries of {stream}", database => database.StreamAutoClaimAsync(
                stream, Group, Name, (long)_options.ClaimIdleTime.TotalMilliseconds, cursor, _options.BatchSize), _stopping.Token).ConfigureAwait(false);
            _claimCursors[stream] = (string)claimed.NextStartId!;
            var entries = ToRawEntries(stream, claimed.ClaimedEntries);
            var trimmed = claimed.DeletedIds.Length;
            if (trimmed > 0)
            {
                // XAUTOCLAIM drops entries the stream trimmed away from the pending list by itself.
                CountTrimmed(stream, trimmed);
            }
            if (entries.Count > 0)
            {
                Interlocked.Add(ref _reclaimed, entries.Count);
                StreamMetrics.EntriesReclaimed.Add(entries.Count, _groupTag);
                LogReclaimed(Name, Group, entries.Count, stream, _options.ClaimIdleTime.TotalSeconds);
                await HandleAsync(entries, firstDelivery: false).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Removes consumers that left long ago with nothing pending, so the group does not grow with every restart.</summary>
    private async Task ExpireConsumersAsync()
    {
        if (DateTime.UtcNow < _nextConsumerExpiry)
        {
            return;
        }
        _nextConsumerExpiry = DateTime.UtcNow + TimeSpan.FromTicks(Math.Max(_options.ConsumerExpiry.Ticks / 10, TimeSpan.FromSeconds(1).Ticks));
        var expiryMs = (long)_options.ConsumerExpiry.TotalMilliseconds;
        foreach (var stream in _streams)
        {
            var consumers = await _connection.RunAsync($"listing the consumers of {stream}",
                database => database.StreamConsumerInfoAsync(stream, Group), _stopping.Token).ConfigureAwait(false);
            foreach (var consumer in consumers)
            {
                if (consumer.Name != Name && consumer.PendingMessageCount == 0 && consumer.IdleTimeInMilliseconds > expiryMs)
                {
                    await _connection.RunAsync($"removing consumer {consumer.Name} from {stream}",
                        database => database.StreamDeleteConsumerAsync(stream, Group, consumer.Name), _stopping.Token).ConfigureAwait(false);
                    LogConsumerExpired(consumer.Name, Group, stream);
                }
            }
        }
    }

    // ---- Handling a batch ----------------------------------------------------------------------------------------

    /// <summary>An entry as read: its fields are null if the stream trimmed it while it was pending.</summary>
    private sealed record RawEntry(string Stream, string Id, IReadOnlyList<KeyValuePair<string, string>>? Fields);

    private async Task HandleAsync(IReadOnlyList<RawEntry> entries, bool firstDelivery)
    {
        var trimmed = entries.Where(e => e.Fields is null).ToArray();
        if (trimmed.Length > 0)
        {
            // Read back from the pending list, but the stream no longer has them: nothing to hand over, only to forget.
            await AckAsync(trimmed.Select(e => (e.Stream, e.Id))).ConfigureAwait(false);
            foreach (var group in trimmed.GroupBy(e => e.Stream))
            {
                CountTrimmed(group.Key, group.Count());
            }
        }
        var present = entries.Where(e => e.Fields is not null).Select(e => new StreamEntry(e.Stream, e.Id, e.Fields!)).ToArray();
        if (present.Length == 0)
        {
            return;
        }
        var deliveries = firstDelivery ? null : await DeliveriesAsync(present).ConfigureAwait(false);
        var messages = new List<StreamMessage<T>>(present.Length);
        foreach (var entry in present)
        {
            var delivered = deliveries?.GetValueOrDefault((entry.Stream, entry.Id), 1) ?? 1;
            T value;
            try
            {
                value = _handler.Parse(entry);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                await DeadLetterAsync(entry, delivered, "malformed", $"malformed entry: {exception.Message}").ConfigureAwait(false);
                continue;
            }
            messages.Add(new StreamMessage<T>(entry, value, delivered));
        }
        if (messages.Count == 0)
        {
            return;
        }
        if (await TryHandleAsync(messages).ConfigureAwait(false) is not { } failure)
        {
            return;
        }
        if (messages.Count == 1)
        {
            await FailedAsync(messages[0], failure).ConfigureAwait(false);
            return;
        }
        // Something in the batch is wrong: find what, entry by entry, and let the rest through.
        LogIsolating(Name, Group, messages.Count, failure.Message);
        foreach (var message in messages)
        {
            if (await TryHandleAsync([message]).ConfigureAwait(false) is { } error)
            {
                await FailedAsync(message, error).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Runs the handler and acknowledges; retries transient failures with back-off until they pass (or the consumer
    /// stops: then the batch stays pending). Returns the failure of a handler that refused the batch, else null.
    /// </summary>
    private async Task<Exception?> TryHandleAsync(IReadOnlyList<StreamMessage<T>> messages)
    {
        var backoff = _options.MinBackoff;
        while (true)
        {
            try
            {
                await _handler.HandleAsync(messages, _abort.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_abort.IsCancellationRequested)
            {
                throw new OperationCanceledException("The consumer was stopped while its handler ran; the batch stays pending.", _stopping.Token);
            }
            catch (Exception exception) when (_handler.IsTransient(exception))
            {
                HandlerFailed(exception, messages.Count);
                await Task.Delay(backoff, _stopping.Token).ConfigureAwait(false);
                backoff = Next(backoff);
                continue;
            }
            catch (Exception exception)
            {
                HandlerRecovered();
                return exception;
            }
            HandlerRecovered();
            await AckAsync(messages.Select(m => (m.Entry.Stream, m.Entry.Id))).ConfigureAwait(false);
            Interlocked.Add(ref _processed, messages.Count);
            StreamMetrics.EntriesProcessed.Add(messages.Count, _groupTag);
            return null;
        }
    }

    /// <summary>An entry its handler refused on its own: dead-lettered at its last allowed delivery, else left pending for a later retry.</summary>
    private async Task FailedAsync(StreamMessage<T> message, Exception failure)
    {
        if (message.Deliveries >= _options.MaxDeliveries)
        {
            await DeadLetterAsync(message.Entry, message.Deliveries, "handler_failed",
                $"handler failed on delivery {message.Deliveries} of {_options.MaxDeliveries}: {failure.GetType().Name}: {failure.Message}").ConfigureAwait(false);
        }
        else
        {
            LogEntryFailed(message.Entry.Id, message.Entry.Stream, Group, message.Deliveries, _options.MaxDeliveries, _options.ClaimIdleTime.TotalSeconds, failure);
        }
    }

    private async Task DeadLetterAsync(StreamEntry entry, long deliveries, string kind, string reason)
    {
        var deadLetters = RideStreamOptions.DeadLetterStreamOf(entry.Stream);
        var fields = new List<NameValueEntry>(7 + entry.Fields.Count)
        {
            new("reason", reason),
            new("source_stream", entry.Stream),
            new("source_id", entry.Id),
            new("group", Group),
            new("consumer", Name),
            new("deliveries", deliveries),
            new("dead_at", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture)),
        };
        foreach (var (field, value) in entry.Fields)
        {
            fields.Add(new(DeadLetterFieldPrefix + field, value));
        }
        // Copy first, then acknowledge: a crash in between leaves a second copy, never a lost entry.
        await _connection.RunAsync($"dead-lettering {entry.Id} of {entry.Stream}", database => database.StreamAddAsync(
            deadLetters, fields.ToArray(), maxLength: _deadLetterMaxLength, useApproximateMaxLength: true), _stopping.Token).ConfigureAwait(false);
        await AckAsync([(entry.Stream, entry.Id)]).ConfigureAwait(false);
        Interlocked.Increment(ref _deadLettered);
        StreamMetrics.EntriesDeadLettered.Add(1, _groupTag, new("reason", kind));
        LogDeadLettered(entry.Id, entry.Stream, deadLetters, reason);
    }

    private async Task AckAsync(IEnumerable<(string Stream, string Id)> entries)
    {
        var byStream = entries.GroupBy(e => e.Stream).ToArray();
        if (byStream.Length == 0)
        {
            return;
        }
        // Not cancelled by stopping: what was handled is acknowledged, so it is not handled again.
        await _connection.RunAsync("acknowledging entries", async database =>
        {
            var batch = database.CreateBatch();
            var acks = byStream.Select(g => batch.StreamAcknowledgeAsync(g.Key, Group, g.Select(e => (RedisValue)e.Id).ToArray())).ToArray();
            batch.Execute();
            await Task.WhenAll(acks).ConfigureAwait(false);
            return true;
        }).ConfigureAwait(false);
    }

    /// <summary>The group's delivery counts of <paramref name="entries"/> (from <c>XPENDING</c>), by stream and id.</summary>
    private async Task<Dictionary<(string, string), long>> DeliveriesAsync(IReadOnlyList<StreamEntry> entries)
    {
        var counts = new Dictionary<(string, string), long>();
        foreach (var group in entries.GroupBy(e => e.Stream))
        {
            var ids = group.Select(e => e.Id).ToArray();
            var first = ids.MinBy(ParseId);
            var last = ids.MaxBy(ParseId);
            var pending = await _connection.RunAsync($"reading delivery counts in {group.Key}", database => database.StreamPendingMessagesAsync(
                group.Key, Group, ids.Length + 1_000, Name, first, last), _stopping.Token).ConfigureAwait(false);
            foreach (var message in pending)
            {
                counts[(group.Key, (string)message.MessageId!)] = message.DeliveryCount;
            }
        }
        return counts;
    }

    private static (ulong, ulong) ParseId(string id)
    {
        var dash = id.IndexOf('-', StringComparison.Ordinal);
        return (ulong.Parse(id.AsSpan(0, dash), CultureInfo.InvariantCulture), ulong.Parse(id.AsSpan(dash + 1), CultureInfo.InvariantCulture));
    }

    private async Task<List<RawEntry>> ReadGroupAsync(IReadOnlyList<string> streams, IReadOnlyList<RedisValue> positions, string action)
    {
        var from = new StreamPosition[streams.Count];
        for (var i = 0; i < from.Length; i++)
        {
            from[i] = new StreamPosition(streams[i], positions[i]);
        }
        var read = await _connection.RunAsync(action, database => database.StreamReadGroupAsync(from, Group, Name, _options.BatchSize), _stopping.Token)
            .ConfigureAwait(false);
        var entries = new List<RawEntry>();
        foreach (var stream in read)
        {
            entries.AddRange(ToRawEntries(stream.Key!, stream.Entries));
        }
        return entries;
    }

    private static List<RawEntry> ToRawEntries(string stream, StackExchange.Redis.StreamEntry[] read)
    {
        var entries = new List<RawEntry>(read.Length);
        foreach (var item in read)
        {
            if (item.IsNull)
            {
                continue; // Redis 6.2's XAUTOCLAIM answers a claimed entry the stream has deleted as nil (7.0 lists its id apart)
            }
            // Redis answers a pending entry the stream has trimmed since with its id and no fields (an entry always has some).
            if (item.Values.Length == 0)
            {
                entries.Add(new RawEntry(stream, (string)item.Id!, null));
                continue;
            }
            var fields = new KeyValuePair<string, string>[item.Values.Length];
            for (var i = 0; i < fields.Length; i++)
            {
                fields[i] = new((string)item.Values[i].Name!, (string)item.Values[i].Value!);
            }
            entries.Add(new RawEntry(stream, (string)item.Id!, fields));
        }
        return entries;
    }

    private void CountTrimmed(string stream, int count)
    {
        Interlocked.Add(ref _trimmed, count);
        StreamMetrics.EntriesLost.Add(count, _groupTag);
        LogTrimmed(count, stream, Group);
    }

    // ---- Outage bookkeeping: one warning when it starts, one every 30 s while it lasts, one line when it ends ---------

    private sealed class Outage
    {
        public Stopwatch Since { get; } = Stopwatch.StartNew();
        public TimeSpan LastLogged { get; set; }
    }

    private void RedisFailed(Exception exception)
    {
        if (_redisOutage is null)
        {
            _redisOutage = new Outage();
            LogRedisUnavailable(Name, Group, exception.Message);
        }
        else if (_redisOutage.Since.Elapsed - _redisOutage.LastLogged >= StillDownLogInterval)
        {
            _redisOutage.LastLogged = _redisOutage.Since.Elapsed;
            LogRedisStillUnavailable(Name, Group, _redisOutage.Since.Elapsed.TotalSeconds, exception.Message);
        }
    }

    private void RedisRecovered()
    {
        if (_redisOutage is { } outage)
        {
            _redisOutage = null;
            LogRedisRecovered(Name, Group, outage.Since.Elapsed.TotalSeconds);
        }
    }

    private void HandlerFailed(Exception exception, int count)
    {
        if (_handlerOutage is null)
        {
            _handlerOutage = new Outage();
            LogHandlerUnavailable(Name, Group, count, exception.Message);
        }
        else if (_handlerOutage.Since.Elapsed - _handlerOutage.LastLogged >= StillDownLogInterval)
        {
            _handlerOutage.LastLogged = _handlerOutage.Since.Elapsed;
            LogHandlerStillUnavailable(Name, Group, _handlerOutage.Since.Elapsed.TotalSeconds, exception.Message);
        }
    }

    private void HandlerRecovered()
    {
        if (_handlerOutage is { } outage)
        {
            _handlerOutage = null;
            LogHandlerRecovered(Name, Group, outage.Since.Elapsed.TotalSeconds);
        }
    }

    [LoggerMessage(1, LogLevel.Information, "Stream consumer {Consumer} of group {Group} started on {Streams}")]
    private partial void LogStarted(string consumer, string group, string streams);

    [LoggerMessage(2, LogLevel.Information, "Stream consumer {Consumer} of group {Group} stopped after handling {Processed} entries")]
    private partial void LogStopped(string consumer, string group, long processed);

    [LoggerMessage(3, LogLevel.Warning, "Stream consumer {Consumer} of group {Group}: Redis is unavailable ({Reason}); nothing is read or acknowledged until it is back, retrying with back-off")]
    private partial void LogRedisUnavailable(string consumer, string group, string reason);

    [LoggerMessage(4, LogLevel.Warning, "Stream consumer {Consumer} of group {Group}: Redis still unavailable after {Seconds:0} s ({Reason})")]
    private partial void LogRedisStillUnavailable(string consumer, string group, double seconds, string reason);

    [LoggerMessage(5, LogLevel.Information, "Stream consumer {Consumer} of group {Group}: Redis is back after {Seconds:0.0} s; consuming again")]
    private partial void LogRedisRecovered(string consumer, string group, double seconds);

    [LoggerMessage(6, LogLevel.Warning, "Stream consumer {Consumer} of group {Group}: the handler's store is unavailable ({Reason}); {Count} entries wait unacknowledged, retrying with back-off")]
    private partial void LogHandlerUnavailable(string consumer, string group, int count, string reason);

    [LoggerMessage(7, LogLevel.Warning, "Stream consumer {Consumer} of group {Group}: the handler's store still unavailable after {Seconds:0} s ({Reason})")]
    private partial void LogHandlerStillUnavailable(string consumer, string group, double seconds, string reason);

    [LoggerMessage(8, LogLevel.Information, "Stream consumer {Consumer} of group {Group}: the handler's store is back after {Seconds:0.0} s")]
    private partial void LogHandlerRecovered(string consumer, string group, double seconds);

    [LoggerMessage(9, LogLevel.Warning, "Consumer group {Group} is missing ({Reason}): Redis lost it (a restart without persistence?); creating it again")]
    private partial void LogGroupMissing(string group, string reason);

    [LoggerMessage(10, LogLevel.Error, "Stream consumer {Consumer} of group {Group} failed unexpectedly; retrying with back-off")]
    private partial void LogUnexpected(string consumer, string group, Exception exception);

    [LoggerMessage(11, LogLevel.Information, "Stream consumer {Consumer} of group {Group} handles {Count} entries it had read and not acknowledged before")]
    private partial void LogOwnPending(string consumer, string group, int count);

    [LoggerMessage(12, LogLevel.Information, "Stream consumer {Consumer} of group {Group} took over {Count} entries of {Stream} pending for more than {Seconds} s")]
    private partial void LogReclaimed(string consumer, string group, int count, string stream, double seconds);

    [LoggerMessage(13, LogLevel.Warning, "Stream consumer {Consumer} of group {Group}: a batch of {Count} entries failed ({Reason}); handling them one by one")]
    private partial void LogIsolating(string consumer, string group, int count, string reason);

    [LoggerMessage(14, LogLevel.Warning, "Entry {Id} of {Stream} failed in group {Group} on delivery {Delivery} of {MaxDeliveries}; it stays pending and is retried after {Seconds} s")]
    private partial void LogEntryFailed(string id, string stream, string group, long delivery, int maxDeliveries, double seconds, Exception exception);

    [LoggerMessage(15, LogLevel.Error, "Entry {Id} of {Stream} moved to {DeadLetters}: {Reason}")]
    private partial void LogDeadLettered(string id, string stream, string deadLetters, string reason);

    [LoggerMessage(16, LogLevel.Warning, "{Count} pending entries of {Stream} were trimmed from the stream before group {Group} handled them (the stream's MAXLEN is too small for the consumers' lag)")]
    private partial void LogTrimmed(int count, string stream, string group);

    [LoggerMessage(17, LogLevel.Information, "Removed consumer {Consumer} (idle, nothing pending) from group {Group} of {Stream}")]
    private partial void LogConsumerExpired(string consumer, string group, string stream);
}
