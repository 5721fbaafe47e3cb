using Atlas.Actors.Tests.Grains;

namespace Atlas.Actors.Tests.Timers;

[Collection(ActorsCollection.Name)]
public sealed class TimerTests(ActorsFixture fixture)
{
    private IGrainFactory Grains => fixture.GrainFactory;

    [Fact]
    public async Task Timer_ticks_never_overlap_even_when_the_callback_outlasts_the_period()
    {
        var grain = Grains.GetGrain<ITimerGrain>(Guid.NewGuid().ToString("N"));
        await grain.Start(periodMs: 20, callbackMs: 60, interleave: false);

        await WaitForTicksAsync(grain, 5);
        await grain.Stop();

        Assert.DoesNotContain("timer:overlap", fixture.Probe.Events);
    }

    [Fact]
    public async Task A_tick_waits_for_a_running_request()
    {
        var grain = Grains.GetGrain<ITimerGrain>(Guid.NewGuid().ToString("N"));
        await grain.Start(periodMs: 10, callbackMs: 1, interleave: false);
        await WaitForTicksAsync(grain, 1);
        var before = fixture.Probe.Count("timer:during-request");

        await grain.Busy(300);
        await WaitForTicksAsync(grain, (await grain.Ticks()) + 2);
        await grain.Stop();

        Assert.Equal(before, fixture.Probe.Count("timer:during-request"));
    }

    [Fact]
    public async Task An_interleaving_tick_runs_during_a_request()
    {
        var grain = Grains.GetGrain<ITimerGrain>(Guid.NewGuid().ToString("N"));
        var before = fixture.Probe.Count("timer:during-request");
        await grain.Start(periodMs: 10, callbackMs: 1, interleave: true);

        await grain.Busy(300);
        await grain.Stop();

        Assert.True(fixture.Probe.Count("timer:during-request") > before);
    }

    [Fact]
    public async Task A_disposed_timer_stops_ticking()
    {
        var grain = Grains.GetGrain<ITimerGrain>(Guid.NewGuid().ToString("N"));
        await grain.Start(periodMs: 10, callbackMs: 1, interleave: false);
        await WaitForTicksAsync(grain, 2);

        await grain.Stop();
        var stopped = await grain.Ticks();
        await Task.Delay(150);

        Assert.InRange(await grain.Ticks(), stopped, stopped + 1);
    }

    private static async Task WaitForTicksAsync(ITimerGrain grain, int ticks)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await grain.Ticks() < ticks)
        {
            Assert.True(DateTime.UtcNow < deadline, $"fewer than {ticks} ticks in time");
            await Task.Delay(10);
        }
    }
}
