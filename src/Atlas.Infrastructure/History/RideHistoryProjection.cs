using System.Text.Json;
using System.Threading.Channels;
using Atlas.Grains.Rides.Events;
using Atlas.Grains.Rides.History;
using Atlas.Grains.Streams;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Atlas.Infrastructure.History;

/// <summary>A store the ride history projection writes batches to (PostgreSQL, SQLite); one instance per writing loop.</summary>
public interface IHistoryBatchWriter : IAsyncDisposable
{
    /// <summary>Stores ride events and moves the rides' summaries forward, in one transaction; repeats insert nothing.</summary>
    Task WriteRideEventsAsync(IReadOnlyList<RideEventMessage> events, CancellationToken cancellationToken);

    /// <summary>Stores driver positions in one transaction; repeats insert nothing.</summary>
    Task WriteDriverPositionsAsync(IReadOnlyList<DriverLocationMessage> positions, CancellationToken cancellationToken);

    /// <summary>Sets an event aside with the reason the store refused it.</summary>
    Task WriteDeadLetterAsync(string kind, string key, int? sequence, string payload, string reason, CancellationToken cancellationToken);

    /// <summary>Whether the store refused the values themselves (never better on a retry), rather than being unavailable.</summary>
    bool IsRefusal(Exception exception);
}

/// <summary>Tuning of the ride history projection's group commit.</summary>
public sealed class RideHistoryProjectionOptions
{
    /// <summary>Most events (or positions) written in one transaction (default 1 000).</summary>
    public int MaxBatch { get; set; } = 1_000;

    /// <summary>Transactions of ride events in flight at once, each on its own connection (default 2).</summary>
    public int RideWriters { get; set; } = 2;

    /// <summary>Transactions of positions in flight at once (default 1).</summary>
    public int PositionWriters { get; set; } = 1;
}

/// <summary>
/// The ride history projection (<see cref="IRideHistoryProjection"/>) with group commit: the stream consumers — one
/// grain per ride, one per driver — each hand over an event and wait; what arrives while a transaction is in flight
/// goes into the next one, so the store sees a few large transactions instead of one per event, and every consumer
/// still returns only after its event is committed. If the store refuses a batch because of a value (not because it
/// is down), the batch is written again request by request and then event by event: an event the store refuses on
/// its own is set aside in the dead letters with the reason (counted in <c>atlas.streams.dead_lettered</c>) and the
/// others go through. While the store is down every request fails, and the stream delivers the events again.
/// </summary>
public sealed partial class RideHistoryProjection : IRideHistoryProjection, IAsyncDisposable
{
    private static readonly KeyValuePair<string, object?> RideKind = new("kind", "ride_event");
    private static readonly KeyValuePair<string, object?> PositionKind = new("kind", "position");

    private readonly Lane<RideEventMessage> _rides;
    private readonly Lane<DriverLocationMessage> _positions;

