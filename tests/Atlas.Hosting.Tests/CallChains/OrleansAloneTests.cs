using System.Diagnostics;
using Orleans.Configuration;
using Orleans.TestingHost;

namespace Atlas.Hosting.Tests.CallChains;

/// <summary>
/// What the call-cycle filters spare: a silo configured without <c>AddAtlasSilo</c> (Orleans alone) holds the same
/// A → B → A cycle until the response timeout, 30 s by default — here shortened to 2 s — and then fails it with a
/// <see cref="TimeoutException"/> that names no cycle.
/// </summary>
public sealed class OrleansAloneTests : IAsyncLifetime
{
    private static readonly TimeSpan ResponseTimeout = TimeSpan.FromSeconds(2);

    private InProcessTestCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) => silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = ResponseTimeout));
        builder.ConfigureClient(client => client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = ResponseTimeout * 5));
        _cluster = builder.Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await _cluster.StopAllSilosAsync();
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task Without_the_filters_a_cycle_waits_for_the_response_timeout()
    {
        var a = new Hop(ChainGrainKind.NonReentrant, $"a-{Guid.NewGuid():N}");
        var b = new Hop(ChainGrainKind.NonReentrant, $"b-{Guid.NewGuid():N}");
        var watch = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<TimeoutException>(() => ChainGrain.Get(_cluster.Client, a).Run([a, b, a], 1));

        Assert.True(watch.Elapsed >= ResponseTimeout, $"failed after {watch.Elapsed}");
        Assert.DoesNotContain("cycle", error.Message, StringComparison.OrdinalIgnoreCase);
    }
}
