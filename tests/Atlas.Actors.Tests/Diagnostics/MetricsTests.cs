using System.Diagnostics.Metrics;
using Atlas.Actors.Tests.Grains;

namespace Atlas.Actors.Tests.Diagnostics;

[Collection(ActorsCollection.Name)]
public sealed class MetricsTests(ActorsFixture fixture)
{
    [Fact]
    public async Task Grain_calls_and_activations_are_measured()
    {
        long calls = 0;
        long activations = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Atlas.Actors")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            if (instrument.Name == "atlas.grain.calls")
            {
                Interlocked.Add(ref calls, value);
            }
            if (instrument.Name == "atlas.activations")
            {
                Interlocked.Add(ref activations, value);
            }
        });
        listener.Start();

        var grain = fixture.GrainFactory.GetGrain<ICounterGrain>(Guid.NewGuid().ToString("N"));
        for (var i = 0; i < 10; i++)
        {
            await grain.Get();
        }
        listener.RecordObservableInstruments();

        Assert.True(Interlocked.Read(ref calls) >= 10, $"saw {calls} calls");
        Assert.True(Interlocked.Read(ref activations) >= 1, $"saw {activations} activations");
    }

    [Fact]
    public async Task Requests_waiting_in_a_mailbox_are_counted_by_the_queue_length_gauge()
    {
        long queued = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Atlas.Actors" && instrument.Name == "atlas.activation.queue.length")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref queued, value));
        listener.Start();
        var grain = fixture.GrainFactory.GetGrain<IGateGrain>(Guid.NewGuid().ToString("N"));
        var holding = grain.WaitForGate();
        var waiting = new[] { grain.WaitForGate(), grain.WaitForGate(), grain.WaitForGate() };

        var deadline = DateTime.UtcNow.AddSeconds(10);
        long seen;
        do
        {
            Interlocked.Exchange(ref queued, 0);
            listener.RecordObservableInstruments();
            seen = Interlocked.Read(ref queued);
        }
        while (seen < waiting.Length && DateTime.UtcNow < deadline && await Task.WhenAny(holding, Task.Delay(20)) != holding);

        Assert.True(seen >= waiting.Length, $"the gauge showed {seen} waiting requests");
        var all = Task.WhenAll(waiting.Append(holding));
        while (!all.IsCompleted && DateTime.UtcNow < deadline.AddSeconds(10))
        {
            await grain.OpenGateInterleaved();
            await Task.WhenAny(all, Task.Delay(20));
        }
        await all;
    }
}
