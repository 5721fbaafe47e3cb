using System.Diagnostics;
using System.Threading.Channels;
using Atlas.Grains.Rides.Events;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Atlas.Infrastructure.Streams;

/// <summary>
/// Driver positions to the position streams without ever blocking a location update: <see cref="Append"/> puts the
/// position in a bounded in-memory buffer and returns; one background loop writes what waits as pipelined <c>XADD</c>s
/// (to <c>{KeyPrefix}locations:{p}</c>, the partition of the driver) every <see cref="RideStreamOptions.LocationFlushInterval"/>,
/// or at once when <see cref="RideStreamOptions.LocationBatchSize"/> are waiting. Under sustained overload, or while
/// Redis is down, positions are dropped — the newest first once the buffer is full, a whole batch when its write
/// fails — and counted (<see cref="Dropped"/>, metric <c>atlas.streams.locations.dropped</c>): drivers send a new
/// position every few seconds, so history has gaps rather than the platform slowing down.
/// </summary>
public sealed partial class RedisLocationHistorySink : ILocationHistorySink, IAsyncDisposable, IDisposable
{
    private static readonly KeyValuePair<string, object?> BufferFull = new("reason", "buffer_full");
    private static readonly KeyValuePair<string, object?> WriteFailed = new("reason", "write_failed");
    private static readonly KeyValuePair<string, object?> Shutdown = new("reason", "shutdown");

    private readonly RedisStreamConnection _connection;
    private readonly RideStreamOptions _options;
    private readonly ILogger _logger;
    private readonly Channel<DriverLocationMessage> _buffer;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _writer;
    private long _dropped;
    private long _written;
    private long _lastFailureLog = -1;

    public RedisLocationHistorySink(RedisStreamConnection connection, RideStreamOptions options, ILogger<RedisLocationHistorySink>? logger = null)
    {
        _connection = connection ?? throw new ArgumentNullException(nameof(connection));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        options.Validate();
        _logger = logger ?? (ILogger)NullLogger.Instance;
        // FullMode.Wait with TryWrite: a full buffer refuses the write at once (counted as dropped), it never waits.
        _buffer = Channel.CreateBounded<DriverLocationMessage>(new BoundedChannelOptions(options.LocationBufferCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,
        });
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>Positions dropped so far (buffer full, failed writes, shutdown).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Positions appended to Redis so far.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Positions waiting in the buffer.</summary>
    public int Buffered => _buffer.Reader.Count;

    public void Append(DriverLocationMessage location)
    {
        ArgumentNullException.ThrowIfNull(location);
        if (!_buffer.Writer.TryWrite(location))
        {
            Drop(1, _stopping.IsCancellationRequested ? Shutdown : BufferFull);
        }
    }

    private async Task WriteLoopAsync()
    {
        var reader = _buffer.Reader;
        var batch = new List<DriverLocationMessage>(_options.LocationBatchSize);
        try
        {
            while (await reader.WaitToReadAsync(_stopping.Token).ConfigureAwait(false))
            {
                await FillAsync(reader, batch).ConfigureAwait(false);
                if (!await WriteAsync(batch).ConfigureAwait(false))
                {
                    await Task.Delay(_options.LocationRetryDelay, _stopping.Token).ConfigureAwait(false);
                }
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
        catch (ChannelClosedException)
        {
        }
        // Disposal: what is still buffered gets one last write.
        while (reader.TryRead(out var location))
        {
            batch.Add(location);
            if (batch.Count == _options.LocationBatchSize)
            {
                await WriteAsync(batch).ConfigureAwait(false);
                batch.Clear();
            }
        }
        await WriteAsync(batch).ConfigureAwait(false);
    }

    /// <summary>Takes what waits, then waits until the batch is full or the oldest position has waited the flush interval.</summary>
    private async Task FillAsync(ChannelReader<DriverLocationMessage> reader, List<DriverLocationMessage> batch)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            while (batch.Count < _options.LocationBatchSize && reader.TryRead(out var location))
            {
                batch.Add(location);
            }
            var left = _options.LocationFlushInterval - Stopwatch.GetElapsedTime(started);
            if (batch.Count >= _options.LocationBatchSize || left <= TimeSpan.Zero || _stopping.IsCancellationRequested)
            {
                return;
            }
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            wait.CancelAfter(left);
            try
            {
                if (!await reader.WaitToReadAsync(wait.Token).ConfigureAwait(false))
                {
                    return; // completed: write what we have
                }
            }
            catch (OperationCanceledException)
            {
                return; // the interval is over (or the sink is stopping): write what we have
            }
        }
    }

    /// <summary>One pipelined round trip; true if every position was appended.</summary>
    private async Task<bool> WriteAsync(List<DriverLocationMessage> batch)
    {
        if (batch.Count == 0)
        {
            return true;
        }
        var appends = new (RedisKey Stream, NameValueEntry[] Fields)[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            appends[i] = (_options.LocationStreamOf(batch[i].DriverId), RideStreamEntries.Fields(batch[i]));
        }
        try
        {
            var failed = await _connection.RunAsync($"appending {batch.Count} driver positions", async database =>
            {
                var pipeline = database.CreateBatch();
                var pending = new Task<RedisValue>[appends.Length];
                for (var i = 0; i < appends.Length; i++)
                {
                    pending[i] = RideStreamEntries.AppendAsync(pipeline, appends[i].Stream, _options.LocationStreamMaxLength, appends[i].Fields);
                }
                pipeline.Execute();
                try
                {
                    await Task.WhenAll(pending).ConfigureAwait(false);
                }
                catch (RedisServerException)
                {
                    // Counted below, entry by entry: the others of the batch were appended.
                }
                return pending.Count(t => !t.IsCompletedSuccessfully);
            }).ConfigureAwait(false);
            Interlocked.Add(ref _written, batch.Count - failed);
            StreamMetrics.LocationsAppended.Add(batch.Count - failed);
            if (failed > 0)
            {
                Drop(failed, WriteFailed);
            }
            return failed == 0;
        }
        catch (Exception exception) when (exception is StreamUnavailableException or RedisException)
        {
            Drop(batch.Count, _stopping.IsCancellationRequested ? Shutdown : WriteFailed);
            // At most one warning every 10 s: an outage would otherwise log ten times a second.
            var now = Environment.TickCount64;
            var last = Interlocked.Read(ref _lastFailureLog);
            if ((last < 0 || now - last >= 10_000) && Interlocked.CompareExchange(ref _lastFailureLog, now, last) == last)
            {
                LogWriteFailed(batch.Count, Dropped, exception);
            }
            return false;
        }
    }

    private void Drop(long count, KeyValuePair<string, object?> reason)
    {
        Interlocked.Add(ref _dropped, count);
        StreamMetrics.LocationsDropped.Add(count, reason);
    }

    [LoggerMessage(1, LogLevel.Warning, "Could not append {Count} driver positions to Redis; they are dropped ({Dropped} dropped in all)")]
    private partial void LogWriteFailed(int count, long dropped, Exception exception);

    /// <summary>Stops taking positions, writes what is buffered (bounded by the operation timeout), then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_buffer.Writer.TryComplete())
        {
            return;
        }
        _stopping.Cancel();
        try
        {
            await _writer.WaitAsync(_options.OperationTimeout + TimeSpan.FromSeconds(1)).ConfigureAwait(false);
            _stopping.Dispose();
        }
        catch (TimeoutException)
        {
            // Redis is too slow to take the rest: it is dropped with the process (the loop still runs, so the token stays).
        }
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
