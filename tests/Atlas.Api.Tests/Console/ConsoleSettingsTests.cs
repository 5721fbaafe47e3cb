using Atlas.Api.Console;
using Atlas.Api.Tests.Infrastructure;
using Atlas.Grains.LiveFeed;

namespace Atlas.Api.Tests.Console;

/// <summary>Impossible console and live-feed settings stop start-up with a line naming the key.</summary>
public sealed class ConsoleSettingsTests
{
    [Fact]
    public void Console_settings_out_of_range_are_refused_by_name()
    {
        var result = new ConsoleOptionsValidator().Validate(null,
            new ConsoleOptions { PushInterval = TimeSpan.Zero, MetricsWindow = TimeSpan.FromSeconds(5), MaxStreams = 0 });

        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.StartsWith("Console:PushInterval", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("Console:MetricsWindow", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("Console:MaxStreams", StringComparison.Ordinal));
        Assert.True(new ConsoleOptionsValidator().Validate(null, new ConsoleOptions()).Succeeded);
    }

    [Fact]
    public void Live_feed_settings_out_of_range_are_refused_by_name()
    {
        var result = new LiveFeedOptionsValidator().Validate(null,
            new LiveFeedOptions { SubscriptionLease = TimeSpan.FromSeconds(1), FlushInterval = TimeSpan.Zero, MaxBuffered = 0 });

        Assert.Equal(3, result.Failures!.Count());
        Assert.Contains(result.Failures!, f => f.StartsWith("LiveFeed:SubscriptionLease", StringComparison.Ordinal));
        Assert.True(new LiveFeedOptionsValidator().Validate(null, new LiveFeedOptions()).Succeeded);
    }

    [Fact]
    public async Task An_api_with_an_impossible_push_interval_does_not_start()
    {
        await using var api = new SettingsFactory([new("Console:PushInterval", "00:00:00")]);

        var error = Assert.ThrowsAny<Exception>(() => api.CreateClient());

        Assert.Contains("Console:PushInterval", error.ToString());
    }

    private sealed class SettingsFactory(IEnumerable<KeyValuePair<string, string?>> extra) : ApiFactory
    {
        protected override IEnumerable<KeyValuePair<string, string?>> Settings => [.. base.Settings, .. extra];
    }
}
