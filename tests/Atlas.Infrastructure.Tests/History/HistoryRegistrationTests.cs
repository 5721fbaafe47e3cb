using Atlas.Testing.Servers;
using Atlas.Grains.Hosting;
using Atlas.Grains.Rides.Events;
using Atlas.Grains.Rides.History;
using Atlas.Infrastructure.History;
using Atlas.Infrastructure.Streams;
using Atlas.Infrastructure.Tests.Streams;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Hosting;
using StackExchange.Redis;

namespace Atlas.Infrastructure.Tests.History;

public sealed class HistoryRegistrationTests
{
    [Fact]
    public async Task AddRedisRideEvents_replaces_the_null_sinks_whether_it_comes_before_or_after_AddAtlasGrains()
    {
        var before = new ServiceCollection().AddRedisRideEvents(TestRedis.ConnectionString).AddAtlasGrains();
        var after = new ServiceCollection().AddAtlasGrains().AddRedisRideEvents(TestRedis.ConnectionString);

        foreach (var services in new[] { before, after })
        {
            await using var provider = services.BuildServiceProvider();
            Assert.IsType<RedisRideEventSink>(provider.GetRequiredService<IRideEventSink>());
            Assert.IsType<RedisLocationHistorySink>(provider.GetRequiredService<ILocationHistorySink>());
            Assert.Single(services, d => d.ServiceType == typeof(IRideEventSink));
        }
    }

    [Fact]
    public async Task The_sinks_and_the_projector_of_a_process_share_one_stream_connection()
    {
        var services = new ServiceCollection()
            .AddRedisRideEvents(TestRedis.ConnectionString)
            .AddRideHistoryProjector(TestPostgresServer.ConnectionString, TestRedis.ConnectionString);
        await using var provider = services.BuildServiceProvider();

        var connections = provider.GetRequiredService<RedisStreamConnections>();
        var options = provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<RideStreamOptions>>().Value;

        Assert.Same(connections.Get(TestRedis.ConnectionString, options), connections.Get(TestRedis.ConnectionString, options));
        Assert.Same(provider.GetRequiredService<RideHistoryProjector>(), Assert.Single(provider.GetServices<IHostedService>()));
    }

    [Fact]
    public async Task A_registered_IConnectionMultiplexer_is_used_by_the_sinks_and_left_open_when_they_are_disposed()
    {
        var shared = await ConnectionMultiplexer.ConnectAsync(TestRedis.ConnectionString);
        try
        {
            var prefix = TestRedis.NewPrefix("registration");
            var services = new ServiceCollection()
                .AddSingleton<IConnectionMultiplexer>(shared)
                .AddRedisRideEvents("nowhere.invalid:1", o => o.KeyPrefix = prefix);
            await using (var provider = services.BuildServiceProvider())
            {
                var rideId = RideEvents.NewRideId();
                await provider.GetRequiredService<IRideEventSink>().PublishAsync(RideEvents.Of(rideId, 2));
                Assert.Equal(2, await TestRedis.LengthAsync(provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<RideStreamOptions>>().Value.RideStreamOf(rideId)));
            }

            Assert.True(shared.IsConnected);
            Assert.Equal("PONG", (string)(await shared.GetDatabase().ExecuteAsync("PING"))!);
        }
        finally
        {
            shared.Close(allowCommandsToComplete: false);
        }
    }

    [Fact]
    public async Task The_projector_of_a_silo_host_is_named_after_the_silo_and_of_another_process_after_the_machine_and_process()
    {
        var siloHost = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        siloHost.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering();
            silo.Configure<SiloOptions>(o => o.SiloName = "silo-east-7");
            silo.Services.AddRideHistoryProjector(TestPostgresServer.ConnectionString, TestRedis.ConnectionString);
        });
        var plain = new ServiceCollection().AddRideHistoryProjector(TestPostgresServer.ConnectionString, TestRedis.ConnectionString);
        var named = new ServiceCollection().AddRideHistoryProjector(TestPostgresServer.ConnectionString, TestRedis.ConnectionString, o => o.ConsumerName = "projector-1");

        using var silo = siloHost.Build(); // built, not started: the projector is only resolved
        await using var plainProvider = plain.BuildServiceProvider();
        await using var namedProvider = named.BuildServiceProvider();

        Assert.Equal("silo-east-7", silo.Services.GetRequiredService<RideHistoryProjector>().ConsumerName);
        Assert.Equal($"{Environment.MachineName}-{Environment.ProcessId}", plainProvider.GetRequiredService<RideHistoryProjector>().ConsumerName);
        Assert.Equal("projector-1", namedProvider.GetRequiredService<RideHistoryProjector>().ConsumerName);
        Assert.Equal("projector", namedProvider.GetRequiredService<RideHistoryProjector>().RideEvents.Group);
    }

    [Fact]
    public async Task AddPostgresRideHistory_registers_the_PostgreSQL_reader()
    {
        await using var provider = new ServiceCollection().AddPostgresRideHistory(TestPostgresServer.ConnectionString).BuildServiceProvider();

        var reader = provider.GetRequiredService<IRideHistoryReader>();

        Assert.IsType<PostgresRideHistoryReader>(reader);
        Assert.Null(await reader.GetRideAsync("no-such-ride"));
    }
}
