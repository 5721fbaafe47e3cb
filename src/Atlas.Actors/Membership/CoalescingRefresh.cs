using Atlas.Actors.Diagnostics;

namespace Atlas.Actors.Membership;

/// <summary>
/// A view refresh run in the background on request (gossip, a failed link, an unknown target), coalesced: requests made
/// before the run starts share it, and one made while it runs queues the next. Failures are logged, never thrown at the
/// requester, which is usually on a messaging path.
/// </summary>
internal sealed class CoalescingRefresh(Func<CancellationToken, Task> refresh, string purpose, RuntimeLog log, CancellationToken stopping)
{
    private int _requested;

    public void Request()
    {
        if (Interlocked.Exchange(ref _requested, 1) != 0)
        {
            return;
        }
        _ = Task.Run(async () =>
        {
            Interlocked.Exchange(ref _requested, 0);
            try
            {
                await refresh(stopping);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                log.MembershipTableFailed(purpose, exception);
            }
        });
    }
}
