using Atlas.Actors.Testing;
using Atlas.Actors.Tests.Grains;

namespace Atlas.Actors.Tests.Reminders;

public sealed class ReminderTests : IAsyncLifetime
{
    private readonly TestProbe _probe = new();
    private TestCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _cluster = ActorsFixture.Configure(new TestClusterBuilder(2), _probe).Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task A_reminder_fires_repeatedly_and_stops_when_unregistered()
    {
        var key = Guid.NewGuid().ToString("N");
        var grain = _cluster.GrainFactory.GetGrain<IReminderGrain>(key);

        await grain.Start("beat", dueMs: 100, periodMs: 1_000);
        Assert.Equal(["beat"], await grain.Names());
        await _probe.WaitForAsync(e => e.Count(x => x.StartsWith($"tick:{key}:beat")) >= 2, TimeSpan.FromSeconds(10), "two ticks");

        await grain.Stop("beat");
        var ticks = _probe.Events.Count(x => x.StartsWith($"tick:{key}:beat"));
        await Task.Delay(1_500);
        Assert.InRange(_probe.Events.Count(x => x.StartsWith($"tick:{key}:beat")), ticks, ticks + 1);
        Assert.Empty(await grain.Names());
    }

    [Fact]
    public async Task A_reminder_fires_again_after_its_silo_restarts()
    {
        var key = Guid.NewGuid().ToString("N");
        var grain = _cluster.GrainFactory.GetGrain<IReminderGrain>(key);
        await grain.Start("wake", dueMs: 100, periodMs: 1_000);
        await _probe.WaitForAsync(e => e.Any(x => x.StartsWith($"tick:{key}:wake")), TimeSpan.FromSeconds(10), "the first tick");

        var owner = _cluster.OwnerOf(grain.GetGrainId());
        var restarted = await _cluster.RestartSiloAsync(owner);
        await _cluster.WaitForLivenessToStabilizeAsync();
        var mark = _probe.Events.Count;

        await _probe.WaitForAsync(e => e.Skip(mark).Any(x => x.StartsWith($"tick:{key}:wake")), TimeSpan.FromSeconds(10), "a tick after the restart");
        Assert.NotEqual(owner.Address, restarted.Address);
    }

    [Fact]
    public async Task A_reminder_period_below_the_minimum_is_refused()
    {
        var grain = _cluster.GrainFactory.GetGrain<IReminderGrain>(Guid.NewGuid().ToString("N"));

        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => grain.Start("fast", 0, 10));

        Assert.Equal("period", error.ParamName);
    }
}
