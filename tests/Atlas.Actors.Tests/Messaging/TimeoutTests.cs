using System.Diagnostics;
using Atlas.Actors.Tests.Grains;

namespace Atlas.Actors.Tests.Messaging;

[Collection(ActorsCollection.Name)]
public sealed class TimeoutTests(ActorsFixture fixture)
{
    private IGrainFactory Grains => fixture.GrainFactory;

    [Fact]
    public async Task A_call_stuck_behind_a_long_request_times_out_naming_grain_method_and_what_runs()
    {
        var key = Guid.NewGuid().ToString("N");
        var grain = Grains.GetGrain<ISlowGrain>(key);
        var sleeping = grain.Sleep(3_000);
        await Task.Delay(50);
        var watch = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<GrainCallTimeoutException>(() => grain.Quick());

        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(3));
        Assert.Contains("ISlowGrain.Quick", error.Message);
        Assert.Contains($"slow/{key}", error.Message);
        Assert.Contains("running ISlowGrain.Sleep", error.Message);
        Assert.Contains("0.5 s", error.Message);
        await Assert.ThrowsAsync<GrainCallTimeoutException>(() => sleeping);
    }

    [Fact]
    public async Task A_long_request_times_out_saying_it_was_itself_running()
    {
        var grain = Grains.GetGrain<ISlowGrain>(Guid.NewGuid().ToString("N"));

        var error = await Assert.ThrowsAsync<GrainCallTimeoutException>(() => grain.Sleep(2_000));

        Assert.Contains("ISlowGrain.Sleep", error.Message);
        Assert.Contains("this request itself", error.Message);
    }

    [Fact]
    public async Task A_timed_out_request_is_dropped_and_the_grain_answers_again()
    {
        var grain = Grains.GetGrain<ISlowGrain>(Guid.NewGuid().ToString("N"));
        var sleeping = grain.Sleep(1_000);
        await Assert.ThrowsAsync<GrainCallTimeoutException>(() => grain.Quick());
        await Assert.ThrowsAsync<GrainCallTimeoutException>(() => sleeping);

        // Once the long request has finished, the timed-out ones are gone and calls go through again.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                await grain.Quick();
                return;
            }
            catch (GrainCallTimeoutException) when (DateTime.UtcNow < deadline)
            {
            }
        }
    }
}
