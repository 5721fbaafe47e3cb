using System.Collections.Immutable;

namespace Atlas.Grains.LiveFeed;

/// <summary>Keeps the subscribers' leases in memory: a lost list is rebuilt by the next renewals (see <see cref="ILiveFeedHubGrain"/>).</summary>
public sealed class LiveFeedHubGrain(TimeProvider time) : Grain, ILiveFeedHubGrain
{
    private readonly Dictionary<ILiveFeedObserver, DateTimeOffset> _leases = [];

    public Task Subscribe(ILiveFeedObserver observer, TimeSpan lease)
    {
        ArgumentNullException.ThrowIfNull(observer);
        _leases[observer] = time.GetUtcNow() + lease;
        return Task.CompletedTask;
    }

    public Task Unsubscribe(ILiveFeedObserver observer)
    {
        _leases.Remove(observer);
        return Task.CompletedTask;
    }

    public Task<ImmutableArray<ILiveFeedObserver>> GetSubscribers()
    {
        var now = time.GetUtcNow();
        foreach (var (observer, until) in _leases)
        {
            if (until < now)
            {
                _leases.Remove(observer); // a subscriber that stopped renewing: gone
            }
        }
        return Task.FromResult(_leases.Keys.ToImmutableArray());
    }
}
