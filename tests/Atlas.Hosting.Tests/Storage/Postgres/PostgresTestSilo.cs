using System.Net;
using System.Net.Sockets;
using Atlas.Hosting.Silos;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Atlas.Hosting.Tests.Storage.Postgres;

/// <summary>
/// A real silo as production composes one on PostgreSQL: a generic host, <c>UseOrleans</c>, localhost clustering on
/// free ports, <see cref="AtlasSiloBuilderExtensions.AddAtlasSilo"/> and <see cref="AtlasStorageSiloBuilderExtensions.UseAtlasPostgresStorage"/>.
/// </summary>
internal static class PostgresTestSilo
{
    /// <summary>Builds the host (not started): <paramref name="serviceId"/> is both the cluster and the service id.</summary>
    public static IHost Build(string connectionString, string serviceId, Action<ISiloBuilder>? configure = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = Environments.Production });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            // Reminders a second apart, so that a test sees one fire (Orleans' default minimum is a minute).
            ["Atlas:Reminders:MinimumReminderPeriod"] = "00:00:01",
        });
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(siloPort: FreePort(), gatewayPort: FreePort(), serviceId: serviceId, clusterId: serviceId);
            silo.AddAtlasSilo(builder.Configuration);
            silo.UseAtlasPostgresStorage(connectionString, serviceId);
            configure?.Invoke(silo);
        });
        return builder.Build();
    }

    /// <summary>Builds and starts a silo; the caller stops and disposes it.</summary>
    public static async Task<IHost> StartAsync(string connectionString, string serviceId)
    {
        var host = Build(connectionString, serviceId);
        try
        {
            await host.StartAsync().WaitAsync(TimeSpan.FromSeconds(60));
            return host;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    public static async Task StopAsync(IHost host)
    {
        await host.StopAsync(TimeSpan.FromSeconds(30));
        if (host is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }
        else
        {
            host.Dispose();
        }
    }

    /// <summary>A service id no other test uses: its rows are this test's alone.</summary>
    public static string NewServiceId(string test) => $"{test}-{Guid.NewGuid():N}";

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
