using System.Diagnostics;
using Atlas.Actors.Testing;
using Atlas.Actors.Tests.Grains;

namespace Atlas.Actors.Tests.Cluster;

/// <summary>Failover over the in-memory transport.</summary>
public sealed class InMemoryFailoverTests : FailoverTests
{
    protected override TestClusterBuilder CreateBuilder() => new(3);
}

/// <summary>
/// Three silos and a client: placement, calls across silos, kills and graceful stops. Each transport runs these
/// through a subclass (the TCP one is <c>Messaging/Tcp/TcpFailoverTests</c>).
/// </summary>
public abstract class FailoverTests : IAsyncLifetime
{
    private readonly TestProbe _probe = new();
    private TestCluster _cluster = null!;

    /// <summary>A three-silo cluster on the transport under test.</summary>
    protected abstract TestClusterBuilder CreateBuilder();

    public async Task InitializeAsync()
    {
        _cluster = ActorsFixture.Configure(CreateBuilder(), _probe).Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private IGrainFactory Grains => _cluster.GrainFactory;

    [Fact]
    public async Task A_grain_calls_a_grain_on_another_silo()
    {
        var echoKey = Enumerable.Range(0, 1000).Select(i => $"echo-{i}").First(k => _cluster.OwnerOf(new GrainId("echo", k)) == _cluster.Silos[0]);
        var counterKey = Enumerable.Range(0, 1000).Select(i => $"counter-{i}-{Guid.NewGuid():N}").First(k => _cluster.OwnerOf(new GrainId("counter", k)) == _cluster.Silos[1]);
        var counter = Grains.GetGrain<ICounterGrain>(counterKey);

        Assert.Equal(1, await Grains.GetGrain<IEchoGrain>(echoKey).IncrementThrough(counter));
        Assert.Equal(2, await Grains.GetGrain<IEchoGrain>(echoKey).IncrementThrough(counter));

        Assert.True(_cluster.Silos[1].Silo.HasActivation(new GrainId("counter", counterKey)));
        Assert.Equal(2, await counter.Get());
    }

    [Fact]
    public async Task Each_grain_lives_on_exactly_one_silo()
    {
        var keys = Enumerable.Range(0, 60).Select(i => $"one-{i}").ToArray();
        await Task.WhenAll(keys.Select(k => Grains.GetGrain<ICounterGrain>(k).Increment()));

        foreach (var key in keys)
        {
            Assert.Single(_cluster.Silos, s => s.Silo.HasActivation(new GrainId("counter", key)));
        }
        Assert.All(_cluster.Silos, s => Assert.True(s.Silo.ActivationCount > 0, $"{s} got no grains"));
    }

    [Fact]
    public async Task After_a_silo_is_killed_every_grain_answers_from_a_survivor_with_its_stored_state()
    {
        var keys = Enumerable.Range(0, 100).Select(i => $"k-{i}-{Guid.NewGuid():N}").ToArray();
        await Task.WhenAll(keys.Select(k => Grains.GetGrain<ICounterGrain>(k).Increment()));
        var victim = _cluster.Silos[1];
        var onVictim = keys.Where(k => victim.Silo.HasActivation(new GrainId("counter", k))).ToArray();
        Assert.NotEmpty(onVictim);

        await _cluster.KillSiloAsync(victim);

        var watch = Stopwatch.StartNew();
        foreach (var key in keys)
        {
            Assert.Equal(1, await RetryAsync(() => Grains.GetGrain<ICounterGrain>(key).Get()));
        }
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"recovery took {watch.Elapsed}");
        foreach (var key in onVictim)
        {
            Assert.Single(_cluster.Silos, s => s.Silo.HasActivation(new GrainId("counter", key)));
        }
    }

    [Fact]
    public async Task A_call_in_flight_to_a_silo_that_dies_fails_promptly_with_SiloUnavailableException()
    {
        var victim = _cluster.Silos[2];
        var key = Enumerable.Range(0, 1000).Select(i => $"block-{i}").First(k => _cluster.OwnerOf(new GrainId("blocking", k)) == victim);
        var pending = Grains.GetGrain<IBlockingGrain>(key).Block();
        await Task.Delay(100);
        Assert.False(pending.IsCompleted);
        var watch = Stopwatch.StartNew();

        await _cluster.KillSiloAsync(victim);

        await Assert.ThrowsAsync<SiloUnavailableException>(() => pending);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task A_graceful_stop_fails_no_call_and_keeps_every_state()
    {
        var keys = Enumerable.Range(0, 50).Select(i => $"g-{i}-{Guid.NewGuid():N}").ToArray();
        await Task.WhenAll(keys.Select(k => Grains.GetGrain<ICounterGrain>(k).Increment()));
        var leaving = _cluster.Silos[1];

        using var stop = new CancellationTokenSource();
        var load = Task.Run(async () =>
        {
            var calls = 0;
            while (!stop.IsCancellationRequested)
            {
                await Task.WhenAll(keys.Select(k => Grains.GetGrain<ICounterGrain>(k).Get()));
                calls += keys.Length;
            }
            return calls;
        });
        await Task.Delay(100);
        await _cluster.StopSiloAsync(leaving);
        await Task.Delay(300);
        stop.Cancel();

        Assert.True(await load > 0);
        foreach (var key in keys)
        {
            Assert.Equal(1, await Grains.GetGrain<ICounterGrain>(key).Get());
        }
    }

    [Fact]
    public async Task A_new_silo_takes_over_part_of_the_grains()
    {
        var keys = Enumerable.Range(0, 100).Select(i => $"n-{i}-{Guid.NewGuid():N}").ToArray();
        await Task.WhenAll(keys.Select(k => Grains.GetGrain<ICounterGrain>(k).Increment()));

        var added = await _cluster.StartAdditionalSiloAsync();
        await _cluster.WaitForLivenessToStabilizeAsync();

        foreach (var key in keys)
        {
            Assert.Equal(2, await RetryAsync(() => Grains.GetGrain<ICounterGrain>(key).Increment()));
        }
        Assert.True(added.Silo.ActivationCount > 0);
        foreach (var key in keys)
        {
            Assert.Single(_cluster.Silos, s => s.Silo.HasActivation(new GrainId("counter", key)));
        }
    }

    /// <summary>Calls until the cluster has noticed the failure (a call may fail while the view changes).</summary>
    private static async Task<T> RetryAsync<T>(Func<Task<T>> call)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                return await call();
            }
            catch (SiloUnavailableException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }
        }
    }
}
