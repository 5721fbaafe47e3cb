using System.Collections.Concurrent;
using System.Diagnostics;
using Atlas.Bench.Harness;
using Atlas.Bench.Silos;
using Atlas.Grains.Rides;
using Atlas.Grains.Rides.Events;
using Atlas.Grains.Rides.History;
using Atlas.Grains.Streams;
using Atlas.Hosting.Streams.Redis;
using Atlas.Infrastructure.History;
using Atlas.Infrastructure.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Serialization;
using Orleans.Streams;
using StackExchange.Redis;

namespace Atlas.Bench.Events;

/// <summary>
/// Ride events through the platform's durable stream provider into the ride history. Atlas: rides publish each event
/// on their own Orleans stream (<c>OnNextBatchAsync</c>, as <c>OrderGrain</c> does after each stored change) through
/// the Redis Streams provider of an embedded silo; the pulling agents deliver to the implicit per-ride consumer
/// grains, which project into PostgreSQL through the group-committing <see cref="RideHistoryProjection"/>. Baseline:
/// the same payloads with raw <c>XADD</c> to as many Redis streams, one consumer loop per stream doing
/// <c>XREADGROUP COUNT 256</c> → one <see cref="RideHistoryWriter"/> batch → <c>XACK</c>, the same poll interval after
/// an empty read. Both into the same PostgreSQL tables, same rides in flight, taking turns; end-to-end latency is from
/// the publish call to the event's commit in PostgreSQL.
/// </summary>
public sealed class EventsScenario : IScenario
{
    private const int EventsPerRide = 5;
    private const int RidesInFlight = 256;
    private const int Queues = 8;
    private const int ReadCount = 256;
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);
    private const double Target = 0.5;

    public string Name => "events";

    public string Description =>
        $"ride events through the Redis stream provider and per-ride consumer grains into PostgreSQL vs raw XADD + XREADGROUP + the same writer, {RidesInFlight} rides in flight";

    public async Task RunAsync(BenchSettings settings, BenchLog log, BenchReport report)
    {
        var rounds = settings.RoundsOr(quick: 2, full: 3);
        var ridesPerPass = settings.Quick ? 1_500 : 6_000;
        var runId = Guid.NewGuid().ToString("N")[..8];
        var prefix = $"atlas:bench:{runId}:streams:";
        var services = await BenchServices.EnsureAsync(log);
        var timing = new Timing();
        await using var silo = await EmbeddedSilo.StartAsync(silo =>
        {
            silo.Services.AddPostgresRideHistory(services.Postgres);
            silo.Services.Replace(ServiceDescriptor.Singleton<IRideHistoryProjection>(sp => new TimedProjection(sp.GetRequiredService<RideHistoryProjection>(), timing)));
        }, settings: new Dictionary<string, string?>
        {
            ["ConnectionStrings:Redis"] = services.Redis,
            ["Atlas:Streams:Redis:KeyPrefix"] = prefix,
            ["Atlas:Streams:Queues"] = Queues.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Atlas:Streams:PollInterval"] = PollInterval.ToString(),
        });
        var provider = silo.Services.GetRequiredKeyedService<IStreamProvider>(AtlasStreams.ProviderName);
        var serializer = silo.Services.GetRequiredService<Serializer<RedisQueuePayload>>();
        using var redis = await ConnectionMultiplexer.ConnectAsync(services.Redis);
        var db = redis.GetDatabase();
        await using var dataSource = PostgresDataSource.Create(new PostgresStorageOptions { ConnectionString = services.Postgres });
        var rawKeys = Enumerable.Range(0, Queues).Select(q => $"{prefix}raw:{q}").ToArray();
        log.Progress($"{ridesPerPass:N0} rides × {EventsPerRide} events per pass, {RidesInFlight} rides in flight, {rounds} rounds per side");

        // Warm-up: activations, connections, the schema.
        await AtlasPassAsync(provider, timing, Rides($"{runId}-warm", 200));
        var passes = 0;
        try
        {
            var results = await Rounds.AlternateAsync(rounds, log, "events",
                ("atlas   ", () => AtlasPassAsync(provider, timing, Rides($"{runId}-a{passes++}", ridesPerPass))),
                ("baseline", () => BaselinePassAsync(db, dataSource, serializer, rawKeys, Rides($"{runId}-b{passes++}", ridesPerPass))));
            var atlas = Rounds.Median(results[0].Select(r => r.EventsPerSecond));
            var baseline = Rounds.Median(results[1].Select(r => r.EventsPerSecond));
            var ratio = Rounds.MedianRatio(results[0].Select(r => r.EventsPerSecond).ToArray(), results[1].Select(r => r.EventsPerSecond).ToArray());
            report.Atlas.Add("how", "OnNextBatchAsync per event on the ride's Orleans stream (Redis Streams provider, 8 queues) -> pulling agents (up to 16 waiting batches of a stream at once) -> implicit per-ride batch consumer grain -> group-committed COPY into PostgreSQL");
            report.Atlas["events_per_s"] = BenchReport.Figure(atlas);
            report.Atlas["latency_p50_ms"] = BenchReport.Figure(Rounds.Median(results[0].Select(r => r.P50Ms)));
            report.Atlas["latency_p99_ms"] = BenchReport.Figure(Rounds.Median(results[0].Select(r => r.P99Ms)));
            report.Baseline.Add("how", $"XADD per event to {Queues} Redis streams; per stream one loop XREADGROUP COUNT {ReadCount} -> RideHistoryWriter batch (COPY) -> XACK; {PollInterval.TotalMilliseconds} ms pause after an empty read");
            report.Baseline["events_per_s"] = BenchReport.Figure(baseline);
            report.Baseline["latency_p50_ms"] = BenchReport.Figure(Rounds.Median(results[1].Select(r => r.P50Ms)));
            report.Baseline["latency_p99_ms"] = BenchReport.Figure(Rounds.Median(results[1].Select(r => r.P99Ms)));
            report.BaselineDescription = "raw XADD + XREADGROUP + XACK around the same PostgreSQL writer, same Redis, same payloads";
            report.Ratio = ratio;
            report.RatioDefinition = "median over rounds of atlas events/s ÷ baseline events/s, each from the first publish to the last event committed in PostgreSQL";
            report.AddMinimumTarget("throughput_ratio", ratio, Target);
            report.Details["rides_per_pass"] = ridesPerPass;
            report.Details["events_per_pass"] = ridesPerPass * EventsPerRide;
            report.Details["rides_in_flight"] = RidesInFlight;
            report.Details["queues"] = Queues;
        }
        finally
        {
            var keys = rawKeys.Concat(Enumerable.Range(0, Queues).Select(q => $"{prefix}{q}")).Select(k => (RedisKey)k).ToArray();
            await db.KeyDeleteAsync(keys);
        }
    }

    private static IReadOnlyList<IReadOnlyList<RideEventMessage>> Rides(string tag, int count)
    {
        var created = DateTimeOffset.UtcNow;
        return Enumerable.Range(0, count).Select(r =>
        {
            var rideId = $"bench-{tag}-{r}";
            return (IReadOnlyList<RideEventMessage>)Enumerable.Range(1, EventsPerRide).Select(sequence => new RideEventMessage(rideId, sequence,
                sequence switch { 1 => "created", 2 => "requested", 3 => "offered", 4 => "matched", _ => "cancelled" },
                RideActor.System, "bench", created.AddMilliseconds(sequence), sequence < EventsPerRide ? RideStatus.Created : RideStatus.Cancelled,
                $"rider-{tag}-{r}", null, "economy", "bench", "EUR", 1_000, null, null, null, created)).ToArray();
        }).ToArray();
    }

    private static async Task<EventsPass> AtlasPassAsync(IStreamProvider provider, Timing timing, IReadOnlyList<IReadOnlyList<RideEventMessage>> rides)
    {
        var total = rides.Count * EventsPerRide;
        timing.Start(total);
        var clock = Stopwatch.StartNew();
        await ForEachRideAsync(rides, async ride =>
        {
            var stream = provider.GetStream<RideEventMessage>(AtlasStreams.RideStream(ride[0].RideId));
            foreach (var e in ride)
            {
                timing.Published(e);
                await stream.OnNextBatchAsync([e]);
            }
        });
        await timing.AllStored.WaitAsync(TimeSpan.FromMinutes(5));
        return timing.Finish(clock.Elapsed);
    }

    private static async Task<EventsPass> BaselinePassAsync(IDatabase db, Npgsql.NpgsqlDataSource dataSource, Serializer<RedisQueuePayload> serializer,
        string[] keys, IReadOnlyList<IReadOnlyList<RideEventMessage>> rides)
    {
        const string Group = "bench";
        foreach (var key in keys)
        {
            try
            {
                await db.StreamCreateConsumerGroupAsync(key, Group, StackExchange.Redis.StreamPosition.NewMessages, createStream: true);
            }
            catch (RedisServerException exception) when (exception.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
            {
            }
        }
        var total = rides.Count * EventsPerRide;
        var published = new ConcurrentDictionary<(string, int), long>();
        var latencies = new ConcurrentBag<long>();
        var stored = 0;
        using var stop = new CancellationTokenSource();
        var consumers = keys.Select(key => Task.Run(async () =>
        {
            await using var writer = new RideHistoryWriter(dataSource);
            while (!stop.IsCancellationRequested)
            {
                var entries = await db.StreamReadGroupAsync(key, Group, "bench-consumer", StackExchange.Redis.StreamPosition.NewMessages, ReadCount);
                if (entries.Length == 0)
                {
                    await Task.Delay(PollInterval);
                    continue;
                }
                var events = entries.SelectMany(e => serializer.Deserialize((byte[])e[RedisQueueEntries.DataField]!)!.Events.Cast<RideEventMessage>()).ToArray();
                await writer.WriteRideEventsAsync(events);
                await db.StreamAcknowledgeAsync(key, Group, entries.Select(e => e.Id).ToArray());
                var now = Stopwatch.GetTimestamp();
                foreach (var e in events)
                {
                    latencies.Add(now - published[(e.RideId, e.Sequence)]);
                }
                Interlocked.Add(ref stored, events.Length);
            }
        })).ToArray();
        var clock = Stopwatch.StartNew();
        await ForEachRideAsync(rides, async ride =>
        {
            var key = keys[(int)((uint)StringComparer.Ordinal.GetHashCode(ride[0].RideId) % (uint)keys.Length)];
            foreach (var e in ride)
            {
                published[(e.RideId, e.Sequence)] = Stopwatch.GetTimestamp();
                var payload = new RedisQueuePayload { StreamId = AtlasStreams.RideStream(e.RideId), Events = [e] };
                await db.StreamAddAsync(key, [new(RedisQueueEntries.StreamField, payload.StreamId.ToString()), new(RedisQueueEntries.DataField, serializer.SerializeToArray(payload))]);
            }
        });
        var deadline = Stopwatch.StartNew();
        while (Volatile.Read(ref stored) < total && deadline.Elapsed < TimeSpan.FromMinutes(5))
        {
            await Task.Delay(5);
        }
        var elapsed = clock.Elapsed;
        stop.Cancel();
        await Task.WhenAll(consumers);
        return EventsPass.From(total, elapsed, latencies.ToArray());
    }

    /// <summary>Runs every ride, <see cref="RidesInFlight"/> at a time, each ride's events one after the other.</summary>
    private static async Task ForEachRideAsync(IReadOnlyList<IReadOnlyList<RideEventMessage>> rides, Func<IReadOnlyList<RideEventMessage>, Task> ride)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, RidesInFlight).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < rides.Count)
            {
                await ride(rides[i]);
            }
        })));
    }

    /// <summary>When each Atlas event was published and when the projection had it committed.</summary>
    private sealed class Timing
    {
        private ConcurrentDictionary<(string, int), long> _published = new();
        private ConcurrentBag<long> _latencies = [];
        private TaskCompletionSource _all = new();
        private int _expected;
        private int _stored;

        public Task AllStored => _all.Task;

        public void Start(int expected)
        {
            _published = new();
            _latencies = [];
            _all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _stored = 0;
            _expected = expected;
        }

        public void Published(RideEventMessage e) => _published[(e.RideId, e.Sequence)] = Stopwatch.GetTimestamp();

        public void Stored(IReadOnlyList<RideEventMessage> events)
        {
            var now = Stopwatch.GetTimestamp();
            foreach (var e in events)
            {
                if (_published.TryRemove((e.RideId, e.Sequence), out var at))
                {
                    _latencies.Add(now - at);
                    if (Interlocked.Increment(ref _stored) == _expected)
                    {
                        _all.TrySetResult();
                    }
                }
            }
        }

        public EventsPass Finish(TimeSpan elapsed) => EventsPass.From(_expected, elapsed, _latencies.ToArray());
    }

    private sealed class TimedProjection(IRideHistoryProjection inner, Timing timing) : IRideHistoryProjection
    {
        public async Task ProjectRideEventsAsync(IReadOnlyList<RideEventMessage> events, CancellationToken cancellationToken = default)
        {
            await inner.ProjectRideEventsAsync(events, cancellationToken);
            timing.Stored(events);
        }

        public Task ProjectDriverPositionsAsync(IReadOnlyList<DriverLocationMessage> positions, CancellationToken cancellationToken = default) =>
            inner.ProjectDriverPositionsAsync(positions, cancellationToken);
    }
}

/// <summary>One pass: events per second from the first publish to the last commit, and end-to-end latency.</summary>
public sealed record EventsPass(int Events, TimeSpan Elapsed, double EventsPerSecond, double P50Ms, double P99Ms)
{
    public static EventsPass From(int events, TimeSpan elapsed, long[] latencyTicks)
    {
        Array.Sort(latencyTicks);
        double Percentile(double p) => latencyTicks.Length == 0 ? double.NaN
            : latencyTicks[Math.Min(latencyTicks.Length - 1, (int)(p * latencyTicks.Length))] * 1000.0 / Stopwatch.Frequency;
        return new EventsPass(events, elapsed, events / elapsed.TotalSeconds, Percentile(0.50), Percentile(0.99));
    }

    public override string ToString() => $"{EventsPerSecond:N0} events/s, p50 {P50Ms:0.0} ms, p99 {P99Ms:0.0} ms ({Events:N0} in {Elapsed.TotalSeconds:0.0} s)";
}
