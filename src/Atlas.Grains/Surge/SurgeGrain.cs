using Orleans;
using Atlas.Grains.Geo;
using Atlas.Grains.Geo.Index;
using Atlas.Grains.Markets;
using Microsoft.Extensions.Options;

namespace Atlas.Grains.Surge;

/// <summary>
/// One surge cell. Requests are kept with their time and dropped once older than the window; supply is counted on
/// demand from the index shards of the cell (one per vehicle class of the city), which hold only available drivers.
/// </summary>
public sealed class SurgeGrain(MarketCatalog markets, IOptions<GeoIndexOptions> index, TimeProvider time) : Grain, ISurgeGrain
{
    private readonly Dictionary<string, DateTimeOffset> _requests = new(StringComparer.Ordinal);
    private CityMarket _city = null!;
    private GeoCell _cell;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var (city, cellKey) = SurgeCells.Parse(this.GetPrimaryKeyString());
        _city = markets.City(city);
        _cell = GeoCell.FromKey(cellKey, index.Value.CellSizeDegrees);
        return Task.CompletedTask;
    }

    public async Task<SurgeQuote> Quote()
    {
        var now = time.GetUtcNow();
        var policy = _city.Surge;
        if (!policy.Enabled)
        {
            return new SurgeQuote(SurgeMultiplier.None, 0, 0, now);
        }
        var since = now - policy.Window;
        Forget(since);
        var counts = await Task.WhenAll(_city.Classes.Select(c =>
            GrainFactory.GetGrain<IGeoIndexGrain>(GeoIndexShards.Key(c.Name, _cell)).CountSeenSince(since)));
        var drivers = counts.Sum();
        return new SurgeQuote(policy.MultiplierBasisPoints(_requests.Count, drivers), _requests.Count, drivers, now);
    }

    public Task RecordRequest(string rideId)
    {
        ArgumentException.ThrowIfNullOrEmpty(rideId);
        var now = time.GetUtcNow();
        Forget(now - _city.Surge.Window);
        _requests.TryAdd(rideId, now);
        return Task.CompletedTask;
    }

    private void Forget(DateTimeOffset before)
    {
        foreach (var (ride, at) in _requests)
        {
            if (at < before)
            {
                _requests.Remove(ride);
            }
        }
    }
}