    public RideHistoryProjection(Func<IHistoryBatchWriter> createWriter, RideHistoryProjectionOptions? options = null, ILogger<RideHistoryProjection>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(createWriter);
        options ??= new RideHistoryProjectionOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxBatch, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.RideWriters, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.PositionWriters, 1);
        var log = (ILogger?)logger ?? NullLogger.Instance;
        _rides = new Lane<RideEventMessage>(createWriter, options.RideWriters, options.MaxBatch, log, RideKind,
            static (writer, items, token) => writer.WriteRideEventsAsync(items, token),
            static e => ("ride_event", e.RideId, e.Sequence, JsonSerializer.Serialize(e)));
        _positions = new Lane<DriverLocationMessage>(createWriter, options.PositionWriters, options.MaxBatch, log, PositionKind,
            static (writer, items, token) => writer.WriteDriverPositionsAsync(items, token),
            static p => ("position", p.DriverId, null, JsonSerializer.Serialize(p)));
    }

    public Task ProjectRideEventsAsync(IReadOnlyList<RideEventMessage> events, CancellationToken cancellationToken = default) =>
        _rides.SubmitAsync(events, cancellationToken);

    public Task ProjectDriverPositionsAsync(IReadOnlyList<DriverLocationMessage> positions, CancellationToken cancellationToken = default) =>
        _positions.SubmitAsync(positions, cancellationToken);

    private int _disposed;

    /// <summary>Stops the writing loops; requests still queued fail. Safe to call twice (DI disposes it under both its registrations).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        await _rides.DisposeAsync();
        await _positions.DisposeAsync();
    }

    private sealed record Request<T>(IReadOnlyList<T> Items, TaskCompletionSource Done);

    /// <summary>One kind of event: a queue of requests and the loops that write them in batches.</summary>
    private sealed class Lane<T> : IAsyncDisposable
    {
        private readonly Channel<Request<T>> _queue = Channel.CreateUnbounded<Request<T>>(new UnboundedChannelOptions { SingleWriter = false });
        private readonly Func<IHistoryBatchWriter> _createWriter;
        private readonly int _writers;
        private readonly int _maxBatch;
        private readonly ILogger _logger;
        private readonly KeyValuePair<string, object?> _kind;
        private readonly Func<IHistoryBatchWriter, IReadOnlyList<T>, CancellationToken, Task> _write;
        private readonly Func<T, (string Kind, string Key, int? Sequence, string Payload)> _describe;
        private readonly CancellationTokenSource _stopping = new();
        private readonly object _startLock = new();
        private Task[]? _loops;

        public Lane(Func<IHistoryBatchWriter> createWriter, int writers, int maxBatch, ILogger logger, KeyValuePair<string, object?> kind,
            Func<IHistoryBatchWriter, IReadOnlyList<T>, CancellationToken, Task> write, Func<T, (string, string, int?, string)> describe)
        {
            _createWriter = createWriter;
            _writers = writers;
            _maxBatch = maxBatch;
            _logger = logger;
            _kind = kind;
            _write = write;
            _describe = describe;
        }

        public Task SubmitAsync(IReadOnlyList<T> items, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(items);
            if (items.Count == 0)
            {
                return Task.CompletedTask;
            }
            EnsureStarted();
            var request = new Request<T>(items, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            if (!_queue.Writer.TryWrite(request))
            {
                throw new ObjectDisposedException(nameof(RideHistoryProjection));
            }
            return request.Done.Task.WaitAsync(cancellationToken);
        }

        private void EnsureStarted()
        {
            if (Volatile.Read(ref _loops) is not null)
            {
                return;
            }
            lock (_startLock)
            {
                _loops ??= Enumerable.Range(0, _writers).Select(_ => Task.Run(RunAsync)).ToArray();
            }
        }

        private async Task RunAsync()
        {
            await using var writer = _createWriter();
            var batch = new List<Request<T>>();
            var items = new List<T>();
            try
            {
                while (await _queue.Reader.WaitToReadAsync(_stopping.Token).ConfigureAwait(false))
                {
                    batch.Clear();
                    items.Clear();
                    while (items.Count < _maxBatch && _queue.Reader.TryRead(out var request))
                    {
                        batch.Add(request);
                        items.AddRange(request.Items);
                    }
                    if (batch.Count > 0)
                    {
                        await WriteAsync(writer, batch, items).ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
            }
            while (_queue.Reader.TryRead(out var left))
            {
                left.Done.TrySetException(new ObjectDisposedException(nameof(RideHistoryProjection)));
            }
        }

        private async Task WriteAsync(IHistoryBatchWriter writer, List<Request<T>> batch, List<T> items)
        {
            try
            {
                await _write(writer, items, _stopping.Token).ConfigureAwait(false);
                Completed(batch, items.Count);
                return;
            }
            catch (Exception exception) when (!writer.IsRefusal(exception))
            {
                foreach (var request in batch)
                {
                    request.Done.TrySetException(exception);
                }
                return;
            }
            catch (Exception)
            {
                // One or more values refused: find them, one request and then one event at a time.
            }
            foreach (var request in batch)
            {
                try
                {
                    await WriteAloneAsync(writer, request.Items).ConfigureAwait(false);
                    request.Done.TrySetResult();
                }
                catch (Exception exception)
                {
                    request.Done.TrySetException(exception);
                }
            }
        }

        private async Task WriteAloneAsync(IHistoryBatchWriter writer, IReadOnlyList<T> items)
        {
            if (items.Count > 1)
            {
                try
                {
                    await _write(writer, items, _stopping.Token).ConfigureAwait(false);
                    StreamMetrics.Projected.Add(items.Count, _kind);
                    return;
                }
                catch (Exception exception) when (writer.IsRefusal(exception))
                {
                    // One of them is refused: try each.
                }
            }
            foreach (var item in items)
            {
                try
                {
                    await _write(writer, [item], _stopping.Token).ConfigureAwait(false);
                    StreamMetrics.Projected.Add(1, _kind);
                }
                catch (Exception exception) when (writer.IsRefusal(exception))
                {
                    var (kind, key, sequence, payload) = _describe(item);
                    var reason = $"{exception.GetType().Name}: {exception.Message}";
                    await writer.WriteDeadLetterAsync(kind, key, sequence, payload, reason, _stopping.Token).ConfigureAwait(false);
                    StreamMetrics.DeadLettered.Add(1, new KeyValuePair<string, object?>("source", "projection"), new KeyValuePair<string, object?>("reason", "refused"));
                    LogDeadLettered(_logger, kind, key, sequence, reason);
                }
            }
        }

        private void Completed(List<Request<T>> batch, int count)
        {
            StreamMetrics.Projected.Add(count, _kind);
            foreach (var request in batch)
            {
                request.Done.TrySetResult();
            }
        }

        public async ValueTask DisposeAsync()
        {
            _queue.Writer.TryComplete();
            _stopping.Cancel();
            if (_loops is { } loops)
            {
                await Task.WhenAll(loops).ConfigureAwait(false);
            }
            _stopping.Dispose();
        }
    }

    [LoggerMessage(LogLevel.Error, "Ride history: {Kind} of {Key} (sequence {Sequence}) refused by the store and dead-lettered: {Reason}")]
    private static partial void LogDeadLettered(ILogger logger, string kind, string key, int? sequence, string reason);
}
