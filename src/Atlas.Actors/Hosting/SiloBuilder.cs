using System.Net;
using System.Net.Sockets;
using Atlas.Actors.Membership;
using Atlas.Actors.Messaging;
using Atlas.Actors.Messaging.Tcp;
using Atlas.Actors.Persistence;
using Atlas.Actors.Reminders;
using Atlas.Actors.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Atlas.Actors.Hosting;

/// <summary>Configures a silo: its transport, membership, storage and options.</summary>
public interface ISiloBuilder
{
    IServiceCollection Services { get; }
}

internal sealed class SiloBuilder(IServiceCollection services) : ISiloBuilder
{
    public IServiceCollection Services { get; } = services;
}

/// <summary>Registration of a silo in a host.</summary>
public static class SiloServiceCollectionExtensions
{
    /// <summary>
    /// Adds a silo to the host: it starts with the host, stops gracefully with it, and <see cref="IGrainFactory"/>
    /// resolves to it. If the cluster declares the silo dead, the host application is stopped.
    /// </summary>
    public static IServiceCollection AddAtlasSilo(this IServiceCollection services, Action<ISiloBuilder> configure)
    {
        AddSiloCore(services);
        services.AddHostedService<SiloHostedService>();
        configure(new SiloBuilder(services));
        return services;
    }

    /// <summary>Registers what a silo needs without a hosted service (the caller starts and stops it).</summary>
    internal static IServiceCollection AddSiloCore(IServiceCollection services)
    {
        services.AddOptions();
        services.AddLogging();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<Silo>();
        services.TryAddSingleton<IGrainFactory>(sp => sp.GetRequiredService<Silo>().GrainFactory);
        services.TryAddSingleton<GrainStateSerializer>(sp => sp.GetRequiredService<Silo>().StateSerializer);
        return services;
    }

    /// <summary>A standalone silo (no host): build the provider, resolve <see cref="Silo"/>, start it.</summary>
    public static IServiceCollection AddAtlasSiloWithoutHost(this IServiceCollection services, Action<ISiloBuilder> configure)
    {
        AddSiloCore(services);
        configure(new SiloBuilder(services));
        return services;
    }
}

/// <summary>Provider and option registrations on <see cref="ISiloBuilder"/>.</summary>
public static class SiloBuilderExtensions
{
    public static ISiloBuilder Configure<TOptions>(this ISiloBuilder builder, Action<TOptions> configure) where TOptions : class
    {
        builder.Services.Configure(configure);
        return builder;
    }

    public static ISiloBuilder UseTransport(this ISiloBuilder builder, Func<IServiceProvider, ITransport> factory)
    {
        builder.Services.RemoveAll<ITransport>();
        builder.Services.AddSingleton(factory);
        return builder;
    }

    public static ISiloBuilder UseMembershipTable(this ISiloBuilder builder, Func<IServiceProvider, IMembershipTable> factory)
    {
        builder.Services.RemoveAll<IMembershipTable>();
        builder.Services.AddSingleton(factory);
        return builder;
    }

    public static ISiloBuilder UseReminderTable(this ISiloBuilder builder, Func<IServiceProvider, IReminderTable> factory)
    {
        builder.Services.RemoveAll<IReminderTable>();
        builder.Services.AddSingleton(factory);
        return builder;
    }

    /// <summary>
    /// Membership and transport inside one process: for a single embedded silo (the default), or for the silos of an
    /// in-process cluster when they share <paramref name="network"/> and <paramref name="table"/>.
    /// </summary>
    public static ISiloBuilder UseInMemoryClustering(this ISiloBuilder builder, InMemoryNetwork? network = null, InMemoryMembershipTable? table = null)
    {
        network ??= new InMemoryNetwork();
        table ??= new InMemoryMembershipTable();
        builder.UseTransport(_ => new InMemoryTransport(network));
        builder.UseMembershipTable(_ => table);
        return builder;
    }

    /// <summary>
    /// Silos and clients reach this silo over TCP: it listens on <see cref="SiloOptions.ListenAddress"/>:<see cref="SiloOptions.Port"/>
    /// and is known to the others as <see cref="SiloOptions.AdvertisedHost"/>:<see cref="SiloOptions.Port"/>.
    /// Pair it with a membership table the silos share (e.g. a database).
    /// </summary>
    public static ISiloBuilder UseTcpTransport(this ISiloBuilder builder, Action<TcpTransportOptions>? configure = null)
    {
        builder.Services.AddOptions<TcpTransportOptions>();
        if (configure is not null)
        {
            builder.Services.Configure(configure);
        }
        return builder.UseTransport(sp =>
        {
            var silo = sp.GetRequiredService<IOptions<SiloOptions>>().Value;
            return new TcpTransport(
                sp.GetRequiredService<IOptions<TcpTransportOptions>>().Value,
                sp.GetService<ILoggerFactory>(),
                new IPEndPoint(ResolveListenAddress(silo.ListenAddress), silo.Port));
        });
    }

    private static IPAddress ResolveListenAddress(string address)
    {
        if (IPAddress.TryParse(address, out var parsed))
        {
            return parsed;
        }
        try
        {
            var addresses = Dns.GetHostAddresses(address);
            return addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.First();
        }
        catch (Exception exception) when (exception is SocketException or InvalidOperationException or ArgumentException)
        {
            throw new AtlasConfigurationException($"SiloOptions.ListenAddress '{address}' is neither an IP address nor a host name that resolves here: {exception.Message}", exception);
        }
    }

    /// <summary>Reminders kept in memory (shared by the silos of one process when they share <paramref name="table"/>).</summary>
    public static ISiloBuilder UseInMemoryReminders(this ISiloBuilder builder, InMemoryReminderTable? table = null)
    {
        table ??= new InMemoryReminderTable();
        return builder.UseReminderTable(_ => table);
    }

    /// <summary>Registers a grain storage provider under <paramref name="name"/>.</summary>
    public static ISiloBuilder AddGrainStorage(this ISiloBuilder builder, string name, Func<IServiceProvider, IGrainStorage> factory)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        builder.Services.AddKeyedSingleton<IGrainStorage>(name, (sp, _) => factory(sp));
        builder.Services.AddSingleton(new GrainStorageRegistration(name));
        return builder;
    }

    /// <summary>In-memory grain storage; silos that share <paramref name="store"/> see the same records.</summary>
    public static ISiloBuilder AddMemoryGrainStorage(this ISiloBuilder builder, string name = PersistentStateAttribute.DefaultStorageName, MemoryStorageStore? store = null)
    {
        store ??= new MemoryStorageStore();
        return builder.AddGrainStorage(name, sp => new MemoryGrainStorage(store, sp.GetRequiredService<GrainStateSerializer>()));
    }

    /// <summary>In-memory grain storage as the default provider.</summary>
    public static ISiloBuilder AddMemoryGrainStorageAsDefault(this ISiloBuilder builder, MemoryStorageStore? store = null) =>
        builder.AddMemoryGrainStorage(PersistentStateAttribute.DefaultStorageName, store);
}

/// <summary>Starts the silo with the host and stops it gracefully with the host.</summary>
internal sealed class SiloHostedService(Silo silo, IHostApplicationLifetime lifetime, ILogger<SiloHostedService> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        silo.DeclaredDead += () =>
        {
            logger.LogCritical("Silo {Silo} was declared dead by the cluster; stopping the host", silo.Address);
            lifetime.StopApplication();
        };
        await silo.StartAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => silo.StopAsync(cancellationToken);
}
