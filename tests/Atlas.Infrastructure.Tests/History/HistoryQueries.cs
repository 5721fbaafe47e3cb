using Npgsql;

namespace Atlas.Infrastructure.Tests.History;

/// <summary>What the projection holds, read straight from the tables.</summary>
internal sealed class HistoryQueries(NpgsqlDataSource dataSource)
{
    /// <summary>(ride, sequence) of every stored event of <paramref name="rideIds"/>.</summary>
    public async Task<IReadOnlyList<(string RideId, int Sequence)>> EventKeysAsync(IReadOnlyCollection<string> rideIds)
    {
        await using var command = dataSource.CreateCommand("select ride_id, sequence from ride_events where ride_id = any($1) order by ride_id, sequence");
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = rideIds.ToArray() });
        await using var reader = await command.ExecuteReaderAsync();
        var keys = new List<(string, int)>();
        while (await reader.ReadAsync())
        {
            keys.Add((reader.GetString(0), reader.GetInt32(1)));
        }
        return keys;
    }

    /// <summary>ride id → last_sequence of the rides of <paramref name="rideIds"/> in ride_history.</summary>
    public async Task<IReadOnlyDictionary<string, int>> LastSequencesAsync(IReadOnlyCollection<string> rideIds)
    {
        await using var command = dataSource.CreateCommand("select ride_id, last_sequence from ride_history where ride_id = any($1)");
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = rideIds.ToArray() });
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new Dictionary<string, int>();
        while (await reader.ReadAsync())
        {
            rows[reader.GetString(0)] = reader.GetInt32(1);
        }
        return rows;
    }

    public async Task<long> LocationCountAsync(IReadOnlyCollection<string> driverIds)
    {
        await using var command = dataSource.CreateCommand("select count(*) from driver_locations where driver_id = any($1)");
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = driverIds.ToArray() });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    public async Task<(double Latitude, double Longitude)?> NewestLocationAsync(string driverId)
    {
        await using var command = dataSource.CreateCommand("select lat, lon from driver_locations where driver_id = $1 order by at desc limit 1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = driverId });
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync() ? (reader.GetDouble(0), reader.GetDouble(1)) : null;
    }

    /// <summary>Whether every ride of <paramref name="expected"/> is projected up to its last event.</summary>
    public async Task<bool> CaughtUpAsync(IReadOnlyDictionary<string, int> expected)
    {
        var stored = await LastSequencesAsync(expected.Keys.ToArray());
        return expected.All(e => stored.TryGetValue(e.Key, out var last) && last == e.Value)
            && (await EventKeysAsync(expected.Keys.ToArray())).Count == expected.Values.Sum();
    }

    public async Task<string> DescribeAsync(IReadOnlyDictionary<string, int> expected)
    {
        var stored = await LastSequencesAsync(expected.Keys.ToArray());
        var events = await EventKeysAsync(expected.Keys.ToArray());
        return $"{stored.Count(s => expected[s.Key] == s.Value)} of {expected.Count} rides up to date, {events.Count} of {expected.Values.Sum()} events stored";
    }
}
