namespace Atlas.Actors.Tests.Grains;

public sealed class WidgetShortageException(int requested, int available)
    : Exception($"Asked for {requested} widgets but only {available} are left.")
{
    public int Requested { get; } = requested;
    public int Available { get; } = available;
}

/// <summary>A message whose arguments are checked for isolation and serializability.</summary>
public sealed class Basket
{
    public List<string> Items { get; set; } = [];
}

public sealed class CallbackPayload
{
    public Func<int>? Callback { get; set; }
}

public sealed record Point(int X, int Y);

public interface IEchoGrain : IGrainWithStringKey
{
    Task<Basket> AddAndReturn(Basket basket, string item);

    Task<Basket> Stored();

    Task Accept(CallbackPayload payload);

    Task<Point> Move(Point point, int dx);

    Task Take(int requested);

    /// <summary>Calls the counter passed in and returns its new value.</summary>
    Task<int> IncrementThrough(ICounterGrain counter);

    Task<ICounterGrain> CounterFor(string key);

    Task<string> Hello();
}

public sealed class EchoGrain : Grain, IEchoGrain
{
    private Basket _stored = new();

    public Task<Basket> AddAndReturn(Basket basket, string item)
    {
        basket.Items.Add(item);
        _stored = basket;
        return Task.FromResult(basket);
    }

    public Task<Basket> Stored() => Task.FromResult(_stored);

    public Task Accept(CallbackPayload payload) => Task.CompletedTask;

    public Task<Point> Move(Point point, int dx) => Task.FromResult(point with { X = point.X + dx });

    public Task Take(int requested) => requested > 3 ? throw new WidgetShortageException(requested, 3) : Task.CompletedTask;

    public Task<int> IncrementThrough(ICounterGrain counter) => counter.Increment();

    public Task<ICounterGrain> CounterFor(string key) => Task.FromResult(GrainFactory.GetGrain<ICounterGrain>(key));

    public Task<string> Hello() => Task.FromResult("hello");
}

/// <summary>Blocks until released, to hold calls in flight.</summary>
public interface IBlockingGrain : IGrainWithStringKey
{
    [ResponseTimeout("00:01:00")]
    Task<string> Block();
}

public sealed class BlockingGrain : Grain, IBlockingGrain
{
    public async Task<string> Block()
    {
        await Task.Delay(Timeout.Infinite);
        return "never";
    }
}
