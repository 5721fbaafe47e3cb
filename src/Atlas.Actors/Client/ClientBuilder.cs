using Atlas.Actors.Membership;
using Atlas.Actors.Messaging;
using Atlas.Actors.Messaging.Tcp;
using Atlas.Actors.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Atlas.Actors.Client;

/// <summary>Configures a cluster client: its transport, membership table and options.</summary>
public interface IClientBuilder
{
    IServiceCollection Services { get; }
}

internal sealed class ClientBuilder(IServiceCollection services) : IClientBuilder
{
    public IServiceCollection Services { get; } = services;
}

/// <summary>Registration of a cluster client in a host (e.g. the HTTP front-end).</summary>
public static class ClientServiceCollectionExtensions
{
    /// <summary>
    /// Keys the client's transport and membership table, so that they never collide with a silo's in the same container.
    /// </summary>
    internal const string ServiceKey = "Atlas.Actors.Client";

    /// <summary>
    /// Adds a <see cref="ClusterClient"/>: it connects when the host starts (waiting up to
    /// <see cref="ClientOptions.ConnectTimeout"/> for an active silo), is disposed when the host stops, and
    /// <see cref="IGrainFactory"/> resolves to it. Configure a transport (<c>UseTcpTransport</c>) and the membership
    /// table the silos use (<c>UseMembershipTable</c>).
    /// </summary>
    public static IServiceCollection AddAtlasClient(this IServiceCollection services, Action<IClientBuilder> configure)
    {
        services.AddOptions();
        services.AddLogging();
        services.TryAddSingleton(sp => new ClusterClient(
            sp.GetRequiredService<IOptions<ClientOptions>>().Value,
            sp.GetRequiredService<IOptions<MessagingOptions>>().Value,
            sp.GetRequiredService<IOptions<SerializationOptions>>().Value,
            sp.GetKeyedService<IMembershipTable>(ServiceKey)
                ?? throw new AtlasConfigurationException("No membership table is configured for the cluster client: call UseMembershipTable on the client builder."),
            sp.GetKeyedService<ITransport>(ServiceKey)
                ?? throw new AtlasConfigurationException("No transport is configured for the cluster client: call UseTcpTransport on the client builder."),
            sp.GetRequiredService<ILoggerFactory>()));
        services.TryAddSingleton<IGrainFactory>(sp => sp.GetRequiredService<ClusterClient>().GrainFactory);
        services.AddHostedService<ClusterClientHostedService>();
        configure(new ClientBuilder(services));
        return services;
    }
}

/// <summary>Provider and option registrations on <see cref="IClientBuilder"/>.</summary>
public static class ClientBuilderExtensions
{
    public static IClientBuilder Configure<TOptions>(this IClientBuilder builder, Action<TOptions> configure) where TOptions : class
    {
        builder.Services.Configure(configure);
        return builder;
    }

    public static IClientBuilder UseTransport(this IClientBuilder builder, Func<IServiceProvider, ITransport> factory)
    {
        builder.Services.RemoveAllKeyed<ITransport>(ClientServiceCollectionExtensions.ServiceKey);
        builder.Services.AddKeyedSingleton(ClientServiceCollectionExtensions.ServiceKey, (sp, _) => factory(sp));
        return builder;
    }

    /// <summary>The membership table the silos register in: the client reads the active silos from it.</summary>
    public static IClientBuilder UseMembershipTable(this IClientBuilder builder, Func<IServiceProvider, IMembershipTable> factory)
    {
        builder.Services.RemoveAllKeyed<IMembershipTable>(ClientServiceCollectionExtensions.ServiceKey);
        builder.Services.AddKeyedSingleton(ClientServiceCollectionExtensions.ServiceKey, (sp, _) => factory(sp));
        return builder;
    }

    /// <summary>Connects to the silos over TCP, at the addresses they advertise in the membership table.</summary>
    public static IClientBuilder UseTcpTransport(this IClientBuilder builder, Action<TcpTransportOptions>? configure = null)
    {
        // Named options: a silo co-hosted in the same container keeps its own TCP settings.
        builder.Services.AddOptions<TcpTransportOptions>(ClientServiceCollectionExtensions.ServiceKey);
        if (configure is not null)
        {
            builder.Services.Configure(ClientServiceCollectionExtensions.ServiceKey, configure);
        }
        return builder.UseTransport(sp => new TcpTransport(
            sp.GetRequiredService<IOptionsMonitor<TcpTransportOptions>>().Get(ClientServiceCollectionExtensions.ServiceKey),
            sp.GetService<ILoggerFactory>()));
    }
}

/// <summary>Connects the client when the host starts and disposes it when the host stops.</summary>
internal sealed class ClusterClientHostedService(ClusterClient client) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => client.ConnectAsync(cancellationToken);

    public async Task StopAsync(CancellationToken cancellationToken) => await client.DisposeAsync();
}
