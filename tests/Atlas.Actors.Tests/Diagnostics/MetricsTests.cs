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
}
