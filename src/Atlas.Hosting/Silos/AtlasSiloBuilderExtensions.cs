using Atlas.Grains.Hosting;
using Atlas.Hosting.CallChains;
using Atlas.Hosting.Retries;
using Atlas.Hosting.Storage;
using Atlas.Hosting.Streams;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Configuration;
using Orleans.Serialization.Configuration;
using Orleans.Storage;

namespace Atlas.Hosting.Silos;

/// <summary>
/// The Orleans configuration of every Atlas silo — the API's co-hosted silo, the silo host process and the test
/// clusters — so that tests run what production runs. Clustering and storage are the host's choice
/// (<see cref="AtlasStorageSiloBuilderExtensions"/>); everything else is here.
/// </summary>
public static class AtlasSiloBuilderExtensions
{
    /// <summary>The configuration section whose subsections tune Orleans' own options (see <see cref="AddAtlasSilo"/>).</summary>
    public const string SectionName = "Atlas";

    /// <summary>
    /// The ride grains and their options (sections <c>Markets</c>, <c>Drivers</c>, <c>Dispatch</c>, <c>GeoIndex</c>,
    /// <c>Wallets</c>, <c>Idempotency</c>); the strongly consistent grain directory; call-cycle detection; the grain
    /// state serializer; start-up that fails on a type without a serializer; activity propagation across grain calls;
    /// and Orleans' options tuned for Atlas, each overridable from configuration: <c>Atlas:Membership</c>
    /// (<see cref="ClusterMembershipOptions"/>), <c>Atlas:Messaging</c> (<see cref="SiloMessagingOptions"/>),
    /// <c>Atlas:Collection</c> (<see cref="GrainCollectionOptions"/>), <c>Atlas:Reminders</c> (<see cref="ReminderOptions"/>),
    /// <c>Atlas:Directory</c> (<see cref="GrainDirectoryOptions"/>); and the platform's stream provider, chosen by
    /// <c>Atlas:Streams</c> and the connection strings (<see cref="AtlasStreamsSiloBuilderExtensions.AddAtlasStreams"/>).
    /// </summary>
    public static ISiloBuilder AddAtlasSilo(this ISiloBuilder silo, IConfiguration? configuration = null)
    {
        ArgumentNullException.ThrowIfNull(silo);
        var services = silo.Services;

        // Never two activations of a grain, even while the membership view changes (ETags fence every write besides).
#pragma warning disable ORLEANSEXP003 // experimental in Orleans 10; chosen deliberately, see the README
        silo.AddDistributedGrainDirectory();
#pragma warning restore ORLEANSEXP003

        silo.AddIncomingGrainCallFilter<CallChainIncomingFilter>();
        // A call that failed because grain storage could not serve it says which store (PostgreSQL, the SQLite file).
        silo.AddIncomingGrainCallFilter<StorageFailureFilter>();
        silo.AddOutgoingGrainCallFilter<CallChainOutgoingFilter>();
        // A grain's call that Orleans rejected before it ran (its target's silo stopping or just crashed) is tried again.
        silo.AddOutgoingGrainCallFilter<RejectedCallRetryFilter>();
        var retries = services.AddOptions<RejectedCallRetryOptions>();
        silo.AddActivityPropagation();

        // A type in a grain interface without a serializer fails start-up, naming it (Orleans checks only in Development otherwise).
        services.Configure<TypeManifestOptions>(o => o.EnableConfigurationAnalysis = true);

        // Grain state in Orleans' own binary format: the same [Id]-numbered, version-tolerant contract as the wire.
        services.RemoveAll<IGrainStorageSerializer>();
        services.AddSingleton<IGrainStorageSerializer, OrleansGrainStorageSerializer>();

        services.AddOptions<ClusterMembershipOptions>().Configure(AtlasClusterDefaults.Membership);
        services.AddOptions<GrainDirectoryOptions>().Configure(AtlasClusterDefaults.Directory);
        services.AddOptions<ReminderOptions>().Configure(AtlasClusterDefaults.Reminders);
        if (configuration is not null)
        {
            var atlas = configuration.GetSection(SectionName);
            services.AddOptions<ClusterMembershipOptions>().Bind(atlas.GetSection("Membership"));
            services.AddOptions<SiloMessagingOptions>().Bind(atlas.GetSection("Messaging"));
            services.AddOptions<GrainCollectionOptions>().Bind(atlas.GetSection("Collection"));
            services.AddOptions<ReminderOptions>().Bind(atlas.GetSection("Reminders"));
            services.AddOptions<GrainDirectoryOptions>().Bind(atlas.GetSection("Directory"));
            retries.Bind(configuration.GetSection(RejectedCallRetryOptions.SectionName));
        }

        // The platform's stream provider (ride events, driver positions): memory, Redis Streams or Event Hubs.
        silo.AddAtlasStreams(configuration);

        services.AddAtlasGrains(configuration);
        return silo;
    }

    /// <summary>
    /// The silo's name, ports and addresses from <c>Atlas:Silo</c> (<see cref="SiloEndpointOptions"/>), and its cluster id (also
    /// the service id: one deployment per cluster id). <paramref name="defaultGatewayPort"/> applies when the
    /// configuration sets none.
    /// </summary>
    public static ISiloBuilder AddAtlasEndpoints(this ISiloBuilder silo, IConfiguration configuration, string clusterId, int defaultGatewayPort = 30000)
    {
        var endpoints = new SiloEndpointOptions { GatewayPort = defaultGatewayPort };
        configuration.GetSection(SiloEndpointOptions.SectionName).Bind(endpoints);
        silo.Configure<EndpointOptions>(endpoints.ApplyTo);
        silo.Configure<SiloOptions>(o => o.SiloName = endpoints.SiloName);
        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = clusterId;
            o.ServiceId = clusterId;
        });
        return silo;
    }
}
