using Atlas.Grains.Streams;
using Atlas.Hosting.Streams.Redis;
using Atlas.Infrastructure;
using Azure.Data.Tables;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime.Providers;
using Orleans.Streams;

namespace Atlas.Hosting.Streams;

/// <summary>The transports the platform's stream provider can run on.</summary>
public enum AtlasStreamsProvider
{
    /// <summary>Orleans' memory streams: test clusters and the embedded platform without Redis. Not durable.</summary>
    Memory,

    /// <summary>Atlas' persistent provider over Redis Streams (<see cref="RedisQueueAdapterFactory"/>): silos on PostgreSQL and Redis.</summary>
    Redis,

    /// <summary>Orleans' Azure Event Hubs provider, with its checkpoints in Azure Table storage.</summary>
    EventHubs,
}

/// <summary>
/// The platform's stream provider (<see cref="AtlasStreams.ProviderName"/>), chosen by configuration the same way on
/// every silo — silo processes, the embedded API and test clusters all come through <c>AddAtlasSilo</c>.
/// </summary>
public static class AtlasStreamsSiloBuilderExtensions
{
    public const string EventHubsConnectionName = "EventHubs";
    public const string EventHubsCheckpointsConnectionName = "EventHubsCheckpoints";
    public const string RedisConnectionName = "Redis";

    /// <summary>
    /// Adds the stream provider <see cref="AtlasStreams.ProviderName"/> as <c>Atlas:Streams:Provider</c> says, or else
    /// as the connection strings say (<see cref="AtlasStreamsOptions"/>). Every provider delivers to implicit
    /// subscriptions only (no pub-sub grain state), retries a failing consumer for
    /// <see cref="AtlasStreamsOptions.MaxEventDeliveryTime"/> and polls every <see cref="AtlasStreamsOptions.PollInterval"/>.
    /// A host that registered a stream provider named <see cref="AtlasStreams.ProviderName"/> before (Orleans' Event Hubs
    /// data generator in tests, with <see cref="ConfigureAtlasDelivery"/>) keeps it.
    /// </summary>
    /// <exception cref="AtlasConfigurationException">An unknown provider, or one whose connection string is missing; the message names the setting.</exception>
    public static ISiloBuilder AddAtlasStreams(this ISiloBuilder silo, IConfiguration? configuration)
    {
        ArgumentNullException.ThrowIfNull(silo);
        var options = Read(configuration);
        var provider = Choose(options, configuration);
        if (silo.Services.Any(d => d.IsKeyedService && d.ServiceType == typeof(IStreamProvider) && Equals(d.ServiceKey, AtlasStreams.ProviderName)))
        {
            return silo;
        }
        switch (provider)
        {
            case AtlasStreamsProvider.Memory:
                silo.AddMemoryStreams(AtlasStreams.ProviderName, c =>
                {
                    c.ConfigurePartitioning(options.Queues);
                    c.ConfigureAtlasDelivery(options);
                });
                break;
            case AtlasStreamsProvider.Redis:
                var redis = configuration?.GetConnectionString(RedisConnectionName);
                if (string.IsNullOrWhiteSpace(redis))
                {
                    throw new AtlasConfigurationException(
                        $"Atlas:Streams:Provider=Redis needs ConnectionStrings:{RedisConnectionName} (the Redis the stream queues live in).");
                }
                silo.AddAtlasRedisStreams(redis, options);
                break;
            case AtlasStreamsProvider.EventHubs:
                silo.AddAtlasEventHubStreams(configuration, options);
                break;
        }
        return silo;
    }

    /// <summary>Atlas' Redis Streams provider on <paramref name="connectionString"/> (see <see cref="RedisQueueAdapterFactory"/>).</summary>
    public static ISiloBuilder AddAtlasRedisStreams(this ISiloBuilder silo, string connectionString, AtlasStreamsOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        options ??= new AtlasStreamsOptions();
        Validate(options);
        silo.Services.AddOptions<RedisStreamsProviderOptions>(AtlasStreams.ProviderName).Configure(o =>
        {
            o.ConnectionString = connectionString;
            o.KeyPrefix = options.Redis.KeyPrefix;
            o.Queues = options.Queues;
            o.CacheSize = options.CacheSize;
            o.MaxLength = options.Redis.MaxLength;
            o.DeadLetterMaxLength = options.Redis.DeadLetterMaxLength;
            o.ReadCount = options.Redis.ReadCount;
            o.OperationTimeout = options.Redis.OperationTimeout;
            o.ConnectTimeout = options.Redis.ConnectTimeout;
        });
        silo.AddPersistentStreams(AtlasStreams.ProviderName, RedisQueueAdapterFactory.Create, c => c.ConfigureAtlasDelivery(options));
        return silo;
    }

