using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Atlas.Hosting.Silos;
using Atlas.Infrastructure;
using Atlas.Testing.Servers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;

namespace Atlas.Hosting.Tests.Storage.Postgres;

/// <summary>What a silo on PostgreSQL does at start-up when the setting or the server is wrong: fail, clearly and soon.</summary>
public sealed class PostgresSiloStartupTests
{
    /// <summary>Far above the 5 s connect timeout, far below "hangs".</summary>
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("this is not a connection string")]
    [InlineData("Host=localhost;Port=not-a-port")]
    [InlineData("Host=localhost;Bogus=1")]
    public void A_missing_or_malformed_connection_string_fails_configuration_naming_the_setting(string connectionString)
    {
        var exception = Assert.Throws<AtlasConfigurationException>(() => PostgresTestSilo.Build(connectionString, "startup"));

        Assert.Contains("ConnectionStrings:Postgres", exception.Message);
    }

    [Fact]
    public async Task A_PostgreSQL_that_refuses_connections_fails_start_up_at_once_naming_the_setting()
    {
        using var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop(); // nothing listens there any more

        var exception = await StartFailingAsync($"Host=127.0.0.1;Port={port};Username=atlas;Password=secret;Database=atlas");

        Assert.Contains("PostgreSQL", exception.Message);
        Assert.Contains("ConnectionStrings:Postgres", exception.Message);
        Assert.Contains($"Port={port}", exception.Message);
        Assert.DoesNotContain("secret", exception.Message);
    }

    [Fact]
    public async Task A_PostgreSQL_that_never_answers_fails_start_up_after_the_connect_timeout()
    {
        // Accepts connections and says nothing, as a hung server or a half-open network path would.
        using var mute = new TcpListener(IPAddress.Loopback, 0);
        mute.Start();
        var accepted = new List<Socket>();
        using var stop = new CancellationTokenSource();
        var accepting = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                accepted.Add(await mute.AcceptSocketAsync(stop.Token));
            }
        });
        var port = ((IPEndPoint)mute.LocalEndpoint).Port;
        try
        {
            var clock = Stopwatch.StartNew();

            var exception = await StartFailingAsync($"Host=127.0.0.1;Port={port};Username=atlas;Password=secret;Database=atlas");

            Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(4), Prompt);
            Assert.Contains("ConnectionStrings:Postgres", exception.Message);
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAny(accepting);
            accepted.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public async Task Wrong_credentials_fail_start_up_naming_the_setting()
    {
        var wrong = new Npgsql.NpgsqlConnectionStringBuilder(TestPostgresServer.ConnectionString) { Username = "nobody", Password = "wrong" };

        var exception = await StartFailingAsync(wrong.ConnectionString);

        Assert.Contains("ConnectionStrings:Postgres", exception.Message);
    }

    [Fact]
    public async Task A_service_id_changed_after_the_storage_was_set_up_fails_start_up()
    {
        var exception = await StartFailingAsync(
            TestPostgresServer.ConnectionString,
            silo => silo.Configure<ClusterOptions>(o => o.ServiceId = "someone-else"));

        Assert.Contains("someone-else", exception.Message);
    }

    [Fact]
    public async Task A_silo_on_an_empty_database_creates_the_schema_before_its_providers_start()
    {
        var schema = $"empty_{Guid.NewGuid():N}";
        await using var admin = TestPostgresServer.CreateDataSource();
        await using (var create = admin.CreateCommand($"create schema {schema}"))
        {
            await create.ExecuteNonQueryAsync();
        }
        try
        {
            var connectionString = new Npgsql.NpgsqlConnectionStringBuilder(TestPostgresServer.ConnectionString) { SearchPath = schema }.ConnectionString;
            var host = await PostgresTestSilo.StartAsync(connectionString, PostgresTestSilo.NewServiceId("empty"));
            try
            {
                var grain = host.Services.GetRequiredService<IGrainFactory>().GetGrain<IPostgresNoteGrain>("first");
                await grain.Write("on a new database");
                await grain.StartTicking("tick", TimeSpan.FromMinutes(1));
            }
            finally
            {
                await PostgresTestSilo.StopAsync(host);
            }
            await using var count = admin.CreateCommand(
                $"select (select count(*) from {schema}.orleans_grain_state) + (select count(*) from {schema}.orleans_reminders)");
            Assert.Equal(2L, await count.ExecuteScalarAsync());
        }
        finally
        {
            await using var drop = admin.CreateCommand($"drop schema {schema} cascade");
            await drop.ExecuteNonQueryAsync();
        }
    }

    /// <summary>Starts a silo that must fail; returns the <see cref="AtlasConfigurationException"/> it failed with.</summary>
    private static async Task<AtlasConfigurationException> StartFailingAsync(string connectionString, Action<ISiloBuilder>? configure = null)
    {
        using var host = PostgresTestSilo.Build(connectionString, PostgresTestSilo.NewServiceId("startup"), configure);
        var failure = await Record.ExceptionAsync(() => host.StartAsync().WaitAsync(Prompt));
        Assert.NotNull(failure);
        Assert.IsNotType<TimeoutException>(failure);
        // The host rethrows it as it is: what Atlas' hosts print as the one line saying what to set.
        if (failure is AtlasConfigurationException configuration)
        {
            return configuration;
        }
        throw new Xunit.Sdk.XunitException($"Start-up failed with something else than an AtlasConfigurationException: {failure}");
    }
}
