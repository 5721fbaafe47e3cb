using Atlas.Grains.LiveFeed;
using Microsoft.Extensions.Options;
using Orleans;

namespace Atlas.Api.Console;

/// <summary>
/// Follows the platform's live feed for this API's consoles: an Orleans observer (in client mode the API is a client of
/// the silos; embedded, a client of its own silo) subscribed with the <see cref="ILiveFeedHubGrain"/> and renewed at a
/// third of its lease, whose pushes go into the <see cref="LiveCity"/>. Start-up waits (up to
/// <see cref="StartTimeout"/>) for the first subscription, so a platform that answers requests is also followed; a
/// cluster not reachable yet is subscribed to in the background.
/// </summary>
internal sealed partial class LiveFeedSubscription(
    IGrainFactory grains, LiveCity city, IOptions<LiveFeedOptions> options, IHostApplicationLifetime lifetime, ILogger<LiveFeedSubscription> logger)
    : IHostedService, ILiveFeedObserver, IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    private readonly CancellationTokenSource _stopping = new();
    private ILiveFeedObserver? _reference;
    private Task? _renewals;

    public Task OnLiveFeed(LiveFeedBatch batch)
    {
        city.Apply(batch);
        return Task.CompletedTask;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Orleans keeps only a weak reference to the object: this service (a singleton) keeps it alive.
        _reference = grains.CreateObjectReference<ILiveFeedObserver>(this);
        using var first = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        first.CancelAfter(StartTimeout);
        var subscribed = false;
        while (!subscribed && !first.IsCancellationRequested)
        {
            subscribed = await TrySubscribeAsync();
            if (!subscribed)
            {
                try
                {
                    await Task.Delay(RetryDelay, first.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
        if (!subscribed)
        {
            LogNotYetSubscribed(StartTimeout);
        }
        _renewals = Task.Run(() => RenewAsync(subscribed, _stopping.Token), CancellationToken.None);
    }

    private async Task RenewAsync(bool subscribed, CancellationToken stopping)
    {
        var every = options.Value.SubscriptionLease / 3;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(subscribed ? every : RetryDelay, stopping);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            subscribed = await TrySubscribeAsync();
        }
    }

    private async Task<bool> TrySubscribeAsync()
    {
        try
        {
            await grains.GetGrain<ILiveFeedHubGrain>(ILiveFeedHubGrain.Key).Subscribe(_reference!, options.Value.SubscriptionLease);
            return true;
        }
        catch (Exception exception) when (!lifetime.ApplicationStopping.IsCancellationRequested)
        {
            LogSubscribeFailed(exception);
            return false;
        }
        catch (Exception)
        {
            return false; // stopping: the platform may be going too
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        if (_renewals is not null)
        {
            await _renewals;
        }
        if (_reference is null)
        {
            return;
        }
        try
        {
            // Best effort: a hub that cannot be reached drops the subscription when its lease ends.
            await grains.GetGrain<ILiveFeedHubGrain>(ILiveFeedHubGrain.Key).Unsubscribe(_reference).WaitAsync(TimeSpan.FromSeconds(2), cancellationToken);
        }
        catch (Exception exception)
        {
            LogUnsubscribeFailed(exception);
        }
        try
        {
            grains.DeleteObjectReference<ILiveFeedObserver>(_reference);
        }
        catch (ArgumentException exception)
        {
            // The embedded silo stopped first and took its client's objects with it: nothing left to delete.
            LogUnsubscribeFailed(exception);
        }
        _reference = null;
    }

    public void Dispose() => _stopping.Dispose();

    [LoggerMessage(LogLevel.Warning, "Console: not subscribed to the live feed within {Timeout}; trying again in the background (the map stays empty until then)")]
    private partial void LogNotYetSubscribed(TimeSpan timeout);

    [LoggerMessage(LogLevel.Debug, "Console: subscribing to the live feed failed; trying again")]
    private partial void LogSubscribeFailed(Exception exception);

    [LoggerMessage(LogLevel.Debug, "Console: unsubscribing from the live feed failed; the lease will end it")]
    private partial void LogUnsubscribeFailed(Exception exception);
}

/// <summary>Lets time pass in the <see cref="LiveCity"/> every second (stale drivers, closed rides, expired surge, the figures' window).</summary>
internal sealed class LiveCitySweeper(LiveCity city, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                city.Sweep();
            }
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }
}
