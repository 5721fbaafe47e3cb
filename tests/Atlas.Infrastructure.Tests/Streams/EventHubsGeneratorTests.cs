using System.Globalization;
using Atlas.Grains.Rides.Events;
using Atlas.Grains.Streams;
using Atlas.Hosting.Silos;
using Atlas.Hosting.Streams;
using Atlas.Infrastructure.History;
using Atlas.Infrastructure.Tests.History;
using Atlas.Testing.Servers;
using Azure.Messaging.EventHubs;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Hosting.Developer;
using Orleans.Providers.Streams.Common;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Streaming.EventHubs;
using Orleans.Streaming.EventHubs.Testing;
using Orleans.Streams;
using Orleans.TestingHost;

namespace Atlas.Infrastructure.Tests.Streams;

/// <summary>
/// The Event Hubs provider without Azure: Orleans' Event Hubs data generator (<c>AddEventDataGeneratorStreams</c>) runs
/// the provider's own adapter factory, receiver wrapper, <c>EventHubQueueCache</c> and data adapter over partitions
/// it fills itself, with the platform's delivery settings (<c>ConfigureAtlasDelivery</c>) under the platform's provider
/// name, which <c>AddAtlasSilo</c> then keeps. The generator here makes <see cref="EventData"/> carrying ride events the
/// way the producer side does (<see cref="EventHubBatchContainer.UpdateEventData{T}"/>) and repeats them endlessly, so
/// the consumers see every event many times. Not covered: the Event Hubs client sending and receiving over AMQP, the
/// Azure Table checkpointer, partition ownership across silos.
/// </summary>
public sealed class EventHubsGeneratorTests(PostgresDataSourceFixture database) : IClassFixture<PostgresDataSourceFixture>
{
    [Fact]
    public async Task A_rides_events_from_generated_Event_Hubs_partitions_reach_the_history_once_each_in_order()
    {
        var rides = Enumerable.Range(0, 3).Select(_ => RideEvents.Of(RideEvents.NewRideId("event-hubs"), 5)).ToDictionary(r => r[0].RideId);
        var builder = new InProcessTestClusterBuilder(1);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddEventDataGeneratorStreams(AtlasStreams.ProviderName, c =>
            {
                c.Configure<EventDataGeneratorStreamOptions>(ob => ob.Configure(o => o.EventHubPartitionCount = 2));
                c.ConfigureAtlasDelivery(new AtlasStreamsOptions());
            });
            // Generated partitions have nothing to resume from: the generator's no-op checkpointer.
            silo.Services.AddKeyedSingleton<IStreamQueueCheckpointerFactory>(AtlasStreams.ProviderName, (_, _) => NoOpCheckpointerFactory.Instance);
            silo.Services.AddKeyedSingleton<Func<StreamId, IStreamDataGenerator<EventData>>>(AtlasStreams.ProviderName, (sp, _) =>
                streamId => new RideEventGenerator(streamId, rides[streamId.GetKeyAsString()], sp.GetRequiredService<Serializer>()));
            silo.AddAtlasSilo(silo.Configuration);
            silo.UseAtlasMemoryStorage();
            silo.Services.AddPostgresRideHistory(TestPostgresServer.ConnectionString);
        });
        await using var cluster = builder.Build();
        await cluster.DeployAsync();

        var management = cluster.Client.GetGrain<IManagementGrain>(0);
        var placement = 0;
        foreach (var rideId in rides.Keys)
        {
            await management.SendControlCommandToProvider<PersistentStreamProvider>(AtlasStreams.ProviderName,
                (int)EventDataGeneratorAdapterFactory.Commands.Randomly_Place_Stream_To_Queue,
                new EventDataGeneratorAdapterFactory.StreamRandomPlacementArg(AtlasStreams.RideStream(rideId), placement++));
        }

        var history = new HistoryQueries(database.DataSource);
        var expected = rides.ToDictionary(r => r.Key, r => r.Value.Count);
        await Eventually.HoldsAsync(() => history.CaughtUpAsync(expected), "the generated rides projected", TimeSpan.FromSeconds(60),
            () => history.DescribeAsync(expected));
        var stored = await history.EventKeysAsync(rides.Keys);
        Assert.Equal(rides.Values.Sum(r => r.Count), stored.Count);
        Assert.All(rides.Keys, id => Assert.Equal(Enumerable.Range(1, 5), stored.Where(k => k.RideId == id).Select(k => k.Sequence)));
    }

    /// <summary>One ride's stream as an Event Hubs partition would carry it: its events in order, over and over.</summary>
    private sealed class RideEventGenerator(StreamId streamId, IReadOnlyList<RideEventMessage> events, Serializer serializer) : IStreamDataGenerator<EventData>
    {
        private int _next;

        public StreamId StreamId { get; } = streamId;

        public IIntCounter SequenceNumberCounter { private get; set; } = null!;

        public bool ShouldProduce { private get; set; } = true;

        public bool TryReadEvents(int maxCount, out IEnumerable<EventData> read)
        {
            var batch = new List<EventData>(maxCount);
            while (ShouldProduce && batch.Count < maxCount)
            {
                SequenceNumberCounter.Increment();
                var data = EventHubsModelFactory.EventData(BinaryData.Empty, partitionKey: StreamId.GetKeyAsString(),
                    offsetString: DateTime.UtcNow.Ticks.ToString(CultureInfo.InvariantCulture), sequenceNumber: SequenceNumberCounter.Value);
                EventHubBatchContainer.UpdateEventData(data, serializer, StreamId, [events[_next]], new Dictionary<string, object>());
                _next = (_next + 1) % events.Count;
                batch.Add(data);
            }
            read = batch;
            return batch.Count > 0;
        }
    }
}
