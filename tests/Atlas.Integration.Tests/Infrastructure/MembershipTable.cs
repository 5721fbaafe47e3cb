using System.Globalization;
using System.Text.Json;
using Atlas.Testing.Servers;
using Orleans.Runtime;
using StackExchange.Redis;

namespace Atlas.Integration.Tests.Infrastructure;

/// <summary>
/// The cluster's membership table as Orleans' Redis provider keeps it (a hash <c>{ServiceId}/members/{ClusterId}</c>, one
/// JSON row per silo), read directly: what the cluster has declared, independent of any silo or client.
/// </summary>
public sealed class MembershipTable(string clusterId)
{
    /// <summary>The status of each silo row, by silo port.</summary>
    public async Task<IReadOnlyDictionary<int, SiloStatus>> ReadAsync()
    {
        var redis = await TestRedisServer.SharedAsync();
        var rows = await redis.GetDatabase().HashGetAllAsync($"{clusterId}/members/{clusterId}");
        var statuses = new Dictionary<int, SiloStatus>();
        foreach (var row in rows.Where(r => r.Name != "Version"))
        {
            using var json = JsonDocument.Parse(row.Value.ToString());
            var port = PortOf(json);
            var status = (SiloStatus)json.RootElement.GetProperty("Status").GetInt32();
            // A restarted silo on the same port has a newer row; the live one wins.
            if (!statuses.TryGetValue(port, out var known) || known == SiloStatus.Dead)
            {
                statuses[port] = status;
            }
        }
        return statuses;
    }

    /// <summary>The name each live silo row carries (Orleans' <c>SiloName</c>), by silo port.</summary>
    public async Task<IReadOnlyDictionary<int, string>> ActiveNamesAsync()
    {
        var redis = await TestRedisServer.SharedAsync();
        var rows = await redis.GetDatabase().HashGetAllAsync($"{clusterId}/members/{clusterId}");
        var names = new Dictionary<int, string>();
        foreach (var row in rows.Where(r => r.Name != "Version"))
        {
            using var json = JsonDocument.Parse(row.Value.ToString());
            if ((SiloStatus)json.RootElement.GetProperty("Status").GetInt32() == SiloStatus.Active)
            {
                names[PortOf(json)] = json.RootElement.GetProperty("SiloName").GetString()!;
            }
        }
        return names;
    }

    private static int PortOf(JsonDocument row)
    {
        var address = row.RootElement.GetProperty("SiloAddress").GetProperty("SiloAddress").GetString()!; // 127.0.0.1:port@generation
        return int.Parse(address[(address.LastIndexOf(':') + 1)..address.IndexOf('@')], CultureInfo.InvariantCulture);
    }

    /// <summary>The status the table records for <paramref name="silo"/> (<see cref="SiloStatus.None"/> without a row).</summary>
    public async Task<SiloStatus> StatusOfAsync(SiloProcess silo) =>
        (await ReadAsync()).TryGetValue(silo.Port, out var status) ? status : SiloStatus.None;

    /// <summary>The ports of the silos the table records as active.</summary>
    public async Task<IReadOnlyList<int>> ActivePortsAsync() =>
        (await ReadAsync()).Where(r => r.Value == SiloStatus.Active).Select(r => r.Key).Order().ToArray();

    /// <summary>Polls (every 50 ms) until the table records <paramref name="silo"/> as <paramref name="status"/>.</summary>
    public Task WaitForAsync(SiloProcess silo, SiloStatus status, TimeSpan timeout) =>
        TestServices.UntilAsync(async () => await StatusOfAsync(silo) == status, $"the membership table to record silo {silo.Port} as {status}", timeout);
}
