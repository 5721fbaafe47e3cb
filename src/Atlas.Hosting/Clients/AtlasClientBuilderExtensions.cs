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
    /// <c>Atlas:Messaging</c> (<see cref="ClientMessagingOptions"/>), <c>Atlas:Connection</c> (<see cref="ConnectionOptions"/>).
    /// </summary>
    public static IClientBuilder AddAtlasClient(this IClientBuilder client, IConfiguration? configuration = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        var services = client.Services;
        services.AddOptions<GatewayOptions>().Configure(AtlasClusterDefaults.Gateways);
        services.AddOptions<ClientMessagingOptions>().Configure(AtlasClusterDefaults.ClientMessaging);
        services.AddOptions<ConnectionOptions>().Configure(AtlasClusterDefaults.Connections);
        if (configuration is not null)
        {
            var atlas = configuration.GetSection(AtlasSiloBuilderExtensions.SectionName);
            services.AddOptions<GatewayOptions>().Bind(atlas.GetSection("Gateway"));
            services.AddOptions<ClientMessagingOptions>().Bind(atlas.GetSection("Messaging"));
            services.AddOptions<ConnectionOptions>().Bind(atlas.GetSection("Connection"));
        }
        return client;
    }
}
