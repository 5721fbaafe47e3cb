using Atlas.Hosting.Retries;
using Atlas.Hosting.Silos;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;

namespace Atlas.Hosting.Clients;

/// <summary>The Orleans configuration of an Atlas cluster client (the API in client mode, benchmarks, tools, tests).</summary>
public static class AtlasClientBuilderExtensions
{
    /// <summary>
    /// The client's gateway handling and messaging tuned as Atlas' silos are (<see cref="AtlasClusterDefaults"/>), each
    /// overridable from <paramref name="configuration"/>: <c>Atlas:Gateway</c> (<see cref="GatewayOptions"/>),
    /// <c>Atlas:Messaging</c> (<see cref="ClientMessagingOptions"/>), <c>Atlas:Connection</c> (<see cref="ConnectionOptions"/>);
    /// and calls that Orleans rejected before they ran (a silo stopping, a silo just crashed) tried again
    /// (<see cref="RejectedCallRetryFilter"/>, <c>Atlas:RejectedCallRetry</c>). The caller's span travels with its grain
    /// calls (<c>AddActivityPropagation</c>, as on every silo), so a request is one trace across processes.
    /// </summary>
    public static IClientBuilder AddAtlasClient(this IClientBuilder client, IConfiguration? configuration = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        client.AddActivityPropagation();
        var services = client.Services;
        services.AddOptions<GatewayOptions>().Configure(AtlasClusterDefaults.Gateways);
        services.AddOptions<ClientMessagingOptions>().Configure(AtlasClusterDefaults.ClientMessaging);
        client.AddOutgoingGrainCallFilter<RejectedCallRetryFilter>();
        var retries = services.AddOptions<RejectedCallRetryOptions>();
        if (configuration is not null)
        {
            retries.Bind(configuration.GetSection(RejectedCallRetryOptions.SectionName));
            var atlas = configuration.GetSection(AtlasSiloBuilderExtensions.SectionName);
            services.AddOptions<GatewayOptions>().Bind(atlas.GetSection("Gateway"));
            services.AddOptions<ClientMessagingOptions>().Bind(atlas.GetSection("Messaging"));
            services.AddOptions<ConnectionOptions>().Bind(atlas.GetSection("Connection"));
        }
        return client;
    }
}