    private static void AddAtlasEventHubStreams(this ISiloBuilder silo, IConfiguration? configuration, AtlasStreamsOptions options)
    {
        var connection = configuration?.GetConnectionString(EventHubsConnectionName);
        if (string.IsNullOrWhiteSpace(connection))
        {
            throw new AtlasConfigurationException(
                $"Atlas:Streams:Provider=EventHubs needs ConnectionStrings:{EventHubsConnectionName} (an Event Hubs namespace connection string).");
        }
        var checkpoints = configuration?.GetConnectionString(EventHubsCheckpointsConnectionName);
        if (string.IsNullOrWhiteSpace(checkpoints))
        {
            throw new AtlasConfigurationException(
                $"The Event Hubs stream provider needs ConnectionStrings:{EventHubsCheckpointsConnectionName} (an Azure Storage connection string): " +
                "its receivers checkpoint their partitions in Azure Table storage.");
        }
        var hub = options.EventHubs.Hub;
        if (string.IsNullOrWhiteSpace(hub) && !connection.Contains("EntityPath=", StringComparison.OrdinalIgnoreCase))
        {
            throw new AtlasConfigurationException(
                "The Event Hubs stream provider needs the event hub's name: set Atlas:Streams:EventHubs:Hub, or EntityPath in ConnectionStrings:EventHubs.");
        }
        silo.AddEventHubStreams(AtlasStreams.ProviderName, c =>
        {
            c.ConfigureEventHub(ob => ob.Configure(o => o.ConfigureEventHubConnection(connection, hub ?? "", options.EventHubs.ConsumerGroup)));
            c.UseAzureTableCheckpointer(ob => ob.Configure(o =>
            {
                o.TableServiceClient = new TableServiceClient(checkpoints);
                o.TableName = options.EventHubs.CheckpointTable;
                o.PersistInterval = options.EventHubs.CheckpointInterval;
            }));
            c.ConfigureAtlasDelivery(options);
        });
    }

    /// <summary>What every provider of the platform shares: implicit subscriptions only, the pulling agents' patience and pace.</summary>
    public static void ConfigureAtlasDelivery(this ISiloPersistentStreamConfigurator configurator, AtlasStreamsOptions options)
    {
        ArgumentNullException.ThrowIfNull(configurator);
        ArgumentNullException.ThrowIfNull(options);
        configurator.ConfigureStreamPubSub(StreamPubSubType.ImplicitOnly);
        configurator.ConfigurePullingAgent(ob => ob.Configure(o =>
        {
            o.MaxEventDeliveryTime = options.MaxEventDeliveryTime;
            o.GetQueueMsgsTimerPeriod = options.PollInterval;
            // A stream's waiting batches go to a batch consumer together (the ride history stores them in one write).
            o.BatchContainerBatchSize = options.DeliveryBatchSize;
        }));
        // Orleans waits up to 30 s between deliveries to a failing consumer; a consumer fails only while its store is
        // down, and the history should catch up within seconds of its return.
        var maxBackoff = options.MaxDeliveryBackoff;
        configurator.ConfigureBackoffProvider((_, _) => new DeliveryBackoff(maxBackoff));
    }

    /// <summary>Doubles from 100 ms up to the configured maximum between attempts to deliver to a failing consumer.</summary>
    private sealed class DeliveryBackoff(TimeSpan max) : IMessageDeliveryBackoffProvider
    {
        public TimeSpan Next(int attempt) =>
            TimeSpan.FromMilliseconds(Math.Min(max.TotalMilliseconds, 100 * Math.Pow(2, Math.Clamp(attempt, 0, 20))));
    }

    /// <summary><c>Atlas:Streams</c> as bound from <paramref name="configuration"/>, defaults where it says nothing.</summary>
    public static AtlasStreamsOptions Read(IConfiguration? configuration)
    {
        var options = new AtlasStreamsOptions();
        configuration?.GetSection(AtlasStreamsOptions.SectionName).Bind(options);
        Validate(options);
        return options;
    }

    /// <summary>The provider <paramref name="options"/> and the connection strings ask for.</summary>
    public static AtlasStreamsProvider Choose(AtlasStreamsOptions options, IConfiguration? configuration)
    {
        if (!string.IsNullOrWhiteSpace(options.Provider))
        {
            return Enum.TryParse<AtlasStreamsProvider>(options.Provider.Trim(), ignoreCase: true, out var named) && Enum.IsDefined(named)
                ? named
                : throw new AtlasConfigurationException(
                    $"Atlas:Streams:Provider '{options.Provider}' is not a stream provider: use Memory, Redis or EventHubs (or leave it empty to follow the connection strings).");
        }
        if (!string.IsNullOrWhiteSpace(configuration?.GetConnectionString(EventHubsConnectionName)))
        {
            return AtlasStreamsProvider.EventHubs;
        }
        return string.IsNullOrWhiteSpace(configuration?.GetConnectionString(RedisConnectionName)) ? AtlasStreamsProvider.Memory : AtlasStreamsProvider.Redis;
    }

    private static void Validate(AtlasStreamsOptions options)
    {
        if (options.Queues < 1)
        {
            throw new AtlasConfigurationException($"Atlas:Streams:Queues must be at least 1, not {options.Queues}.");
        }
        if (options.CacheSize < 16)
        {
            throw new AtlasConfigurationException($"Atlas:Streams:CacheSize must be at least 16, not {options.CacheSize}.");
        }
        if (options.MaxEventDeliveryTime <= TimeSpan.Zero)
        {
            throw new AtlasConfigurationException("Atlas:Streams:MaxEventDeliveryTime must be positive.");
        }
        if (options.DeliveryBatchSize < 1)
        {
            throw new AtlasConfigurationException($"Atlas:Streams:DeliveryBatchSize must be at least 1, not {options.DeliveryBatchSize}.");
        }
        if (options.MaxDeliveryBackoff <= TimeSpan.Zero)
        {
            throw new AtlasConfigurationException("Atlas:Streams:MaxDeliveryBackoff must be positive.");
        }
        if (options.PollInterval <= TimeSpan.Zero)
        {
            throw new AtlasConfigurationException("Atlas:Streams:PollInterval must be positive.");
        }
        if (options.Redis.ReadCount < 1 || options.Redis.MaxLength < 1 || options.Redis.DeadLetterMaxLength < 1)
        {
            throw new AtlasConfigurationException("Atlas:Streams:Redis: ReadCount, MaxLength and DeadLetterMaxLength must be at least 1.");
        }
    }
}
