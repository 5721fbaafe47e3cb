using System.Collections.Concurrent;
using Atlas.Grains.Rides.Events;
using Atlas.Grains.Rides.History;
using Atlas.Grains.Streams;
using Atlas.Infrastructure.History;
using Atlas.Infrastructure.Tests.Clusters;
using Atlas.Testing.Servers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Orleans.Streams;
using Orleans.TestingHost;

namespace Atlas.Infrastructure.Tests.Streams;

/// <summary>
/// A two-silo cluster whose platform stream provider is chosen as a silo process chooses it — Redis Streams, by
/// <c>ConnectionStrings:Redis</c> (its queues under a prefix of the cluster's own), or memory without it — and whose
/// consumers project into PostgreSQL (<c>AddPostgresRideHistory</c>). Every silo's projection is wrapped by
/// <see cref="Arrivals"/>, which notes the order events reach the store in.
/// </summary>
internal sealed class StreamCluster : IAsyncDisposable
{
    private StreamCluster(AtlasTestCluster cluster, string prefix, ArrivalLog arrivals, CapturingLoggerProvider logs)
    {
        Cluster = cluster;
        Prefix = prefix;
        Arrivals = arrivals;
        Logs = logs;
    }

    /// <summary>Warnings and errors of Atlas and of Orleans' streaming on the silos.</summary>
    public CapturingLoggerProvider Logs { get; }

    public AtlasTestCluster Cluster { get; }

    /// <summary>The prefix of the queue streams in Redis (<c>{Prefix}{queue}</c>).</summary>
    public string Prefix { get; }

    public ArrivalLog Arrivals { get; }

    public const int Queues = 4;

    public static async Task<StreamCluster> StartAsync(bool redis, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var prefix = TestRedis.NewPrefix("streams");
        var arrivals = new ArrivalLog();
        var logs = new CapturingLoggerProvider();
        var all = new Dictionary<string, string?>
        {
            ["Atlas:Streams:Queues"] = Queues.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Atlas:Streams:Redis:KeyPrefix"] = prefix,
            ["Atlas:Streams:Redis:OperationTimeout"] = "00:00:01",
            ["Atlas:Streams:Redis:ConnectTimeout"] = "00:00:01",
            ["Atlas:Streams:MaxDeliveryBackoff"] = "00:00:01",
        };
        if (redis)
        {
            all["ConnectionStrings:Redis"] = TestRedis.ConnectionString;
        }
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }
        var cluster = await AtlasTestCluster.StartAsync(2, silo =>
        {
            silo.Services.AddLogging(logging => logging
                .AddProvider(logs)
                .AddFilter<CapturingLoggerProvider>((category, level) => level >= LogLevel.Warning &&
                    (category?.StartsWith("Atlas.", StringComparison.Ordinal) == true || category?.StartsWith("Orleans.Streams", StringComparison.Ordinal) == true)));
            silo.Services.AddPostgresRideHistory(TestPostgresServer.ConnectionString);
            silo.Services.Replace(ServiceDescriptor.Singleton<IRideHistoryProjection>(sp =>
                new RecordingProjection(sp.GetRequiredService<RideHistoryProjection>(), arrivals)));
        }, all);
        return new StreamCluster(cluster, prefix, arrivals, logs);
    }

    /// <summary>The platform's stream provider on <paramref name="silo"/> (the first silo by default, which tests never kill).</summary>
    public IStreamProvider Provider(InProcessSiloHandle? silo = null) =>
        (silo ?? Cluster.Silos[0]).ServiceProvider.GetRequiredKeyedService<IStreamProvider>(AtlasStreams.ProviderName);

    /// <summary>Publishes events of one ride as the ride grain does: one batch on the ride's stream.</summary>
    public Task PublishAsync(IReadOnlyList<RideEventMessage> events, InProcessSiloHandle? silo = null) =>
        Provider(silo).GetStream<RideEventMessage>(AtlasStreams.RideStream(events[0].RideId)).OnNextBatchAsync(events);

    public ValueTask DisposeAsync() => Cluster.DisposeAsync();

    /// <summary>What reached the store, in order, per ride (repeated deliveries included).</summary>
    internal sealed class ArrivalLog
    {
        private readonly ConcurrentDictionary<string, List<int>> _rides = new();

        public void Add(RideEventMessage e)
        {
            var list = _rides.GetOrAdd(e.RideId, _ => []);
            lock (list)
            {
                list.Add(e.Sequence);
            }
        }

        /// <summary>The ride's sequences in the order they first reached the store.</summary>
        public IReadOnlyList<int> FirstArrivals(string rideId)
        {
            if (!_rides.TryGetValue(rideId, out var list))
            {
                return [];
            }
            lock (list)
            {
                return list.Distinct().ToArray();
            }
        }

        public int Deliveries(string rideId)
        {
            if (!_rides.TryGetValue(rideId, out var list))
            {
                return 0;
            }
            lock (list)
            {
                return list.Count;
            }
        }
    }

    private sealed class RecordingProjection(IRideHistoryProjection inner, ArrivalLog arrivals) : IRideHistoryProjection
    {
        public async Task ProjectRideEventsAsync(IReadOnlyList<RideEventMessage> events, CancellationToken cancellationToken = default)
        {
            await inner.ProjectRideEventsAsync(events, cancellationToken);
            foreach (var e in events)
            {
                arrivals.Add(e);
            }
        }

        public Task ProjectDriverPositionsAsync(IReadOnlyList<DriverLocationMessage> positions, CancellationToken cancellationToken = default) =>
            inner.ProjectDriverPositionsAsync(positions, cancellationToken);
    }
}
