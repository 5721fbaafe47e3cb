using System.Net;
using System.Net.Sockets;
using Atlas.Hosting.Silos;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;

namespace Atlas.Hosting.Tests.Storage.Sqlite;

/// <summary>
/// One silo as the embedded platform runs it (localhost clustering, <c>AddAtlasSilo</c>, <c>UseAtlasSqliteStorage</c>)
/// in a host of its own, on free ports. Reminders may tick every second (Orleans only warns below its 1 min minimum).
/// </summary>
public sealed class SqliteSilo : IAsyncDisposable
{
    private SqliteSilo(IHost host) => Host = host;

    public IHost Host { get; }

    public IGrainFactory Grains => Host.Services.GetRequiredService<IGrainFactory>();

    /// <summary>A silo host on <paramref name="databasePath"/>, configured but not started.</summary>
    public static IHost Build(string databasePath, TickLog ticks)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton(ticks);
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(FreePort(), FreePort(), serviceId: "atlas-sqlite-tests", clusterId: "atlas-sqlite-tests");
            silo.AddAtlasSilo();
            silo.UseAtlasSqliteStorage(databasePath);
            silo.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = TimeSpan.FromSeconds(1));
        });
        return builder.Build();
    }

    public static async Task<SqliteSilo> StartAsync(string databasePath, TickLog ticks)
    {
        var host = Build(databasePath, ticks);
        try
        {
            await host.StartAsync();
        }
        catch
        {
            host.Dispose();
            throw;
        }
        return new SqliteSilo(host);
    }

    /// <summary>Stops the silo and closes the file (the host's services dispose the SQLite databases).</summary>
    public async ValueTask DisposeAsync()
    {
        await Host.StopAsync();
        Host.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
