using System.Diagnostics;
using Atlas.Integration.Tests.Infrastructure;

namespace Atlas.Integration.Tests.Cluster;

/// <summary>
/// A silo that cannot start says so at once, in one line that names the setting and how to set it, and exits non-zero
/// (2) — no hang, no stack trace.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class SiloStartupTests
{
    public static TheoryData<string, Dictionary<string, string>, string[]> BadSettings => new()
    {
        { "no Redis", new() { ["ConnectionStrings__Redis"] = "" }, ["ConnectionStrings:Redis is not set", "ConnectionStrings__Redis="] },
        { "no PostgreSQL", new() { ["ConnectionStrings__Postgres"] = " " }, ["ConnectionStrings:Postgres is not set", "ConnectionStrings__Postgres="] },
        { "a malformed Redis", new() { ["ConnectionStrings__Redis"] = "127.0.0.1:6379,nonsense=1" }, ["ConnectionStrings:Redis is not a valid", "'nonsense'"] },
        { "a malformed PostgreSQL", new() { ["ConnectionStrings__Postgres"] = "Hots=db;Username=x" }, ["ConnectionStrings:Postgres is not a valid", "hots"] },
        { "an unreachable Redis", new() { ["ConnectionStrings__Redis"] = $"127.0.0.1:{SiloProcess.FreePort()}" }, ["Redis at 127.0.0.1:", "(ConnectionStrings:Redis) does not answer", "ConnectionStrings__Redis"] },
        { "an unreachable PostgreSQL", new() { ["ConnectionStrings__Postgres"] = $"Host=127.0.0.1;Port={SiloProcess.FreePort()};Username=postgres;Password=x;Database=atlas" },
            ["PostgreSQL at 127.0.0.1:", "(ConnectionStrings:Postgres) does not answer", "ConnectionStrings__Postgres"] },
        { "a wrong PostgreSQL password", new() { ["ConnectionStrings__Postgres"] = new Npgsql.NpgsqlConnectionStringBuilder(TestEnvironment.Postgres) { Password = "wrong" }.ConnectionString },
            ["(ConnectionStrings:Postgres) refuses the connection", "password authentication failed"] },
        { "a silo port out of range", new() { ["Atlas__Silo__Port"] = "70000" }, ["Atlas:Silo:Port must be a TCP port", "70000"] },
        { "an empty cluster id", new() { ["Atlas__ClusterId"] = " " }, ["Atlas:ClusterId is empty"] },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public async Task A_silo_with_bad_settings_exits_with_one_line_naming_what_to_set(string what, Dictionary<string, string> settings, string[] expected)
    {
        var clock = Stopwatch.StartNew();
        await using var silo = SiloProcess.Start($"startup-{Guid.NewGuid():N}", settings);
        await silo.WaitForExitAsync(TimeSpan.FromSeconds(60));

        var lines = silo.Output.Where(l => l.Length > 0).ToArray();
        var line = Assert.Single(lines);
        Assert.Equal(2, silo.ExitCode); // SiloProgram.ConfigurationError
        Assert.StartsWith("atlas-silo: ", line, StringComparison.Ordinal);
        Assert.All(expected, e => Assert.Contains(e, line, StringComparison.Ordinal));
        // The reachability checks give each server 5 s; nothing waits longer.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"{what}: the silo took {clock.Elapsed} to give up");
    }
}
