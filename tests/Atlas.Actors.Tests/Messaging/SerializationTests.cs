using Atlas.Actors.Tests.Grains;

namespace Atlas.Actors.Tests.Messaging;

[Collection(ActorsCollection.Name)]
public sealed class SerializationTests(ActorsFixture fixture)
{
    private IGrainFactory Grains => fixture.GrainFactory;

    [Fact]
    public async Task A_grain_exception_reaches_the_caller_with_its_type_message_and_data()
    {
        var grain = Grains.GetGrain<IEchoGrain>(Guid.NewGuid().ToString("N"));

        var error = await Assert.ThrowsAsync<WidgetShortageException>(() => grain.Take(7));

        Assert.Equal("Asked for 7 widgets but only 3 are left.", error.Message);
        Assert.Equal(7, error.Requested);
        Assert.Equal(3, error.Available);
    }

    [Fact]
    public async Task Framework_exceptions_keep_their_type_and_message()
    {
        var counter = Grains.GetGrain<ICounterGrain>(Guid.NewGuid().ToString("N"));
        var grain = Grains.GetGrain<INotRemindableGrain>(Guid.NewGuid().ToString("N"));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => grain.TryRegister());

        Assert.Contains("must implement IRemindable", error.Message);
        Assert.Equal(0, await counter.Get());
    }

    [Fact]
    public async Task Records_cross_silos_by_value()
    {
        var grain = Grains.GetGrain<IEchoGrain>(Guid.NewGuid().ToString("N"));

        Assert.Equal(new Point(5, 2), await grain.Move(new Point(1, 2), 4));
    }

    [Fact]
    public async Task A_non_serializable_argument_fails_with_a_clear_error()
    {
        var grain = Grains.GetGrain<IEchoGrain>(Guid.NewGuid().ToString("N"));

        var error = await Assert.ThrowsAsync<GrainSerializationException>(() => grain.Accept(new CallbackPayload { Callback = () => 1 }));

        Assert.Contains("IEchoGrain.Accept", error.Message);
        Assert.Contains("Func", error.Message);
        Assert.Equal("hello", await grain.Hello());
    }

    [Fact]
    public async Task A_non_serializable_argument_fails_the_same_way_inside_one_silo()
    {
        var grain = fixture.Cluster.Primary.Silo.GrainFactory.GetGrain<IEchoGrain>(Guid.NewGuid().ToString("N"));

        var error = await Assert.ThrowsAsync<GrainSerializationException>(() => grain.Accept(new CallbackPayload { Callback = () => 1 }));

        Assert.Contains("Func", error.Message);
    }

    [Fact]
    public async Task Inside_a_silo_a_grain_never_shares_a_mutable_object_with_its_caller()
    {
        var silo = fixture.Cluster.Primary.Silo;
        // A key this silo owns, so the call stays inside it.
        var key = Enumerable.Range(0, 1000).Select(i => $"iso-{i}-{Guid.NewGuid():N}")
            .First(k => silo.OwnerOf(new GrainId("echo", k)) == silo.Address);
        var grain = silo.GrainFactory.GetGrain<IEchoGrain>(key);
        var basket = new Basket { Items = ["apple"] };

        var returned = await grain.AddAndReturn(basket, "pear");

        Assert.True(silo.HasActivation(grain.GetGrainId()));
        Assert.Equal(["apple"], basket.Items);          // the grain changed its own copy
        Assert.Equal(["apple", "pear"], returned.Items);
        returned.Items.Add("plum");                      // the caller changes the result...
        Assert.Equal(["apple", "pear"], (await grain.Stored()).Items); // ...not the grain's state
    }
}
