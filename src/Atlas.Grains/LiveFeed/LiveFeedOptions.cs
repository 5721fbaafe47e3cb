using Microsoft.Extensions.Options;

namespace Atlas.Grains.LiveFeed;

/// <summary>How the live feed relays the platform's streams to the dispatcher consoles (section <c>LiveFeed</c>).</summary>
public sealed class LiveFeedOptions
{
    public const string SectionName = "LiveFeed";

    /// <summary>How long a relay gathers events before pushing them (default 100 ms): the console's delay, against one push per event.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How long a relay uses the subscriber list it read before reading it again (default 2 s): the delay before a new subscriber hears anything.</summary>
    public TimeSpan SubscriberRefresh { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a subscription lasts unless renewed (default 1 min); subscribers renew it at a third of that.</summary>
    public TimeSpan SubscriptionLease { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Events a relay holds at most between two pushes (default 20 000); beyond, the newest are dropped and counted
    /// (the console catches up with the next position of each driver; a ride's next event carries its whole summary).
    /// </summary>
    public int MaxBuffered { get; set; } = 20_000;

    /// <summary>What is wrong with these settings, one line each naming the key; empty when nothing is.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (FlushInterval < TimeSpan.FromMilliseconds(1) || FlushInterval > TimeSpan.FromSeconds(10))
        {
            errors.Add("LiveFeed:FlushInterval must be between 1 ms and 10 s.");
        }
        if (SubscriberRefresh <= TimeSpan.Zero)
        {
            errors.Add("LiveFeed:SubscriberRefresh must be positive.");
        }
        if (SubscriptionLease < TimeSpan.FromSeconds(3))
        {
            errors.Add("LiveFeed:SubscriptionLease must be at least 3 s (subscribers renew it at a third).");
        }
        if (MaxBuffered < 1)
        {
            errors.Add("LiveFeed:MaxBuffered must be at least 1.");
        }
        return errors;
    }
}

/// <summary>Refuses impossible live-feed settings, naming them.</summary>
public sealed class LiveFeedOptionsValidator : IValidateOptions<LiveFeedOptions>
{
    public ValidateOptionsResult Validate(string? name, LiveFeedOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
